"""The dashboard's consultation pages: starting a call from a resident or a voice request,
the call page (call token, signalling path, the resident's card), hanging up without
script, and the refusals (another agency, no robot, no CSRF token, a caregiver)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from fleet import protocol
from fleet.calls import CallHub, check_call_token
from fleet.store import appointments
from fleet.store.consultations import get_consultation, record_voice_request
from fleet.store.reminders import put_schedule
from fleet.web.session import CSRF_HEADER
from reminders.model import ReminderSchedule
from tests.fleet_api import Fleet
from tests.fleet_records import add_alert
from tests.unit.test_fleet_api_reminders import add_resident, rent_robot
from tests.unit.test_fleet_web import event_stream, sign_in

_TOKEN = re.compile(r'data-token="([^"]+)"')


@dataclass
class Robots:
    """What the hub sent to robots: (topic, CallSignal) in order."""

    sent: list[tuple[str, protocol.CallSignal]] = field(default_factory=list)

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self.sent.append((topic, protocol.CallSignal.model_validate_json(payload)))

    def types(self) -> list[str]:
        return [signal.type for _, signal in self.sent]


@pytest.fixture
def robots(fleet: Fleet) -> Iterator[Robots]:
    """The fleet with a call hub whose MQTT side is this recorder (the broker is connected)."""
    sent = Robots()
    fleet.context.calls = CallHub(fleet.context.settings.telepresence, sent.publish, lambda: True)
    yield sent
    fleet.context.calls = None


def call(fleet: Fleet, csrf: str, **form: object) -> tuple[int, str]:
    """POST /consultations; (status, where it redirects)."""
    response = fleet.client.post(
        "/consultations", data={"csrf": csrf, **{k: str(v) for k, v in form.items()}},
        follow_redirects=False,
    )  # fmt: skip
    return response.status_code, response.headers.get("location", "")


def consultation_id(location: str) -> int:
    match = re.fullmatch(r"/consultations/(\d+)", location)
    assert match, f"not a call page: {location!r}"
    return int(match.group(1))


def with_card(fleet: Fleet) -> tuple[int, str]:
    """A resident with a rented robot, a medication reminder today and a fall since."""
    resident = add_resident(fleet)
    robot = rent_robot(fleet, resident)
    db, now = fleet.context.db(), fleet.context.now()
    schedule = ReminderSchedule.model_validate({
        "timezone": "Europe/Moscow",
        "medicines": [{"name": "Аспирин", "dose": "1 таблетка"}],
        "reminders": [
            {"id": "pill", "kind": "medication", "title": "Выпить аспирин", "medicine": "Аспирин",
             "dose": "1 таблетка", "start": "2026-11-20T20:00:00", "rrule": "FREQ=DAILY"},
            {"id": "walk", "kind": "custom", "title": "Прогулка", "start": "2026-11-20T15:00:00",
             "rrule": "FREQ=DAILY"},
        ],
    })  # fmt: skip
    put_schedule(db, fleet.agency_a, resident, schedule, user_id=None, now=now)
    add_alert(db, robot, "fall-1", kind="fall", raised_at=now + 5)
    return resident, robot


def test_a_specialist_calls_and_hangs_up_on_the_call_page(fleet: Fleet, robots: Robots) -> None:
    resident, robot = with_card(fleet)
    csrf = sign_in(fleet, "social@a.example")
    card = fleet.client.get(f"/residents/{resident}?lang=en").text
    assert 'id="video-call-form"' in card and 'action="/consultations"' in card

    status, location = call(fleet, csrf, resident_id=resident, back=f"/residents/{resident}")
    assert status == 303
    number = consultation_id(location)
    assert robots.sent[0][0] == protocol.call_topic(robot, str(number))
    ring = robots.sent[0][1]
    assert (ring.type, ring.caller_name, ring.caller_role) == (
        "ring",
        "social",
        "социальный работник",
    )

    page = fleet.client.get(f"{location}?lang=en")
    assert page.status_code == 200
    text = page.text
    assert f'data-signal-path="/consultations/{number}/signal"' in text
    match = _TOKEN.search(text)
    assert match, "no call token on the page"
    user, joined = check_call_token(fleet.context.db(), fleet.context.signing_key,
                                    match.group(1), number, fleet.context.now())  # fmt: skip
    assert (user.email, joined.id) == ("social@a.example", number)
    assert 'data-state="ringing"' in text and "Ringing…" in text
    assert '<script src="/static/consultation.js' in text
    assert "<script>" not in text  # the CSP allows no inline script
    reminders = text.split('id="today-reminders"')[1].split("</ul>")[0]
    assert "20:00" in reminders and "Выпить аспирин" in reminders and "1 таблетка" in reminders
    assert "Прогулка" not in reminders  # only medication and appointments
    assert "Fall" in text.split('id="recent-alerts"')[1].split("</div>")[0]
    assert "Russian" in text  # the resident's language
    banners = json.loads(html.unescape(text.split("data-banners='")[1].split("'")[0]))
    assert banners["declined"] == "Declined: {reason}"

    script = fleet.client.get("/static/consultation.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert "window.homecareCall" in script.text

    hung = fleet.client.post(f"/consultations/{number}/hangup", data={"csrf": csrf},
                             follow_redirects=False)  # fmt: skip
    assert (hung.status_code, hung.headers["location"]) == (303, location)
    ended = get_consultation(fleet.context.db(), fleet.agency_a, number)
    assert (ended.state, ended.reason) == ("ended", "the specialist hung up")
    assert robots.types() == ["ring", "hangup"]
    text = fleet.client.get(f"{location}?lang=ru").text
    assert "Завершён: специалист завершил звонок" in text and "data-token=" not in text
    again = text.split('id="call-again-form"')[1].split(">")[0]
    assert "hidden" not in again
    history = text.split('id="call-history"')[1].split("</ol>")[0]
    assert history.count("<li") == 2 and "Звоним" in history
    # Hanging up twice is no error (a second tab, a reload).
    assert fleet.client.post(f"/consultations/{number}/hangup", data={"csrf": csrf},
                             follow_redirects=False).status_code == 303  # fmt: skip
    assert robots.types() == ["ring", "hangup"]


def test_the_script_gets_a_fresh_token_with_the_pages_session(fleet: Fleet, robots: Robots) -> None:
    resident, _ = with_card(fleet)
    csrf = sign_in(fleet, "operator@a.example")
    number = consultation_id(call(fleet, csrf, resident_id=resident)[1])
    url = f"/consultations/{number}/token"

    fresh = fleet.client.post(url, headers={CSRF_HEADER: csrf})
    assert fresh.status_code == 200, fresh.text
    body = fresh.json()
    assert body["signal_path"] == f"/consultations/{number}/signal"
    check_call_token(fleet.context.db(), fleet.context.signing_key, body["token"], number,
                     fleet.context.now())  # fmt: skip
    assert fleet.client.post(url).status_code == 403  # no CSRF header
    assert fleet.client.post(f"/consultations/{number + 50}/token",
                             headers={CSRF_HEADER: csrf}).status_code == 404  # fmt: skip

    fleet.client.post(f"/consultations/{number}/hangup", data={"csrf": csrf})
    over = fleet.client.post(url, headers={CSRF_HEADER: csrf})
    assert over.status_code == 409 and over.json()["state"] == "ended"

    fleet.client.cookies.clear()
    signed_out = fleet.client.post(url, headers={CSRF_HEADER: csrf})
    assert signed_out.status_code == 401 and signed_out.json()["detail"] == "not signed in"


def test_another_agency_finds_no_such_consultation(fleet: Fleet, robots: Robots) -> None:
    resident, _ = with_card(fleet)
    number = consultation_id(
        call(fleet, sign_in(fleet, "admin@a.example"), resident_id=resident)[1]
    )
    other = sign_in(fleet, "admin@b.example")
    assert fleet.client.get(f"/consultations/{number}").status_code == 404
    assert (
        fleet.client.post(f"/consultations/{number}/hangup", data={"csrf": other}).status_code
        == 404
    )
    token = fleet.client.post(f"/consultations/{number}/token", headers={CSRF_HEADER: other})
    assert token.status_code == 404
    assert "data-consultation-id" not in fleet.client.get("/consultations").text
    assert call(fleet, other, resident_id=resident)[0] == 404  # A's resident
    assert get_consultation(fleet.context.db(), fleet.agency_a, number).state == "ringing"
    assert robots.types() == ["ring"]


def test_the_list_shows_a_voice_request_and_calling_back_turns_it_into_the_call(
    fleet: Fleet, robots: Robots
) -> None:
    resident, robot = with_card(fleet)
    outcome, request = record_voice_request(fleet.context.db(), robot, "ev-1",
                                            asked_for="социальный работник",
                                            now=fleet.context.now())  # fmt: skip
    assert outcome == "stored" and request is not None
    csrf = sign_in(fleet, "social@a.example")
    listing = fleet.client.get("/consultations?lang=en").text
    requests = listing.split('id="call-requests"')[1].split("</section>")[0]
    assert f'data-consultation-id="{request.id}" data-state="requested"' in requests
    assert f'id="call-back-{request.id}"' in requests and "Call back" in requests
    assert f'name="request_id" value="{request.id}"' in requests

    status, location = call(fleet, csrf, resident_id=resident, request_id=request.id)
    assert (status, location) == (303, f"/consultations/{request.id}")
    assert get_consultation(fleet.context.db(), fleet.agency_a, request.id).state == "ringing"
    listing = fleet.client.get("/consultations?lang=en").text
    assert "Nobody is asking to be called back." in listing
    active = listing.split('id="calls-active"')[1].split("</section>")[0]
    assert f'href="/consultations/{request.id}"' in active and "Ringing…" in active

    fleet.client.post(f"/consultations/{request.id}/hangup", data={"csrf": csrf})
    recent = fleet.client.get("/consultations?lang=en").text.split('id="calls-recent"')[1]
    assert f'data-consultation-id="{request.id}" data-state="ended"' in recent
    assert "the specialist hung up" in recent and "social" in recent


def test_a_call_that_cannot_start_says_why_on_the_page_it_came_from(
    fleet: Fleet, robots: Robots
) -> None:
    lonely = add_resident(fleet)  # no robot rented
    csrf = sign_in(fleet, "social@a.example")
    status, location = call(fleet, csrf, resident_id=lonely, back=f"/residents/{lonely}")
    assert status == 303 and location.startswith(f"/residents/{lonely}?call_error=")
    page = fleet.client.get(location)
    assert page.status_code == 200
    assert f"resident {lonely} has no robot rented" in page.text
    assert "Traceback" not in page.text

    resident, robot = with_card(fleet)
    first = consultation_id(call(fleet, csrf, resident_id=resident)[1])
    status, location = call(fleet, csrf, resident_id=resident, back=f"/consultations/{first}")
    assert location.startswith(f"/consultations/{first}?call_error=")
    assert f"robot {robot} is already in consultation {first}" in fleet.client.get(location).text
    # A foreign "back" never leads off the site.
    status, location = call(fleet, csrf, resident_id=lonely, back="https://evil.example/")
    assert status == 303 and location.startswith("/incidents?call_error=")
    assert robots.types() == ["ring"]


def test_forms_need_the_csrf_token_and_a_caller_role(fleet: Fleet, robots: Robots) -> None:
    resident, _ = with_card(fleet)
    csrf = sign_in(fleet, "social@a.example")
    assert call(fleet, "", resident_id=resident)[0] == 403
    assert call(fleet, "0" * 64, resident_id=resident)[0] == 403
    assert robots.sent == []
    number = consultation_id(call(fleet, csrf, resident_id=resident)[1])
    refused = fleet.client.post(f"/consultations/{number}/hangup", data={"csrf": "0" * 64})
    assert refused.status_code == 403
    assert get_consultation(fleet.context.db(), fleet.agency_a, number).state == "ringing"

    caregiver = sign_in(fleet, "caregiver@a.example")
    assert 'id="video-call-form"' not in fleet.client.get(f"/residents/{resident}").text
    page = fleet.client.get(f"/consultations/{number}?lang=en").text
    assert "data-token=" not in page and "may join the call" in page
    assert call(fleet, caregiver, resident_id=resident)[0] == 403
    hangup = fleet.client.post(f"/consultations/{number}/hangup", data={"csrf": caregiver})
    assert hangup.status_code == 403
    assert get_consultation(fleet.context.db(), fleet.agency_a, number).state == "ringing"


def test_a_video_appointment_is_called_from_its_page_and_shows_the_call_state(
    fleet: Fleet, robots: Robots
) -> None:
    resident, _ = with_card(fleet)
    db, now = fleet.context.db(), fleet.context.now()
    specialist = appointments.create_specialist(db, fleet.agency_a,
                                                {"name": "Ирина", "role": "психолог"},
                                                user_id=None, now=now)  # fmt: skip
    starts = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Yekaterinburg"))
    modes: tuple[tuple[int, appointments.Mode], ...] = ((10, "video"), (12, "in_person"))
    video, in_person = (
        appointments.create_slots(db, fleet.agency_a, specialist.id, [starts.replace(hour=h)],
                                  duration_min=30, mode=mode, place="", user_id=None, now=now)[0]
        for h, mode in modes
    )  # fmt: skip
    booked = [
        appointments.book(db, fleet.agency_a, resident, slot.id, source="staff", user_id=None,
                          robot_id=None, now=now)
        for slot in (video, in_person)
    ]  # fmt: skip
    csrf = sign_in(fleet, "social@a.example")
    page = fleet.client.get(f"/residents/{resident}/appointments?lang=en").text
    assert f'id="video-call-{booked[0].id}"' in page
    assert f'id="video-call-{booked[1].id}"' not in page  # in person: no call

    status, location = call(fleet, csrf, resident_id=resident, appointment_id=booked[0].id,
                            back=f"/residents/{resident}/appointments")  # fmt: skip
    assert status == 303
    number = consultation_id(location)
    page = fleet.client.get(f"/residents/{resident}/appointments?lang=en").text
    assert re.search(rf'data-call-state="ringing"\s+href="/consultations/{number}"', page)
    call_page = fleet.client.get(f"{location}?lang=en").text
    assert "Ирина, психолог" in call_page.split('id="call-appointment"')[1]
    status, location = call(fleet, csrf, resident_id=resident, appointment_id=booked[1].id,
                            back=f"/residents/{resident}/appointments")  # fmt: skip
    assert "call_error=" in location
    assert "not a video consultation" in fleet.client.get(location).text


def test_without_a_broker_the_call_is_refused_with_a_reason(fleet: Fleet) -> None:
    resident, _ = with_card(fleet)
    csrf = sign_in(fleet, "social@a.example")
    status, location = call(fleet, csrf, resident_id=resident, back="/consultations")
    assert status == 303 and location.startswith("/consultations?call_error=")
    assert "не подключён к брокеру MQTT" in fleet.client.get(location).text


def test_a_residents_request_shows_live_on_every_page_until_someone_calls_back(
    fleet: Fleet, robots: Robots
) -> None:
    resident, robot = with_card(fleet)
    csrf = sign_in(fleet, "social@a.example")
    assert 'id="calls-badge" class="badge" hidden' in fleet.client.get("/robots").text
    with event_stream(fleet) as stream:
        assert stream.next_event("calls") == {"waiting": 0}
        _, request = record_voice_request(fleet.context.db(), robot, "ev-1",
                                          asked_for="социальный работник",
                                          now=fleet.context.now())  # fmt: skip
        assert request is not None
        assert stream.next_event("calls") == {"waiting": 1}
        assert ">1</span>" in fleet.client.get("/robots").text.split('id="calls-badge"')[1]
        call(fleet, csrf, resident_id=resident, request_id=request.id)
        assert stream.next_event("calls") == {"waiting": 0}
