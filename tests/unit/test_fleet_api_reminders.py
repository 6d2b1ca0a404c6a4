"""The reminders API: roles, validation naming the field, versions, publishing, adherence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fleet.protocol import DesiredConfig, config_topic, decode
from fleet.store.audit import list_audit
from fleet.store.reminders import check_schedule, record_outcome
from fleet.store.rentals import create_rental, hand_over, return_rental
from fleet.store.robots import create_robot, set_robot_status
from reminders.model import ReminderOutcomeEvent, ReminderSchedule
from tests.fleet_api import Fleet

API = "/api/v1"
MOSCOW = "Europe/Moscow"  # UTC+3 all year: START (09:00 UTC) is 12:00 there


def pill(reminder_id: str = "aspirin-morning", **changes: Any) -> dict[str, Any]:
    return {
        "id": reminder_id,
        "kind": "medication",
        "title": "Аспирин",
        "medicine": "Аспирин",
        "dose": "1 таблетка",
        "start": "2026-11-24T08:00:00",
        "rrule": "FREQ=DAILY",
        **changes,
    }


def schedule(*reminders: dict[str, Any], medicines: list[str] | None = None) -> dict[str, Any]:
    names = ["Аспирин"] if medicines is None else medicines
    return {
        "timezone": MOSCOW,
        "reminders": list(reminders) or [pill()],
        "medicines": [{"name": name, "aliases": ["aspirin"]} for name in names],
    }


def auth(fleet: Fleet, email: str) -> dict[str, str]:
    """`fleet.headers(email)`, signed in once per test (argon2 is slow by design)."""
    cache: dict[str, dict[str, str]] = fleet.__dict__.setdefault("reminder_test_tokens", {})
    if email not in cache:
        cache[email] = fleet.headers(email)
    return cache[email]


def add_resident(fleet: Fleet, agency: str = "a") -> int:
    headers = auth(fleet, f"admin@{agency}.example")
    response = fleet.client.post(
        f"{API}/residents", json={"full_name": "Мария Петрова"}, headers=headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def rent_robot(fleet: Fleet, resident_id: int, serial: str = "SN-1", days_ago: int = 0) -> str:
    db, now = fleet.context.db(), fleet.context.now() - days_ago * 86400
    robot_id = create_robot(
        db, fleet.agency_a, serial=serial, model="HC2", password_hash="x", user_id=None, now=now
    )
    rental_id = create_rental(
        db, fleet.agency_a, robot_id=robot_id, resident_id=resident_id, starts_on="2026-11-23",
        user_id=None, now=now,
    )  # fmt: skip
    hand_over(db, fleet.agency_a, rental_id, user_id=None, now=now)
    return robot_id


def put(fleet: Fleet, resident_id: int, body: dict[str, Any], who: str = "caregiver") -> Any:
    return fleet.client.put(
        f"{API}/residents/{resident_id}/reminders",
        json=body,
        headers=auth(fleet, f"{who}@a.example"),
    )


def problems(response: Any) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(p["loc"], p["msg"]) for p in response.json()["detail"]]


def test_caregivers_and_social_workers_edit_operators_read_and_versions_grow(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    empty = fleet.client.get(
        f"{API}/residents/{resident}/reminders", headers=auth(fleet, "operator@a.example")
    )
    assert empty.status_code == 200
    assert (empty.json()["version"], empty.json()["reminders"]) == (0, [])

    first = put(fleet, resident, schedule())
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1
    assert first.json()["reminders"][0]["start"] == "2026-11-24T08:00:00"

    same = put(fleet, resident, schedule(), who="social")
    assert same.json()["version"] == 1  # nothing changed: no new version, nothing sent
    second = put(fleet, resident, schedule(pill(dose="2 таблетки")), who="social")
    assert second.json()["version"] == 2

    refused = put(fleet, resident, schedule(), who="operator")
    assert refused.status_code == 403
    assert "caregiver" in refused.json()["detail"]

    read = fleet.client.get(
        f"{API}/residents/{resident}/reminders", headers=auth(fleet, "operator@a.example")
    )
    assert read.json()["version"] == 2 and read.json()["reminders"][0]["dose"] == "2 таблетки"


def test_a_change_is_audited_without_the_medicines(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    assert put(fleet, resident, schedule()).status_code == 200
    entries = list_audit(
        fleet.context.db(), fleet.agency_a, object_type="resident", object_id=str(resident)
    ).items
    change = next(entry for entry in entries if entry.action == "update_reminders")
    assert change.changes == {"medicines": None, "reminders": None, "version": [0, 1]}
    assert "Аспирин" not in json.dumps(change.changes, ensure_ascii=False)


def test_another_agency_gets_404_on_every_reminder_route(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    b_admin = auth(fleet, "admin@b.example")
    for method, path in (
        ("GET", "reminders"), ("PUT", "reminders"), ("GET", "reminders.ics"),
        ("POST", "reminders/ics"), ("GET", "adherence"),
    ):  # fmt: skip
        body = {"json": schedule()} if method == "PUT" else {}
        response = fleet.client.request(
            method, f"{API}/residents/{resident}/{path}", headers=b_admin, **body
        )
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"] == f"resident {resident} not found"


@pytest.mark.parametrize(
    ("reminder", "where", "words"),
    [
        (pill(rrule="FREQ=SOMETIMES"), ["body", "reminders", 0, "rrule"], "invalid RRULE"),
        (pill(rrule="FREQ=DAILY;BYHOUR=25"), ["body", "reminders", 0, "rrule"], "invalid RRULE"),
        (pill(rrule="RRULE:FREQ=DAILY"), ["body", "reminders", 0, "rrule"], "prefix"),
        (pill(rrule="", start="2026-11-23T11:00:00"), ["body", "reminders", 0, "start"],
         "starts in the past"),
        (pill(start="2026-11-01T08:00:00", rrule="FREQ=DAILY;COUNT=3"),
         ["body", "reminders", 0, "start"], "in the past"),
        (pill(medicine="Валидол", title="Валидол"), ["body", "reminders", 0, "medicine"],
         "unknown medicine 'Валидол'"),
    ],
)  # fmt: skip
def test_a_bad_schedule_is_refused_naming_the_field(
    fleet: Fleet, reminder: dict[str, Any], where: list[Any], words: str
) -> None:
    resident = add_resident(fleet)
    found = problems(put(fleet, resident, schedule(reminder)))
    assert len(found) == 1
    loc, message = found[0]
    # The model itself may refuse a rule (then pydantic names the reminder, not its field).
    assert loc in (where, where[:-1]), loc
    assert words in message
    assert put(fleet, resident, schedule()).json()["version"] == 1  # nothing was stored before


def test_model_errors_name_the_field_too(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    zone = problems(put(fleet, resident, {**schedule(), "timezone": "Mars/Olympus"}))
    assert zone[0][0] == ["body", "timezone"] and "unknown time zone" in zone[0][1]
    offset = problems(put(fleet, resident, schedule(pill(start="2026-11-24T08:00:00+03:00"))))
    assert offset[0][0] == ["body", "reminders", 0, "start"]
    no_medicine = problems(put(fleet, resident, schedule(pill(medicine=""))))
    assert "must name its medicine" in no_medicine[0][1]


def test_a_past_one_off_may_stay_when_another_line_is_edited(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    doctor = {
        "id": "doctor",
        "kind": "appointment",
        "title": "Терапевт",
        "start": "2026-11-23T15:00:00",
    }  # fmt: skip  (12:00 local now)
    assert put(fleet, resident, schedule(pill(), doctor)).status_code == 200
    # A day later (the API's tokens follow the wall clock, so the store is asked directly):
    stored = ReminderSchedule.model_validate(schedule(pill(), doctor))
    tomorrow = fleet.context.now() + 86400
    edited = ReminderSchedule.model_validate(schedule(pill(dose="2"), doctor))
    assert check_schedule(edited, tomorrow, previous=stored) == []
    moved = ReminderSchedule.model_validate(schedule(pill(), {**doctor, "title": "Кардиолог"}))
    found = check_schedule(moved, tomorrow, previous=stored)
    assert [(p.loc, "starts in the past" in p.msg) for p in found] == [
        (("reminders", 1, "start"), True)
    ]


def test_a_saved_change_is_sent_retained_to_the_residents_robot(fleet: Fleet) -> None:
    sent: list[tuple[str, bytes, int, bool]] = []
    fleet.context.publish = lambda *message: sent.append(message)
    fleet.context.mqtt_connected = lambda: True
    resident = add_resident(fleet)
    robot_id = rent_robot(fleet, resident)
    assert put(fleet, resident, schedule()).status_code == 200
    assert put(fleet, resident, schedule()).status_code == 200  # unchanged: not sent again
    assert len(sent) == 1
    topic, payload, qos, retain = sent[0]
    assert (topic, qos, retain) == (config_topic(robot_id, "reminders"), 1, True)
    config = decode(DesiredConfig, payload)
    assert config.version == 1
    assert isinstance(config.data, dict) and config.data["reminders"][0]["id"] == "aspirin-morning"

    other = add_resident(fleet)  # no robot: stored, nothing sent
    assert put(fleet, other, schedule()).json()["version"] == 2
    assert len(sent) == 1


def outcome(event_id: str, outcome: str, due: datetime, reminder_id: str = "aspirin-morning",
            ts: float | None = None) -> ReminderOutcomeEvent:  # fmt: skip
    return ReminderOutcomeEvent(
        ts=ts or due.timestamp() + 60, event_id=event_id, reminder_id=reminder_id,
        occurrence_id=event_id.rsplit(":", 1)[0], kind="medication", title="Аспирин",
        medicine="Аспирин", outcome=outcome, due=due,  # type: ignore[arg-type]
    )  # fmt: skip


def test_adherence_counts_per_day_and_per_reminder(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    assert put(fleet, resident, schedule()).status_code == 200
    robot_id = rent_robot(fleet, resident, days_ago=3)
    db, now = fleet.context.db(), fleet.context.now()  # 2026-11-23 12:00 in Moscow
    day = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)  # 08:00 in Moscow
    events = [
        outcome("a-24:snoozed", "snoozed", day + timedelta(days=1)),
        outcome("a-24:taken", "taken", day + timedelta(days=1)),
        outcome("a-25:missed", "missed", day + timedelta(days=2)),
        outcome("e-25:taken", "taken", day + timedelta(days=2, hours=12), reminder_id="evening"),
        # 23:30 UTC on the 22nd is 02:30 on the 23rd in Moscow: counted on the 23rd.
        outcome(
            "n-25:taken", "taken", datetime(2026, 11, 22, 23, 30, tzinfo=UTC), reminder_id="evening"
        ),
    ]
    for event in events:
        assert record_outcome(db, robot_id, event, now).created
    assert not record_outcome(db, robot_id, events[1], now).created  # once, however often

    response = fleet.client.get(
        f"{API}/residents/{resident}/adherence",
        params={"days": 3},
        headers=auth(fleet, "operator@a.example"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["first_day"], body["last_day"], body["timezone"]) == (
        "2026-11-21", "2026-11-23", MOSCOW
    )  # fmt: skip
    days = {
        d["day"]: (d["taken"], d["snoozed"], d["missed"], d["taken_ratio"]) for d in body["days"]
    }
    assert days == {
        "2026-11-21": (0, 0, 0, None),
        "2026-11-22": (1, 1, 0, 1.0),
        "2026-11-23": (2, 0, 1, 0.6667),
    }
    per_reminder = {
        r["reminder_id"]: (r["title"], r["taken"], r["missed"]) for r in body["reminders"]
    }
    assert per_reminder == {"aspirin-morning": ("Аспирин", 1, 1), "evening": ("Аспирин", 2, 0)}
    assert body["total"] == {"taken": 3, "snoozed": 1, "missed": 1, "taken_ratio": 0.75}

    too_many = fleet.client.get(
        f"{API}/residents/{resident}/adherence", params={"days": 0},
        headers=auth(fleet, "operator@a.example"),
    )  # fmt: skip
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"] == ["query", "days"]


def test_outcomes_are_linked_through_the_rental_active_at_the_event(fleet: Fleet) -> None:
    first, second = add_resident(fleet), add_resident(fleet)
    robot_id = rent_robot(fleet, first, days_ago=2)
    db, now = fleet.context.db(), fleet.context.now()
    [rental] = db.execute("SELECT id FROM rentals WHERE robot_id = ?", (robot_id,)).fetchall()
    return_rental(db, fleet.agency_a, rental[0], user_id=None, now=now - 86400)
    set_robot_status(db, fleet.agency_a, robot_id, "in_stock", user_id=None, action="serviced",
                     now=now - 86400)  # fmt: skip
    again = create_rental(
        db, fleet.agency_a, robot_id=robot_id, resident_id=second, starts_on="2026-11-23",
        user_id=None, now=now - 3600,
    )  # fmt: skip
    hand_over(db, fleet.agency_a, again, user_id=None, now=now - 3600)
    due = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    late = record_outcome(db, robot_id, outcome("x:taken", "taken", due, ts=now - 1.5 * 86400), now)
    during = record_outcome(db, robot_id, outcome("y:taken", "taken", due, ts=now + 60), now)
    # A robot clock behind the fleet's: what it reports now is its current resident's.
    early = record_outcome(db, robot_id, outcome("z:taken", "taken", due, ts=now - 7200), now)
    assert (late.resident_id, during.resident_id, early.resident_id) == (first, second, second)


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
X-WR-TIMEZONE:Asia/Yekaterinburg
BEGIN:VEVENT
UID:enalapril-morning
SUMMARY:Эналаприл
DTSTART;TZID=Asia/Yekaterinburg:20261124T080000
RRULE:{rule}
X-HOMECARE-KIND:medication
X-HOMECARE-MEDICINE:Эналаприл
X-HOMECARE-DOSE:5 мг
END:VEVENT
END:VCALENDAR
"""


