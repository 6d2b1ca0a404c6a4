"""Appointment events in the MQTT ingest: a booking by voice (or its refusal), a rating after
a visit and a complaint; each kept once per robot and event_id for the robot's resident;
garbage counted, never fatal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from fleet.mqtt_ingest import FleetIngest
from fleet.protocol import DesiredConfig, config_topic, decode
from fleet.store import appointments as store
from fleet.store import open_database
from fleet.store.reminders import get_schedule
from homecare.clock import ManualClock
from tests.fleet_api import START
from tests.unit.test_fleet_ingest import deliver
from tests.unit.test_fleet_reminders_ingest import rented_robot

NOW = START.timestamp()
AGENCY = 1


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_database(tmp_path / "fleet.db", ManualClock(START))


@pytest.fixture
def ingest(db: sqlite_utils.Database) -> Iterator[FleetIngest]:
    yield FleetIngest(db, ManualClock(START), "127.0.0.1", 1, batch_size=1)


def event(kind: str, event_id: str = "e1", **fields: Any) -> dict[str, Any]:
    return {"type": kind, "ts": NOW - 60, "event_id": event_id, **fields}


def free_slots(db: sqlite_utils.Database, count: int = 2) -> list[int]:
    specialist = store.create_specialist(db, AGENCY, {"name": "Ирина", "role": "юрист"},
                                         user_id=None, now=NOW)  # fmt: skip
    first = START.replace(day=25, hour=7)
    slots = store.create_slots(db, AGENCY, specialist.id, store.series_starts(first, count),
                               duration_min=30, mode="video", place="", user_id=None,
                               now=NOW)  # fmt: skip
    return [slot.id for slot in slots]


def test_a_booking_by_voice_is_made_once_and_a_taken_slot_is_refused_for_the_dashboard(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    robot_id, resident = rented_robot(db)
    topic = f"hc/v1/r/{robot_id}/event"
    slot, other = free_slots(db)
    deliver(ingest, topic, event("appointment.book", "b1", slot_id=str(slot)))
    deliver(ingest, topic, event("appointment.book", "b1", slot_id=str(slot)))  # QoS 1 again
    (booked,) = store.list_appointments(db, AGENCY, resident)
    assert (booked.slot_id, booked.source, booked.status) == (slot, "voice", "booked")
    reminder_ids = [r.id for r in get_schedule(db, AGENCY, resident).schedule.reminders]
    assert reminder_ids == [booked.reminder_id]
    assert ingest.counters["appointment_book_stored"] == 1
    assert ingest.counters["appointment_book_duplicate"] == 1

    deliver(ingest, topic, event("appointment.book", "b2", slot_id=str(slot)))  # taken
    deliver(ingest, topic, event("appointment.book", "b3", slot_id="no-such-slot"))
    assert ingest.counters["appointment_book_refused"] == 2
    refusals = store.list_refusals(db, AGENCY, resident)
    assert [(r.slot_id, r.reason) for r in refusals] == [
        ("no-such-slot", "slot no-such-slot not found"),
        (str(slot), f"slot {slot} is already booked"),
    ]
    assert len(store.list_appointments(db, AGENCY, resident)) == 1
    assert [s.id for s in store.free_slots(db, AGENCY, NOW)] == [other]
    assert ingest.counters["bad_payloads"] == 0 and ingest.counters["errors"] == 0


def test_a_rating_is_kept_once_per_appointment_with_skipped_criteria(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    robot_id, resident = rented_robot(db)
    topic = f"hc/v1/r/{robot_id}/event"
    (slot,) = free_slots(db, 1)
    appointment = store.book(db, AGENCY, resident, slot, source="staff", user_id=None,
                             robot_id=None, now=NOW)  # fmt: skip
    scores = {"time_to_service": 4, "courtesy": 5, "information": None}
    rating = event("service.rating", "r1", appointment_id=str(appointment.id), scores=scores,
                   comment="Спасибо, всё объяснили")  # fmt: skip
    deliver(ingest, topic, rating)
    deliver(ingest, topic, rating)
    deliver(ingest, topic, {**rating, "event_id": "r2", "scores": {"courtesy": 1}})
    deliver(ingest, topic, event("service.rating", "r3", appointment_id="999", scores={}))
    assert (ingest.counters["service_rating_stored"], ingest.counters["service_rating_duplicate"],
            ingest.counters["service_rating_ignored"]) == (1, 1, 2)  # fmt: skip
    row = db.execute("SELECT time_to_service, waiting_time, courtesy, comfort, information,"
                     " comment FROM service_ratings").fetchall()  # fmt: skip
    assert [tuple(r) for r in row] == [(4, None, 5, None, None, "Спасибо, всё объяснили")]
    assert store.get_appointment(db, AGENCY, appointment.id).rated is True


def test_a_complaint_by_voice_is_filed_once_with_its_deadline(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    robot_id, resident = rented_robot(db)
    topic = f"hc/v1/r/{robot_id}/event"
    complaint = event("complaint.filed", "c1", ground="missed_deadline",
                      text="Обещали позвонить и не позвонили", appointment_id="12345")  # fmt: skip
    deliver(ingest, topic, complaint)
    deliver(ingest, topic, complaint)
    deliver(ingest, topic, event("complaint.filed", "c2", ground="other", appointment_id=None))
    found = store.list_complaints(db, AGENCY, status=None, now=NOW)
    assert [(c.ground, c.source, c.resident_id, c.appointment_id) for c in found] == [
        ("missed_deadline", "voice", resident, None), ("other", "voice", resident, None),
    ]  # fmt: skip
    assert found[0].due_at == NOW - 60 + 15 * 86400 and found[0].status == "open"
    assert ingest.counters["complaint_filed_duplicate"] == 1


@pytest.mark.parametrize(
    "payload",
    [
        event("appointment.book"),
        event("appointment.book", slot_id=""),
        event("service.rating", appointment_id="1", scores={"courtesy": 6}),
        event("service.rating", appointment_id="1", scores={"courtesy": "5"}),
        event("service.rating", appointment_id="1", scores={"courtesy": True}),
        event("service.rating", appointment_id="1", scores={"speed": 3}),
        event("service.rating", appointment_id="1", scores=[5, 5]),
        event("service.rating", appointment_id="1", scores={}, comment="x" * 3000),
        event("complaint.filed", ground="weather", text="?"),
        event("complaint.filed", ground="refusal", text=["a"]),
        {"type": "complaint.filed", "ts": NOW, "ground": "other"},
    ],
)
def test_garbage_is_counted_and_stores_nothing(
    ingest: FleetIngest, db: sqlite_utils.Database, payload: dict[str, Any]
) -> None:
    robot_id, _ = rented_robot(db)
    deliver(ingest, f"hc/v1/r/{robot_id}/event", payload)
    assert ingest.counters["bad_payloads"] == 1 and ingest.counters["errors"] == 0
    for table in ("appointments", "service_ratings", "complaints", "appointment_events",
                  "appointment_refusals"):  # fmt: skip
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table


def test_events_of_a_robot_without_a_rental_are_counted_and_dropped(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    deliver(ingest, "hc/v1/r/r-nobody00001/event", event("complaint.filed", ground="other"))
    assert ingest.counters["complaint_filed_no_rental"] == 1
    assert db.execute("SELECT COUNT(*) FROM complaints").fetchone()[0] == 0


def test_a_booking_goes_back_to_the_robot_with_its_reminder(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    robot_id, _ = rented_robot(db)
    (slot,) = free_slots(db, 1)
    sent: list[tuple[str, bytes, int, bool]] = []
    ingest.publish = lambda *message: sent.append(message)  # type: ignore[method-assign]
    ingest.connected.set()
    deliver(ingest, f"hc/v1/r/{robot_id}/event", event("appointment.book", slot_id=str(slot)))
    topics = sorted(topic for topic, *_ in sent)
    assert topics == [config_topic(robot_id, "appointments"), config_topic(robot_id, "reminders")]
    data = decode(DesiredConfig, next(p for t, p, *_ in sent if t.endswith("appointments"))).data
    assert isinstance(data, dict) and data["free_slots"] == []
    assert [a["slot_id"] for a in data["appointments"]] == [str(slot)]
