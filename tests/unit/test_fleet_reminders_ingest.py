"""`reminder.outcome` events in the MQTT ingest: checked, kept once, linked to the resident;
garbage counted, never fatal; other events as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from fleet.mqtt_ingest import FleetIngest
from fleet.store import open_database
from fleet.store.accounts import create_agency
from fleet.store.reminders import outcome_rows
from fleet.store.rentals import create_rental, hand_over
from fleet.store.residents import create_resident
from fleet.store.robots import create_robot
from homecare.clock import ManualClock
from tests.fleet_api import START
from tests.unit.test_fleet_ingest import deliver

NOW = START.timestamp()


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_database(tmp_path / "fleet.db", ManualClock(START))


@pytest.fixture
def ingest(db: sqlite_utils.Database) -> Iterator[FleetIngest]:
    yield FleetIngest(db, ManualClock(START), "127.0.0.1", 1, batch_size=1)


def rented_robot(db: sqlite_utils.Database) -> tuple[str, int]:
    agency = create_agency(db, "A", "RU-PER", 0.0)
    robot_id = create_robot(
        db, agency, serial="S1", model="HC2", password_hash="x", user_id=None, now=NOW - 7200
    )
    resident = create_resident(db, agency, {"full_name": "Анна"}, user_id=None, now=NOW - 7200)
    rental = create_rental(
        db, agency, robot_id=robot_id, resident_id=resident, starts_on="2026-11-23",
        user_id=None, now=NOW - 7200,
    )  # fmt: skip
    hand_over(db, agency, rental, user_id=None, now=NOW - 3600)
    return robot_id, resident


def outcome(**changes: Any) -> dict[str, Any]:
    return {
        "type": "reminder.outcome",
        "ts": NOW - 60,
        "event_id": "aspirin@2026-11-23T08:00:00+03:00:taken",
        "reminder_id": "aspirin",
        "occurrence_id": "aspirin@2026-11-23T08:00:00+03:00",
        "kind": "medication",
        "title": "Аспирин",
        "medicine": "Аспирин",
        "outcome": "taken",
        "due": "2026-11-23T08:00:00+03:00",
        "prompts": 2,
        **changes,
    }


def test_an_outcome_is_kept_once_and_linked_to_the_resident(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    robot_id, resident = rented_robot(db)
    topic = f"hc/v1/r/{robot_id}/event"
    deliver(ingest, topic, outcome())
    deliver(ingest, topic, outcome())  # QoS 1: the same event again
    deliver(ingest, topic, outcome(event_id="aspirin@x:missed", outcome="missed"))
    rows = outcome_rows(db, robot_id)
    assert [(r["event_id"], r["resident_id"], r["outcome"]) for r in rows] == [
        ("aspirin@2026-11-23T08:00:00+03:00:taken", resident, "taken"),
        ("aspirin@x:missed", resident, "missed"),
    ]
    assert rows[0]["due"] == "2026-11-23T08:00:00+03:00"
    counters = ingest.counters
    assert (counters["reminder_outcomes"], counters["reminder_duplicates"]) == (2, 1)
    assert counters["bad_payloads"] == 0
    assert db.execute("SELECT COUNT(*) FROM robot_events").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (outcome(event_id=None), "ReminderOutcomeEvent.event_id"),
        (outcome(outcome="maybe"), "ReminderOutcomeEvent.outcome"),
        (outcome(kind="party"), "ReminderOutcomeEvent.kind"),
        (outcome(due="tomorrow"), "ReminderOutcomeEvent.due"),
        (outcome(due="2026-11-23T08:00:00"), "needs an offset"),
        (outcome(reminder_id="bad id/#"), "ReminderOutcomeEvent.reminder_id"),
        (outcome(prompts=-1), "ReminderOutcomeEvent.prompts"),
        (outcome(ts=-5), "RobotEvent.ts"),
        ('{"type": "reminder.outcome"', "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_bad_outcome_is_counted_and_the_next_one_still_lands(
    ingest: FleetIngest,
    db: sqlite_utils.Database,
    caplog: pytest.LogCaptureFixture,
    payload: Any,
    reason: str,
) -> None:
    robot_id, _ = rented_robot(db)
    topic = f"hc/v1/r/{robot_id}/event"
    if isinstance(payload, dict):
        payload = json.dumps({k: v for k, v in payload.items() if v is not None})
    deliver(ingest, topic, payload)
    assert ingest.counters["bad_payloads"] == 1
    assert reason in caplog.text
    assert outcome_rows(db, robot_id) == []
    deliver(ingest, topic, outcome())
    assert len(outcome_rows(db, robot_id)) == 1


def test_an_outcome_stamped_before_the_hand_over_goes_to_the_current_resident(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    # A robot clock behind the fleet's (or a simulated day): the robot was wiped before
    # this rental, so what it reports now is its current resident's.
    robot_id, resident = rented_robot(db)
    deliver(ingest, f"hc/v1/r/{robot_id}/event", outcome(ts=NOW - 86400))
    assert [r["resident_id"] for r in outcome_rows(db, robot_id)] == [resident]


def test_an_outcome_from_a_robot_never_rented_is_kept_without_a_resident(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    agency = create_agency(db, "A", "RU-PER", 0.0)
    robot_id = create_robot(
        db, agency, serial="S9", model="HC2", password_hash="x", user_id=None, now=NOW - 7200
    )
    deliver(ingest, f"hc/v1/r/{robot_id}/event", outcome())
    assert [r["resident_id"] for r in outcome_rows(db, robot_id)] == [None]
    assert ingest.counters["reminder_outcomes_without_rental"] == 1


def test_other_events_are_kept_as_before(ingest: FleetIngest, db: sqlite_utils.Database) -> None:
    deliver(ingest, "hc/v1/r/r1/event", {"type": "dialog.rating", "ts": NOW - 5, "stars": 5})
    row = db.execute("SELECT robot_id, type, data FROM robot_events").fetchone()
    assert (row[0], row[1], json.loads(row[2])) == ("r1", "dialog.rating", {"stars": 5})
    assert ingest.counters["events"] == 1
