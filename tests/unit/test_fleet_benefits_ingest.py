"""Benefits events in the MQTT ingest: a profile said with consent, its deletion, and an
appointment request; each kept once per event_id for the robot's resident; garbage counted,
never fatal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from fleet.mqtt_ingest import FleetIngest
from fleet.protocol import DesiredConfig, config_topic, decode
from fleet.store import benefits as store
from fleet.store import open_database
from homecare.clock import ManualClock
from tests.fleet_api import START
from tests.unit.test_fleet_ingest import deliver
from tests.unit.test_fleet_reminders_ingest import rented_robot

NOW = START.timestamp()


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_database(tmp_path / "fleet.db", ManualClock(START))


@pytest.fixture
def ingest(db: sqlite_utils.Database) -> Iterator[FleetIngest]:
    yield FleetIngest(db, ManualClock(START), "127.0.0.1", 1, batch_size=1)


def event(kind: str, event_id: str = "e1", **fields: Any) -> dict[str, Any]:
    return {"type": kind, "ts": NOW - 60, "event_id": event_id, **fields}


def profile_of(db: sqlite_utils.Database, resident: int) -> store.StoredProfile:
    return store.get_profile(db, 1, resident)


def test_a_profile_said_with_consent_is_merged_once_and_can_be_deleted(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    robot_id, resident = rented_robot(db)
    topic = f"hc/v1/r/{robot_id}/event"
    store.put_profile(db, 1, resident, {"has_ipra": True}, source="staff", user_id=None, now=NOW)
    said = {"disability_group": 2, "per_capita_income_rub": 12000, "titles": ["veteran_of_labour"]}
    deliver(ingest, topic, event("benefits.profile", facts=said, consent=True))
    deliver(ingest, topic, event("benefits.profile", facts=said, consent=True))  # QoS 1 again
    stored = profile_of(db, resident)
    assert stored.source == "voice" and stored.facts == {"has_ipra": True, **said}
    assert ingest.counters["benefits_profile_stored"] == 1
    assert ingest.counters["benefits_profile_duplicate"] == 1

    # A fact sent as null is forgotten; "no disability group" (null) is an answer.
    deliver(ingest, topic, event("benefits.profile", "e2", facts={"has_ipra": None,
            "disability_group": None}, consent=True))  # fmt: skip
    assert profile_of(db, resident).facts == {
        "disability_group": None, "per_capita_income_rub": 12000.0,
        "titles": ["veteran_of_labour"],
    }  # fmt: skip

    deliver(ingest, topic, event("benefits.profile_deleted", "e3"))
    deliver(ingest, topic, event("benefits.profile_deleted", "e3"))
    assert profile_of(db, resident).source is None
    assert ingest.counters["benefits_profile_deleted_stored"] == 1
    assert ingest.counters["bad_payloads"] == 0


def test_a_stored_profile_goes_back_to_the_robot_with_the_record_facts(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    robot_id, _ = rented_robot(db)
    sent: list[tuple[str, bytes, int, bool]] = []
    ingest.publish = lambda *message: sent.append(message)  # type: ignore[method-assign]
    ingest.connected.set()
    deliver(ingest, f"hc/v1/r/{robot_id}/event",
            event("benefits.profile", facts={"has_ipra": True}, consent=True))  # fmt: skip
    assert [topic for topic, *_ in sent] == [config_topic(robot_id, "benefits")]
    data = decode(DesiredConfig, sent[0][1]).data
    assert isinstance(data, dict) and data["profile"] == {"has_ipra": True, "region": "RU-PER"}


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (event("benefits.profile", facts={"disability_group": 7}, consent=True), "1..3"),
        (event("benefits.profile", facts={"birth_date": "2031-01-01"}, consent=True), "future"),
        (event("benefits.profile", facts={"shoe_size": 44}, consent=True), "unknown fact"),
        (event("benefits.profile", facts={"has_ipra": True}, consent=False), "consent"),
        (event("benefits.profile", facts={"has_ipra": True}), "consent"),
        (event("benefits.profile", facts=["has_ipra"], consent=True), "facts"),
        ({"type": "benefits.profile", "ts": NOW, "facts": {}, "consent": True}, "event_id"),
        (event("appointment.request", agency_id="Not An Id!"), "agency_id"),
        (
            event("appointment.request", agency_id="perm.kcson", measure_ids="ru.nsu"),
            "measure_ids",
        ),
        (event("appointment.request", agency_id="perm.kcson", note="x" * 2000), "note"),
    ],
)
def test_garbage_is_counted_and_stores_nothing(
    ingest: FleetIngest, db: sqlite_utils.Database, payload: dict[str, Any], why: str
) -> None:
    robot_id, resident = rented_robot(db)
    deliver(ingest, f"hc/v1/r/{robot_id}/event", payload)
    assert ingest.counters["bad_payloads"] == 1 and ingest.counters["errors"] == 0
    assert profile_of(db, resident).source is None
    assert store.list_appointment_requests(db, 1, resident) == []
    # The same event id, now valid, is not mistaken for a repeat of the refused one.
    if payload["type"] == "benefits.profile" and "event_id" in payload:
        deliver(ingest, f"hc/v1/r/{robot_id}/event",
                event("benefits.profile", facts={"has_ipra": True}, consent=True))  # fmt: skip
        assert profile_of(db, resident).facts == {"has_ipra": True}


def test_an_appointment_request_is_kept_once_for_the_social_worker(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    robot_id, resident = rented_robot(db)
    topic = f"hc/v1/r/{robot_id}/event"
    note = "Нужна помощь по дому"
    request = event("appointment.request", "req-1", agency_id="perm.kcson",
                    measure_ids=["ru.home_social_services"], note=note)  # fmt: skip
    deliver(ingest, topic, request)
    deliver(ingest, topic, request)
    found = store.list_appointment_requests(db, 1, resident)
    assert [(r.benefits_agency_id, r.measure_ids, r.note, r.done_at) for r in found] == [
        ("perm.kcson", ["ru.home_social_services"], "Нужна помощь по дому", None)
    ]
    assert ingest.counters["appointment_request_duplicate"] == 1
    store.mark_request_done(db, 1, resident, found[0].id, user_id=None, now=NOW)
    assert store.list_appointment_requests(db, 1, resident)[0].done_at == NOW


def test_events_of_a_robot_without_a_rental_are_counted_and_dropped(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    deliver(ingest, "hc/v1/r/r-unknown/event",
            event("benefits.profile", facts={"has_ipra": True}, consent=True))  # fmt: skip
    assert ingest.counters["benefits_profile_no_rental"] == 1
    assert db.execute("SELECT COUNT(*) FROM benefit_profiles").fetchone()[0] == 0
