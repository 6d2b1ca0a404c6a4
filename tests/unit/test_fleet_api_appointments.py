"""The appointments API: specialists and slots, booking with its reminder, double booking,
cancelling, complaints with their 15-day deadline, ratings per month, roles, publishing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlite_utils

from benefits.visits.model import parse_appointments_config
from fleet.protocol import DesiredConfig, config_topic, decode
from fleet.store import appointments as store
from fleet.store.common import ConflictError
from fleet.store.rentals import create_rental, hand_over, return_rental
from fleet.store.robots import create_robot
from tests.fleet_api import Fleet
from tests.unit.test_fleet_api_reminders import add_resident, auth

API = "/api/v1"
SOCIAL = "social@a.example"
SLOT_START = "2026-11-25T10:00:00+05:00"  # 05:00 UTC, 08:00 in Moscow (the default zone)


def make_appointment_objects(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, now: float
) -> dict[str, str]:
    """A specialist with a booked and a free slot, the appointment and a complaint of
    `resident_id` (for tests of tenant isolation): kind -> id."""
    specialist = store.create_specialist(db, agency_id, {"name": "Ирина", "role": "юрист"},
                                         user_id=None, now=now)  # fmt: skip
    first = datetime(2027, 1, 11, 9, tzinfo=UTC)
    booked, free = store.create_slots(
        db, agency_id, specialist.id, store.series_starts(first, 2), duration_min=30,
        mode="in_person", place="", user_id=None, now=now,
    )  # fmt: skip
    appointment = store.book(db, agency_id, resident_id, booked.id, source="staff",
                             user_id=None, robot_id=None, now=now)  # fmt: skip
    complaint = store.file_complaint(db, agency_id, resident_id, ground="other", text="?",
                                     appointment_id=None, source="staff", user_id=None,
                                     robot_id=None, filed_at=now, now=now)  # fmt: skip
    return {"specialist": str(specialist.id), "slot": str(free.id),
            "appointment": str(appointment.id), "complaint": str(complaint)}  # fmt: skip


def add_specialist(fleet: Fleet, who: str = SOCIAL, name: str = "Ирина Волкова") -> int:
    response = fleet.client.post(
        f"{API}/specialists", json={"name": name, "role": "специалист по социальной работе"},
        headers=auth(fleet, who),
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def add_slots(fleet: Fleet, specialist: int, **fields: Any) -> list[dict[str, Any]]:
    body = {"starts_at": SLOT_START, "place": "КЦСОН, каб. 5", **fields}
    response = fleet.client.post(
        f"{API}/specialists/{specialist}/slots", json=body, headers=auth(fleet, SOCIAL)
    )
    assert response.status_code == 201, response.text
    slots: list[dict[str, Any]] = response.json()
    return slots


def book(fleet: Fleet, resident: int, slot: int, who: str = SOCIAL) -> Any:
    return fleet.client.post(
        f"{API}/residents/{resident}/appointments", json={"slot_id": slot},
        headers=auth(fleet, who),
    )  # fmt: skip


def reminders(fleet: Fleet, resident: int) -> dict[str, Any]:
    response = fleet.client.get(
        f"{API}/residents/{resident}/reminders", headers=auth(fleet, SOCIAL)
    )
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def rent(fleet: Fleet, resident: int, serial: str = "SN-1") -> tuple[str, int]:
    db, now = fleet.context.db(), fleet.context.now()
    robot = create_robot(db, fleet.agency_a, serial=serial, model="HC2", password_hash="x",
                         user_id=None, now=now)  # fmt: skip
    rental = create_rental(db, fleet.agency_a, robot_id=robot, resident_id=resident,
                           starts_on="2026-11-23", user_id=None, now=now)  # fmt: skip
    hand_over(db, fleet.agency_a, rental, user_id=None, now=now)
    return robot, rental


def test_editors_manage_specialists_and_slots_and_everyone_reads(fleet: Fleet) -> None:
    for who in ("caregiver@a.example", "operator@a.example"):
        refused = fleet.client.post(f"{API}/specialists", json={"name": "X", "role": "Y"},
                                    headers=auth(fleet, who))  # fmt: skip
        assert refused.status_code == 403
    specialist = add_specialist(fleet, "admin@a.example")
    slots = add_slots(fleet, specialist, weeks=3, mode="video")
    assert [s["starts_at"] for s in slots] == [
        "2026-11-25T05:00:00Z", "2026-12-02T05:00:00Z", "2026-12-09T05:00:00Z",
    ]  # fmt: skip
    listed = fleet.client.get(f"{API}/specialists/{specialist}/slots",
                              headers=auth(fleet, "caregiver@a.example"))  # fmt: skip
    assert [(s["mode"], s["booked"]) for s in listed.json()] == [("video", False)] * 3
    other = fleet.client.get(f"{API}/specialists", headers=auth(fleet, "admin@b.example"))
    assert other.json() == []

    patched = fleet.client.patch(f"{API}/specialists/{specialist}", json={"active": False},
                                 headers=auth(fleet, SOCIAL))  # fmt: skip
    assert patched.json()["active"] is False
    deleted = fleet.client.delete(f"{API}/specialists/{specialist}/slots/{slots[0]['id']}",
                                  headers=auth(fleet, SOCIAL))  # fmt: skip
    assert deleted.status_code == 204
    gone = fleet.client.delete(f"{API}/specialists/{specialist}", headers=auth(fleet, SOCIAL))
    assert gone.status_code == 204  # never had an appointment


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"starts_at": "2026-11-20T10:00:00+05:00"}, 422, "in the past"),
        ({"starts_at": "2026-11-25T10:00:00"}, 422, "timezone"),
        ({"mode": "phone"}, 422, "mode"),
        ({"duration_min": 0}, 422, "duration_min"),
        ({"weeks": 500}, 422, "weeks"),
        ({"timezone": "Mars/Olympus"}, 422, "unknown time zone"),
        ({"starts_at": "2026-11-25T10:15:00+05:00"}, 409, "overlaps"),
    ],
)
def test_bad_slots_are_refused_naming_what_is_wrong(
    fleet: Fleet, fields: dict[str, Any], status: int, words: str
) -> None:
    specialist = add_specialist(fleet)
    add_slots(fleet, specialist)
    response = fleet.client.post(
        f"{API}/specialists/{specialist}/slots", json={"starts_at": SLOT_START, **fields},
        headers=auth(fleet, SOCIAL),
    )  # fmt: skip
    assert response.status_code == status and words in response.text


def test_a_weekly_series_keeps_its_wall_clock_time_across_daylight_saving(fleet: Fleet) -> None:
    specialist = add_specialist(fleet)
    slots = add_slots(fleet, specialist, starts_at="2027-03-22T10:00:00+01:00", weeks=2,
                      timezone="Europe/Berlin")  # fmt: skip
    assert [s["starts_at"] for s in slots] == ["2027-03-22T09:00:00Z", "2027-03-29T08:00:00Z"]


def test_booking_adds_a_reminder_a_slot_is_booked_once_and_cancelling_frees_it(
    fleet: Fleet,
) -> None:
    specialist = add_specialist(fleet)
    slot = add_slots(fleet, specialist)[0]["id"]
    anna, boris = add_resident(fleet), add_resident(fleet)
    before = reminders(fleet, anna)["version"]

    booked = book(fleet, anna, slot)
    assert booked.status_code == 201, booked.text
    appointment = booked.json()
    assert (appointment["status"], appointment["source"], appointment["starts_at"]) == (
        "booked", "staff", "2026-11-25T05:00:00Z",
    )  # fmt: skip
    schedule = reminders(fleet, anna)
    assert schedule["version"] > before
    (reminder,) = schedule["reminders"]
    assert reminder["id"] == appointment["reminder_id"]
    assert (reminder["kind"], reminder["start"], reminder["rrule"]) == (
        "appointment", "2026-11-25T08:00:00", "",
    )  # fmt: skip
    assert "Ирина Волкова" in reminder["title"]

    again = book(fleet, boris, slot)
    assert again.status_code == 409 and "already booked" in again.json()["detail"]
    assert reminders(fleet, boris)["reminders"] == []
    assert book(fleet, anna, slot, who="caregiver@a.example").status_code == 403
    assert book(fleet, anna, 987654).status_code == 404

    cancel = f"{API}/appointments/{appointment['id']}/cancel"
    assert fleet.client.post(cancel, headers=auth(fleet, SOCIAL)).json()["status"] == "cancelled"
    assert reminders(fleet, anna)["reminders"] == []
    assert fleet.client.post(cancel, headers=auth(fleet, SOCIAL)).status_code == 409
    assert book(fleet, boris, slot).status_code == 201  # free again
    listed = fleet.client.get(f"{API}/residents/{anna}/appointments", headers=auth(fleet, SOCIAL))
    assert [a["status"] for a in listed.json()] == ["cancelled"]
    refused = fleet.client.delete(f"{API}/specialists/{specialist}/slots/{slot}",
                                  headers=auth(fleet, SOCIAL))  # fmt: skip
    assert refused.status_code == 409
    no_delete = fleet.client.delete(f"{API}/specialists/{specialist}", headers=auth(fleet, SOCIAL))
    assert no_delete.status_code == 409 and "active" in no_delete.text


def test_a_started_slot_cannot_be_booked_and_done_or_no_show_end_a_booking(fleet: Fleet) -> None:
    specialist = add_specialist(fleet)
    first, second = (s["id"] for s in add_slots(fleet, specialist, weeks=2))
    resident = add_resident(fleet)
    done = book(fleet, resident, first).json()
    missed = book(fleet, resident, second).json()
    headers = auth(fleet, SOCIAL)
    marked = fleet.client.post(f"{API}/appointments/{done['id']}/done", headers=headers)
    assert marked.json()["status"] == "done"
    marked = fleet.client.post(f"{API}/appointments/{missed['id']}/no_show", headers=headers)
    assert marked.json()["status"] == "no_show"
    # The reminders stay (they are history now); only a cancel removes one.
    assert len(reminders(fleet, resident)["reminders"]) == 2
    late = add_slots(fleet, specialist, starts_at="2026-12-20T10:00:00+05:00")[0]["id"]
    # (In the store: the API's tokens cannot outlive a clock moved by weeks.)
    with pytest.raises(ConflictError, match="already started"):
        store.book(fleet.context.db(), fleet.agency_a, resident, late, source="staff",
                   user_id=None, robot_id=None, now=fleet.context.now() + 30 * 86400)  # fmt: skip


def test_complaints_are_due_in_15_days_and_answered_once_by_an_editor(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    filed = fleet.client.post(
        f"{API}/residents/{resident}/complaints",
        json={"ground": "extra_documents_or_fees", "text": "Просили справку, которой нет"},
        headers=auth(fleet, "caregiver@a.example"),
    )
    assert filed.status_code == 201, filed.text
    complaint = filed.json()
    assert complaint["due_at"] - complaint["filed_at"] == 15 * 86400
    assert complaint["status"] == "open" and complaint["source"] == "staff"
    bad = fleet.client.post(f"{API}/residents/{resident}/complaints", json={"ground": "weather"},
                            headers=auth(fleet, SOCIAL))  # fmt: skip
    assert bad.status_code == 422 and "ground" in bad.text

    later = fleet.context.now() + 16 * 86400
    overdue = store.list_complaints(fleet.context.db(), fleet.agency_a, status="overdue", now=later)
    assert [c.id for c in overdue] == [complaint["id"]]
    listed = fleet.client.get(f"{API}/complaints", params={"status": "open"},
                              headers=auth(fleet, SOCIAL))  # fmt: skip
    assert [c["id"] for c in listed.json()] == [complaint["id"]]
    url = f"{API}/complaints/{complaint['id']}/answer"
    body = {"text": "Справку больше не требуют, извините."}
    assert fleet.client.post(url, json=body, headers=auth(fleet, "caregiver@a.example")
                             ).status_code == 403  # fmt: skip
    answered = fleet.client.post(url, json=body, headers=auth(fleet, SOCIAL))
    assert answered.json()["status"] == "answered"
    assert fleet.client.post(url, json=body, headers=auth(fleet, SOCIAL)).status_code == 409
    assert fleet.client.post(url, json={"text": ""}, headers=auth(fleet, SOCIAL)).status_code == 422
    for state, expected in (("answered", 1), ("open", 0), ("overdue", 0)):
        found = fleet.client.get(f"{API}/complaints", params={"status": state},
                                 headers=auth(fleet, SOCIAL))  # fmt: skip
        assert len(found.json()) == expected
    other = fleet.client.get(f"{API}/complaints/{complaint['id']}",
                             headers=auth(fleet, "admin@b.example"))  # fmt: skip
    assert other.status_code == 404


def rate(fleet: Fleet, robot: str, appointment: int, event_id: str, **scores: int) -> str:
    now = fleet.context.now()
    outcome, _ = store.rate_by_voice(
        fleet.context.db(), robot, event_id, str(appointment), scores=scores,
        comment="Всё хорошо", ts=now, now=now,
    )  # fmt: skip
    return outcome


def test_ratings_are_averaged_per_criterion_per_month(fleet: Fleet) -> None:
    specialist = add_specialist(fleet)
    slots = [s["id"] for s in add_slots(fleet, specialist, weeks=3)]
    resident = add_resident(fleet)
    robot, _ = rent(fleet, resident)
    ids = [book(fleet, resident, slot).json()["id"] for slot in slots]
    db = fleet.context.db()
    december = 1796601600.0  # 2026-12-08 UTC
    for index, (appointment, scores) in enumerate(zip(ids, [
        {"courtesy": 5, "comfort": 4}, {"courtesy": 3}, {"courtesy": 4, "information": 2},
    ], strict=True)):  # fmt: skip
        outcome, _ = store.rate_by_voice(
            db, robot, f"r{index}", str(appointment), scores=scores,
            comment="" if index else "Отлично",
            ts=december if index else fleet.context.now(), now=december + 86400,
        )  # fmt: skip
        assert outcome == "stored"
    second, _ = store.rate_by_voice(db, robot, "r9", str(ids[0]), scores={"courtesy": 1},
                                    comment="", ts=december, now=december)  # fmt: skip
    assert second == "ignored"  # one rating per appointment
    response = fleet.client.get(f"{API}/specialists/{specialist}/ratings", params={"months": 2},
                                headers=auth(fleet, "caregiver@a.example"))  # fmt: skip
    assert response.json()["criteria"] == list(store.CRITERIA)
    assert [c["text"] for c in response.json()["comments"]] == ["Отлично"]
    months = response.json()["months"]
    assert [(m["month"], m["count"]) for m in months] == [("2026-10", 0), ("2026-11", 1)]
    assert months[1]["averages"] == {
        "time_to_service": None, "waiting_time": None, "courtesy": 5.0, "comfort": 4.0,
        "information": None,
    }  # fmt: skip
    found = store.ratings_by_month(db, fleet.agency_a, specialist, months=2,
                                   now=december + 20 * 86400)  # fmt: skip
    assert [(m.month, m.count) for m in found] == [("2026-11", 1), ("2026-12", 2)]
    assert found[1].averages == {"time_to_service": None, "waiting_time": None,
                                 "courtesy": 3.5, "comfort": None, "information": 2.0}  # fmt: skip


def test_booking_sends_reminders_and_appointments_to_the_residents_robot(fleet: Fleet) -> None:
    sent: list[tuple[str, bytes, int, bool]] = []
    fleet.context.publish = lambda *message: sent.append(message)
    specialist = add_specialist(fleet)
    resident = add_resident(fleet)
    robot, _ = rent(fleet, resident)
    slot = add_slots(fleet, specialist)[0]["id"]
    assert [t for t, *_ in sent] == [config_topic(robot, "appointments")]
    first = decode(DesiredConfig, sent[-1][1]).data
    assert isinstance(first, dict) and first["timezone"] == "Europe/Moscow"
    assert first["free_slots"] == [{
        "slot_id": str(slot), "specialist": {"id": str(specialist), "name": "Ирина Волкова",
        "role": "специалист по социальной работе"}, "agency": "Agency A",
        "starts_at": "2026-11-25T08:00:00+03:00", "duration_min": 30, "mode": "in_person",
        "place": "КЦСОН, каб. 5",
    }]  # fmt: skip

    # A specialist of a catalog agency (unit) is announced with its name.
    fleet.client.patch(f"{API}/specialists/{specialist}", json={"benefits_agency_id":
                       "perm.kcson"}, headers=auth(fleet, SOCIAL))  # fmt: skip
    unit = decode(DesiredConfig, sent[-1][1]).data
    assert isinstance(unit, dict) and "КЦСОН" in unit["free_slots"][0]["agency"]

    sent.clear()
    appointment = book(fleet, resident, slot).json()
    assert sorted(t for t, *_ in sent) == [config_topic(robot, "appointments"),
                                          config_topic(robot, "reminders")]  # fmt: skip
    config = decode(DesiredConfig, next(p for t, p, *_ in sent if t.endswith("appointments")))
    assert isinstance(config.data, dict) and config.version == 3
    assert config.data["free_slots"] == []
    # What the robot side reads (benefits.visits) takes it as it is.
    parsed = parse_appointments_config(config.data)
    assert parsed.booked_for(str(slot)) is not None and not parsed.free_slots
    (booked,) = config.data["appointments"]
    assert (booked["appointment_id"], booked["slot_id"], booked["status"], booked["rated"]) == (
        str(appointment["id"]), str(slot), "booked", False,
    )  # fmt: skip


def test_erasing_a_resident_deletes_their_words_and_keeps_the_scores(fleet: Fleet) -> None:
    specialist = add_specialist(fleet)
    slot = add_slots(fleet, specialist)[0]["id"]
    resident = add_resident(fleet)
    robot, rental = rent(fleet, resident)
    appointment = book(fleet, resident, slot).json()["id"]
    db = fleet.context.db()
    assert rate(fleet, robot, appointment, "r1", courtesy=5) == "stored"
    now = fleet.context.now()
    filed, _ = store.complain_by_voice(
        db, robot, "c1", ground="rude_treatment", text="Нагрубили",
        appointment_id=str(appointment), ts=now, now=now,
    )  # fmt: skip
    assert filed == "stored"
    return_rental(db, fleet.agency_a, rental, user_id=None, now=fleet.context.now())
    erased = fleet.client.delete(
        f"{API}/residents/{resident}", headers=auth(fleet, "admin@a.example")
    )
    assert erased.status_code == 204, erased.text
    (complaint,) = store.list_complaints(db, fleet.agency_a, status=None, now=0.0)
    assert (complaint.text, complaint.resident_id, complaint.ground) == ("", None, "rude_treatment")
    row = db.execute("SELECT comment, resident_id, courtesy FROM service_ratings").fetchone()
    assert tuple(row) == ("", None, 5)
    assert db.execute("SELECT COUNT(*) FROM appointments").fetchone()[0] == 0


def test_the_database_itself_refuses_a_second_live_booking_of_a_slot(fleet: Fleet) -> None:
    """The check in `book` runs in a write transaction; the unique index is the backstop
    (another process, a future code path) that makes a double booking impossible."""
    specialist = add_specialist(fleet)
    slot = add_slots(fleet, specialist)[0]["id"]
    resident = add_resident(fleet)
    assert book(fleet, resident, slot).status_code == 201
    db = fleet.context.db()
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute(
            "INSERT INTO appointments (agency_id, resident_id, slot_id, specialist_id, starts_at,"
            " duration_min, mode, source, reminder_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 0, 30, 'video', 'staff', 'x', 0, 0)",
            (fleet.agency_a, resident, slot, specialist),
        )