def upload(fleet: Fleet, resident: int, text: str, who: str = "caregiver", **kwargs: Any) -> Any:
    if "files" not in kwargs:
        kwargs = {"content": text.encode(), "headers_extra": {"Content-Type": "text/calendar"}}
    extra = kwargs.pop("headers_extra", {})
    return fleet.client.post(
        f"{API}/residents/{resident}/reminders/ics",
        headers={**auth(fleet, f"{who}@a.example"), **extra},
        **kwargs,
    )


def test_an_ics_upload_replaces_the_schedule_and_downloads_back(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    uploaded = upload(fleet, resident, ICS.format(rule="FREQ=DAILY"))
    assert uploaded.status_code == 200, uploaded.text
    body = uploaded.json()
    assert (body["version"], body["timezone"]) == (1, "Asia/Yekaterinburg")
    assert [(r["id"], r["medicine"], r["dose"], r["rrule"]) for r in body["reminders"]] == [
        ("enalapril-morning", "Эналаприл", "5 мг", "FREQ=DAILY")
    ]
    downloaded = fleet.client.get(
        f"{API}/residents/{resident}/reminders.ics", headers=auth(fleet, "operator@a.example")
    )
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"].startswith("text/calendar")
    assert "attachment" in downloaded.headers["content-disposition"]
    assert "BEGIN:VCALENDAR" in downloaded.text and "Эналаприл" in downloaded.text
    again = upload(fleet, resident, "", files={"file": ("r.ics", downloaded.content)})
    assert again.status_code == 200, again.text
    assert again.json()["version"] == 1  # the same schedule: no new version


def test_a_bad_ics_upload_is_refused_with_a_clear_message(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    bad_rule = problems(upload(fleet, resident, ICS.format(rule="FREQ=SOMETIMES")))
    assert bad_rule[0][0] == ["body", "ics"]
    assert "enalapril-morning" in bad_rule[0][1] or "Эналаприл" in bad_rule[0][1]
    not_ics = problems(upload(fleet, resident, "hello"))
    assert "VCALENDAR" in not_ics[0][1]
    past = (
        ICS.format(rule="FREQ=DAILY")
        .replace("RRULE:FREQ=DAILY\n", "")
        .replace("20261124T080000", "20261101T080000")
    )
    assert problems(upload(fleet, resident, past))[0] == (
        ["body", "reminders", 0, "start"],
        "starts in the past (2026-11-01T08:00:00 in Asia/Yekaterinburg)",
    )
    empty = upload(fleet, resident, "")
    assert empty.status_code == 400 and "no calendar" in empty.json()["detail"]
    assert upload(fleet, resident, ICS.format(rule="FREQ=DAILY"), who="operator").status_code == 403
    assert (
        fleet.client.get(
            f"{API}/residents/{resident}/reminders", headers=auth(fleet, "operator@a.example")
        ).json()["version"]
        == 0
    )
