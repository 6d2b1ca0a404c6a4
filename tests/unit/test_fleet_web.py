"""The dashboard through its HTTP interface: sign-in, sessions, CSRF, agency isolation,
pages with data, and the live incident stream."""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from fleet.protocol import AlertPayload, Telemetry
from fleet.store import record_alert, record_telemetry
from fleet.store.incidents import get_incident
from fleet.store.rentals import create_rental, get_rental, hand_over
from fleet.store.residents import create_resident
from fleet.store.robots import create_robot
from fleet.web import formatting, i18n
from fleet.web.session import NONCE_COOKIE, SESSION_COOKIE, safe_next
from tests.fleet_api import PASSWORD, Fleet

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@dataclass
class Agency:
    robot_id: str
    resident_id: int
    rental_id: int


def sign_in(fleet: Fleet, email: str, next_url: str = "/incidents") -> str:
    """Sign in through the form like a fresh browser; returns the page's CSRF token."""
    fleet.client.cookies.clear()
    form = fleet.client.get("/login")
    response = fleet.client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf": _csrf(form.text), "next": next_url},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return _csrf(fleet.client.get("/incidents").text)


def _csrf(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def add_robot(fleet: Fleet, agency_id: int, serial: str) -> str:
    return create_robot(
        fleet.context.db(),
        agency_id,
        serial=serial,
        model="HC-1",
        password_hash="not-used-here",
        user_id=None,
        now=fleet.context.now(),
    )


def raise_alert(
    fleet: Fleet, robot_id: str, alert_id: str, kind: str = "fall", severity: str = "critical"
) -> int:
    now = fleet.context.now()
    alert = AlertPayload(ts=now, alert_id=alert_id, kind=kind, severity=severity)  # type: ignore[arg-type]
    return record_alert(fleet.context.db(), robot_id, alert, now).incident_id


@pytest.fixture
def agency_a(fleet: Fleet) -> Agency:
    """In agency A: a robot reporting 73 % battery, with Мария Ивановна, handed over."""
    db, now = fleet.context.db(), fleet.context.now()
    robot_id = add_robot(fleet, fleet.agency_a, "SN-A-001")
    resident_id = create_resident(
        db,
        fleet.agency_a,
        {
            "full_name": "Мария Ивановна Петрова",
            "address": "Пермь, ул. Ленина, 1",
            "birth_date": "1941-03-08",
            "disability_group": 2,
            "contacts": [{"name": "Ольга", "relation": "дочь", "phone": "+79990000000"}],
            "consents": {"telemetry": True, "video": False},
        },
        user_id=None,
        now=now,
    )
    rental_id = create_rental(
        db,
        fleet.agency_a,
        robot_id=robot_id,
        resident_id=resident_id,
        starts_on="2026-11-01",
        user_id=None,
        now=now,
    )
    hand_over(db, fleet.agency_a, rental_id, user_id=None, now=now)
    reading = Telemetry(ts=now, battery_pct=73.0, charging=False, cpu_temp_c=48.5, uptime_s=7200)
    record_telemetry(db, [(robot_id, reading)], now)
    return Agency(robot_id, resident_id, rental_id)


# signing in and out


def test_pages_redirect_to_sign_in_and_back(fleet: Fleet) -> None:
    response = fleet.client.get("/robots?status=rented", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/robots%3Fstatus%3Drented"


def test_sign_in_sets_an_http_only_lax_cookie_holding_the_api_token(fleet: Fleet) -> None:
    form = fleet.client.get("/login?next=/robots")
    response = fleet.client.post(
        "/login",
        data={
            "email": "Operator@A.example",
            "password": PASSWORD,
            "csrf": _csrf(form.text),
            "next": "/robots",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/robots"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("hc_session="))
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    token = fleet.client.cookies[SESSION_COOKIE]
    me = fleet.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "operator@a.example"


@pytest.mark.parametrize(
    ("email", "password"),
    [("operator@a.example", "wrong-password"), ("nobody@a.example", PASSWORD)],
)
def test_wrong_credentials_show_the_form_again_with_a_clear_message(
    fleet: Fleet, email: str, password: str
) -> None:
    form = fleet.client.get("/login")
    response = fleet.client.post(
        "/login", data={"email": email, "password": password, "csrf": _csrf(form.text)}
    )
    assert response.status_code == 401
    assert "Неверная почта или пароль" in response.text
    assert f'value="{email}"' in response.text  # the email stays, only the password is retyped
    assert "Traceback" not in response.text
    assert SESSION_COOKIE not in fleet.client.cookies


def test_sign_in_form_without_its_csrf_token_is_refused(fleet: Fleet) -> None:
    fleet.client.get("/login")
    response = fleet.client.post(
        "/login", data={"email": "operator@a.example", "password": PASSWORD, "csrf": "0" * 64}
    )
    assert response.status_code == 400
    assert "Форма устарела" in response.text
    assert SESSION_COOKIE not in fleet.client.cookies


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_only_a_path_on_this_site_is_followed_after_sign_in(target: str) -> None:
    assert safe_next(target) == "/incidents"
    assert safe_next("/robots?page=2") == "/robots?page=2"


def test_an_expired_session_sends_to_sign_in_saying_so(fleet: Fleet) -> None:
    sign_in(fleet, "operator@a.example")
    fleet.clock.advance((fleet.context.settings.token_ttl_minutes + 1) * 60)
    response = fleet.client.get("/robots", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/robots&expired=1"
    assert "Сеанс закончился" in fleet.client.get(response.headers["location"]).text


def test_sign_out_needs_the_csrf_token_and_clears_the_session(fleet: Fleet) -> None:
    csrf = sign_in(fleet, "operator@a.example")
    refused = fleet.client.post("/logout", data={"csrf": "wrong"})
    assert refused.status_code == 403
    response = fleet.client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert response.headers["location"] == "/login?bye=1"
    assert SESSION_COOKIE not in fleet.client.cookies
    assert fleet.client.get("/robots", follow_redirects=False).status_code == 303


def test_session_refresh_extends_an_open_dashboard(fleet: Fleet) -> None:
    csrf = sign_in(fleet, "operator@a.example")
    assert fleet.client.post("/session/refresh").status_code == 403  # no CSRF header
    fleet.clock.advance(50 * 60)
    response = fleet.client.post("/session/refresh", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    fleet.clock.advance(50 * 60)  # 100 min after sign-in, 50 after the refresh
    assert fleet.client.get("/robots").status_code == 200
    fleet.client.cookies.delete(SESSION_COOKIE)
    assert fleet.client.post("/session/refresh", headers={"X-CSRF-Token": csrf}).status_code == 401


# CSRF and agency isolation


def test_a_form_post_without_the_right_csrf_token_changes_nothing(
    fleet: Fleet, agency_a: Agency
) -> None:
    incident_id = raise_alert(fleet, agency_a.robot_id, "a-1")
    sign_in(fleet, "operator@a.example")
    for data in ({}, {"csrf": "f" * 64}):
        response = fleet.client.post(f"/incidents/{incident_id}/ack", data=data)
        assert response.status_code == 403
        assert "Форма устарела" in response.text
    assert get_incident(fleet.context.db(), fleet.agency_a, incident_id).status == "open"


def test_the_csrf_token_is_bound_to_the_browser_that_signed_in(
    fleet: Fleet, agency_a: Agency
) -> None:
    incident_id = raise_alert(fleet, agency_a.robot_id, "a-1")
    csrf = sign_in(fleet, "operator@a.example")
    fleet.client.cookies.set(NONCE_COOKIE, "another-browser")
    response = fleet.client.post(f"/incidents/{incident_id}/ack", data={"csrf": csrf})
    assert response.status_code == 403


def test_another_agencys_objects_are_not_found(fleet: Fleet, agency_a: Agency) -> None:
    incident_id = raise_alert(fleet, agency_a.robot_id, "a-1")
    csrf = sign_in(fleet, "admin@b.example")
    for path in (f"/robots/{agency_a.robot_id}", f"/residents/{agency_a.resident_id}"):
        response = fleet.client.get(path)
        assert response.status_code == 404, path
        assert "Не найдено" in response.text
        assert "Мария" not in response.text
    response = fleet.client.post(f"/incidents/{incident_id}/ack", data={"csrf": csrf})
    assert response.status_code == 404
    assert get_incident(fleet.context.db(), fleet.agency_a, incident_id).status == "open"
    for path in ("/robots", "/residents", "/rentals", "/incidents"):
        page = fleet.client.get(path).text
        assert "SN-A-001" not in page and "Мария" not in page, path


@pytest.mark.parametrize("path", ["/residents/abc", "/residents/99", "/robots/r-missing"])
def test_unknown_ids_are_a_not_found_page(fleet: Fleet, path: str) -> None:
    sign_in(fleet, "operator@a.example")
    response = fleet.client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


# pages with data


def test_robots_list_shows_presence_battery_and_resident(fleet: Fleet, agency_a: Agency) -> None:
    add_robot(fleet, fleet.agency_a, "SN-A-002")  # never reported
    sign_in(fleet, "operator@a.example")
    page = fleet.client.get("/robots").text
    assert "SN-A-001" in page and "SN-A-002" in page
    online, offline = '"online-yes">В сети<', '"online-no">Не в сети<'  # text, not only colour
    assert online in page and offline in page
    assert 'value="73.0"' in page and "73 %" in page
    assert "только что" in page and "никогда" in page
    assert "Мария Ивановна Петрова" in page
    offline_only = fleet.client.get("/robots?online=no").text
    assert "SN-A-002" in offline_only and "SN-A-001" not in offline_only
    rented = fleet.client.get("/robots?status=rented").text
    assert "SN-A-001" in rented and "SN-A-002" not in rented
    fleet.clock.advance(5 * 60)  # silent for more than three heartbeats: offline
    page = fleet.client.get("/robots").text
    assert "5 мин назад" in page and online not in page


def test_robots_list_is_paginated(fleet: Fleet) -> None:
    for n in range(30):
        add_robot(fleet, fleet.agency_a, f"SN-{n:03d}")
    sign_in(fleet, "operator@a.example")
    first = fleet.client.get("/robots").text
    assert "SN-000" in first and "SN-029" not in first and "Страница 1 из 2" in first
    second = fleet.client.get("/robots?page=2").text
    assert "SN-029" in second and "SN-000" not in second


def test_robot_page_shows_telemetry_and_recent_incidents(fleet: Fleet, agency_a: Agency) -> None:
    raise_alert(fleet, agency_a.robot_id, "a-1", kind="low_battery", severity="warning")
    sign_in(fleet, "operator@a.example")
    page = fleet.client.get(f"/robots/{agency_a.robot_id}").text
    assert "SN-A-001" in page and "HC-1" in page
    assert "48.5" in page and "2 ч 0 мин" in page  # the telemetry row
    assert "Низкий заряд" in page
    when = formatting.local_time(fleet.context.now(), "ru")
    assert when in page and when.endswith("14:00")  # 09:00 UTC is 14:00 in Perm


def test_resident_pages_show_person_contacts_consents_and_rental(
    fleet: Fleet, agency_a: Agency
) -> None:
    sign_in(fleet, "social@a.example")
    listing = fleet.client.get("/residents").text
    assert "Мария Ивановна Петрова" in listing and "85 лет" in listing and "2 группа" in listing
    page = fleet.client.get(f"/residents/{agency_a.resident_id}").text
    for text in ("Пермь, ул. Ленина, 1", "+79990000000", "дочь", "08.03.1941", agency_a.robot_id):
        assert text in page
    assert "Согласия" in page and "✔" in page and "✖" in page


def test_rental_buttons_are_for_admins_and_operators_only(fleet: Fleet, agency_a: Agency) -> None:
    csrf = sign_in(fleet, "caregiver@a.example")
    assert "Принять возврат" not in fleet.client.get("/rentals").text
    refused = fleet.client.post(f"/rentals/{agency_a.rental_id}/return", data={"csrf": csrf})
    assert refused.status_code == 403
    csrf = sign_in(fleet, "operator@a.example")
    page = fleet.client.get("/rentals").text
    assert "Принять возврат" in page and "Мария Ивановна Петрова" in page
    response = fleet.client.post(f"/rentals/{agency_a.rental_id}/return", data={"csrf": csrf})
    assert response.status_code == 200
    rental = get_rental(fleet.context.db(), fleet.agency_a, agency_a.rental_id)
    assert rental.status == "returned"
    assert rental.wipe == "pending"  # no broker in this test: sent on the next connection
    again = fleet.client.post(f"/rentals/{agency_a.rental_id}/return", data={"csrf": csrf})
    assert again.status_code == 409
    assert "Действие невозможно" in again.text


def test_incidents_page_shows_critical_first_class_cards_with_who_to_call(
    fleet: Fleet, agency_a: Agency
) -> None:
    fall = raise_alert(fleet, agency_a.robot_id, "a-1")
    raise_alert(fleet, agency_a.robot_id, "a-2", kind="low_battery", severity="warning")
    sign_in(fleet, "operator@a.example")
    page = fleet.client.get("/incidents").text
    assert page.index("Низкий заряд") < page.index("Падение")  # newest first
    card = page[page.index(f'id="incident-{fall}"') :]
    assert "sev-critical" in page and "КРИТИЧНО" in card
    assert "Мария Ивановна Петрова" in card and "tel:+79990000000" in card
    assert "<title>(2) Тревоги" in page
    assert f'data-after="{fall + 1}"' in page


def test_acknowledge_then_resolve_from_the_page(fleet: Fleet, agency_a: Agency) -> None:
    incident_id = raise_alert(fleet, agency_a.robot_id, "a-1")
    csrf = sign_in(fleet, "operator@a.example")
    page = fleet.client.post(f"/incidents/{incident_id}/ack", data={"csrf": csrf}).text
    assert "Принял(а): operator" in page
    incident = get_incident(fleet.context.db(), fleet.agency_a, incident_id)
    assert incident.status == "acknowledged"
    blank = fleet.client.post(f"/incidents/{incident_id}/resolve", data={"csrf": csrf})
    assert blank.status_code == 400 and "Выберите, чем закончилось" in blank.text
    fleet.client.post(
        f"/incidents/{incident_id}/resolve", data={"csrf": csrf, "outcome": "false_alarm"}
    )
    incident = get_incident(fleet.context.db(), fleet.agency_a, incident_id)
    assert (incident.status, incident.outcome) == ("resolved", "false_alarm")


def test_caregivers_acknowledge_but_do_not_resolve(fleet: Fleet, agency_a: Agency) -> None:
    incident_id = raise_alert(fleet, agency_a.robot_id, "a-1")
    csrf = sign_in(fleet, "caregiver@a.example")
    assert "resolve-form" not in fleet.client.get("/incidents").text
    response = fleet.client.post(
        f"/incidents/{incident_id}/resolve", data={"csrf": csrf, "outcome": "false_alarm"}
    )
    assert response.status_code == 403
    fleet.client.post(f"/incidents/{incident_id}/ack", data={"csrf": csrf})
    assert get_incident(fleet.context.db(), fleet.agency_a, incident_id).status == "acknowledged"


def test_pages_carry_security_headers_and_local_assets_only(fleet: Fleet) -> None:
    sign_in(fleet, "operator@a.example")
    response = fleet.client.get("/incidents")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert "http://" not in response.text and "https://" not in response.text
    assert fleet.client.get("/static/dashboard.js").status_code == 200
    assert fleet.client.get("/static/../app.py").status_code == 404


# language


def test_language_from_query_cookie_or_header_default_russian(fleet: Fleet) -> None:
    assert "Вход" in fleet.client.get("/login").text
    assert "Sign in" in fleet.client.get("/login", headers={"Accept-Language": "en-GB"}).text
    english = fleet.client.get("/login?lang=en")
    assert "Sign in" in english.text
    assert fleet.client.cookies["hc_lang"] == "en"
    assert "Sign in" in fleet.client.get("/login").text  # the choice sticks


@pytest.mark.parametrize(
    ("header", "lang"),
    [("", "ru"), ("en-US,en;q=0.9", "en"), ("de-DE,en;q=0.5,ru;q=0.8", "ru"), ("fr", "ru")],
)
def test_accept_language_picks_the_best_known_language(header: str, lang: str) -> None:
    assert i18n.from_accept_language(header) == lang


def test_both_languages_have_every_string() -> None:
    assert set(i18n.STRINGS["ru"]) == set(i18n.STRINGS["en"])


def test_times_read_in_the_agency_zone_and_as_minutes_ago() -> None:
    ts = datetime(2026, 11, 23, 9, 0, tzinfo=UTC).timestamp()
    assert formatting.local_time(ts, "ru") == "23.11.2026 14:00"
    assert formatting.local_time(ts, "en") == "2026-11-23 14:00"
    assert formatting.time_ago(ts, ts + 30, "ru") == "только что"
    assert formatting.time_ago(ts, ts + 7 * 60, "en") == "7 min ago"
    assert formatting.time_ago(ts, ts + 3 * 3600, "ru") == "3 ч назад"
    assert formatting.time_ago(None, ts, "ru") == "никогда"


# the live stream


class EventReader:
    """Reads a server-sent event stream on a thread, so the test can wait with a deadline."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.events: queue.Queue[tuple[str, dict[str, object]]] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(lines,), daemon=True)
        self._thread.start()

    def _read(self, lines: Iterator[str]) -> None:
        name = ""
        try:
            for line in lines:
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    self.events.put((name, json.loads(line.removeprefix("data: "))))
        except Exception:  # the test closed the stream
            return

    def next_event(self, name: str, timeout: float = 10.0) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event, data = self.events.get(timeout=remaining)
            except queue.Empty:
                break
            if event == name:
                return data
        raise AssertionError(f"no {name!r} event within {timeout} s")


@contextmanager
def event_stream(fleet: Fleet, url: str = "/incidents/stream") -> Iterator[EventReader]:
    with fleet.client.stream("GET", url) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response.iter_lines())


def test_stream_delivers_a_new_incident_then_its_acknowledgement(
    fleet: Fleet, agency_a: Agency
) -> None:
    csrf = sign_in(fleet, "operator@a.example")
    with event_stream(fleet) as stream:
        assert stream.next_event("sync") == {"active": []}
        incident_id = raise_alert(fleet, agency_a.robot_id, "a-1")
        event = stream.next_event("incident")
        assert event["id"] == incident_id and event["new"] is True
        assert event["status"] == "open" and event["severity"] == "critical"
        assert f'data-incident-id="{incident_id}"' in str(event["html"])
        assert "Мария Ивановна Петрова" in str(event["html"])
        assert stream.next_event("count") == {"open": 1}
        fleet.client.post(f"/incidents/{incident_id}/ack", data={"csrf": csrf})
        event = stream.next_event("incident")
        assert (event["status"], event["new"]) == ("acknowledged", False)
        assert stream.next_event("count") == {"open": 0}


def test_stream_resumes_after_the_last_event_id(fleet: Fleet, agency_a: Agency) -> None:
    first = raise_alert(fleet, agency_a.robot_id, "a-1")
    second = raise_alert(fleet, agency_a.robot_id, "a-2")
    sign_in(fleet, "operator@a.example")
    fleet.client.headers["Last-Event-ID"] = str(first)
    try:
        with event_stream(fleet) as stream:
            assert stream.next_event("sync") == {"active": [first, second]}
            events = [stream.next_event("incident"), stream.next_event("incident")]
    finally:
        del fleet.client.headers["Last-Event-ID"]
    # The missed one is new; the one the page already had is only brought up to date.
    assert {(e["id"], e["new"]) for e in events} == {(second, True), (first, False)}


def test_stream_shows_only_the_users_agency(fleet: Fleet, agency_a: Agency) -> None:
    sign_in(fleet, "admin@b.example")
    robot_b = add_robot(fleet, fleet.agency_b, "SN-B-001")
    with event_stream(fleet) as stream:
        stream.next_event("sync")
        raise_alert(fleet, agency_a.robot_id, "a-1")
        b_incident = raise_alert(fleet, robot_b, "b-1")
        assert stream.next_event("incident")["id"] == b_incident


def test_stream_needs_a_session(fleet: Fleet) -> None:
    response = fleet.client.get("/incidents/stream")
    assert response.status_code == 401
