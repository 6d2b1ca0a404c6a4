"""The MQTT ingest's message handling, fed paho messages directly (no broker)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import sqlite_utils
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from fleet.bad_payloads import BadPayloadLog
from fleet.mqtt_ingest import FleetIngest
from fleet.protocol import MAX_PAYLOAD_BYTES
from fleet.store import open_database
from homecare.clock import ManualClock
from homecare.errors import ConfigError
from tests.fleet_api import START

NOW = START.timestamp()


class RecordingClient:
    """Stands in for paho's client in `on_connect`: records what the ingest asks of it."""

    def __init__(self) -> None:
        self.subscribed: list[tuple[str, int]] = []
        self.unsubscribed: list[str] = []

    def subscribe(self, topics: list[tuple[str, int]]) -> tuple[int, int]:
        self.subscribed.extend(topics)
        return 0, 1

    def unsubscribe(self, topic: str) -> None:
        self.unsubscribed.append(topic)

    def publish(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_database(tmp_path / "fleet.db", ManualClock(START))


@pytest.fixture
def ingest(db: sqlite_utils.Database) -> Iterator[FleetIngest]:
    # Never started: messages are handed to its callback as paho's network thread would.
    yield FleetIngest(db, ManualClock(START), "127.0.0.1", 1, batch_size=1)


def deliver(ingest: FleetIngest, topic: str | bytes, payload: bytes | str | dict[str, Any]) -> None:
    message = mqtt.MQTTMessage(topic=topic if isinstance(topic, bytes) else topic.encode())
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    message.payload = payload.encode() if isinstance(payload, str) else payload
    ingest._on_message(None, None, message)  # type: ignore[arg-type]


def connect(ingest: FleetIngest) -> RecordingClient:
    client = RecordingClient()
    ingest._on_connect(client, None, None, ReasonCode(PacketTypes.CONNACK, "Success"), None)  # type: ignore[arg-type]
    return client


def test_subscriptions_share_only_telemetry(db: sqlite_utils.Database) -> None:
    plain = connect(FleetIngest(db, ManualClock(START), "127.0.0.1", 1))
    assert ("hc/v1/r/+/telemetry", 0) in plain.subscribed and plain.unsubscribed == []
    shared = connect(FleetIngest(db, ManualClock(START), "127.0.0.1", 1, share_group="workers"))
    assert shared.subscribed == [
        ("hc/v1/r/+/alert/+", 1),
        ("hc/v1/r/+/state", 1),
        ("hc/v1/r/+/event", 1),
        ("hc/v1/r/+/cmd_res/+", 1),
        ("hc/v1/r/+/call_res/+", 1),
        ("$share/workers/hc/v1/r/+/telemetry", 0),
    ]
    assert shared.unsubscribed == ["hc/v1/r/+/telemetry"]
    for bad in ("", "a/b", "a+", "#"):
        with pytest.raises(ConfigError, match="share group"):
            FleetIngest(db, ManualClock(START), "127.0.0.1", 1, share_group=bad)


def test_counters_can_be_the_callers(db: sqlite_utils.Database) -> None:
    shared: Counter[str] = Counter()
    ingest = FleetIngest(db, ManualClock(START), "127.0.0.1", 1, counters=shared)
    deliver(ingest, "hc/v1/r/r1/state", {"state": "ready", "ts": NOW})
    assert shared["messages"] == 1 and shared["states"] == 1


def test_events_are_kept_with_their_robot(ingest: FleetIngest, db: sqlite_utils.Database) -> None:
    event = {"type": "dialog.usage", "ts": NOW - 5, "reminder_id": "r7", "outcome": "taken"}
    deliver(ingest, "hc/v1/r/r1/event", event)
    row = db.execute("SELECT robot_id, type, ts, received_at, data FROM robot_events").fetchone()
    assert row[:4] == ("r1", "dialog.usage", NOW - 5, NOW)
    assert json.loads(row[4]) == {"reminder_id": "r7", "outcome": "taken"}
    assert ingest.counters["events"] == 1


def test_command_results_confirm_wipes(ingest: FleetIngest, db: sqlite_utils.Database) -> None:
    db.execute("INSERT INTO agencies (id, name, region, created_at) VALUES (1, 'A', 'RU', 0)")
    db.execute("INSERT INTO robots (id, agency_id, serial, model, mqtt_password_hash, created_at)"
               " VALUES ('r1', 1, 's1', 'HC2', 'x', 0)")  # fmt: skip
    db.execute("INSERT INTO residents (id, agency_id, full_name, created_at) VALUES (1, 1, 'R', 0)")
    db.execute(
        "INSERT INTO rentals (agency_id, robot_id, resident_id, starts_on, status, created_at,"
        " wipe_req_id, wipe_requested_at) VALUES (1, 'r1', 1, '2026-11-01', 'returned', 0,"
        " 'wipe-1', ?)",
        (NOW - 60,),
    )
    deliver(ingest, "hc/v1/r/r1/cmd_res/wipe-1", {"req_id": "wipe-1", "ok": True, "ts": NOW})
    deliver(ingest, "hc/v1/r/r1/cmd_res/other", {"req_id": "other", "ok": True, "ts": NOW})
    deliver(ingest, "hc/v1/r/r1/cmd_res/wipe-1", {"req_id": "wipe-2", "ok": True, "ts": NOW})
    assert db.execute("SELECT wipe_confirmed_at FROM rentals").fetchone() == (NOW,)
    assert ingest.counters["command_results"] == 1
    assert ingest.counters["command_results_unmatched"] == 1
    assert ingest.counters["bad_payloads"] == 1  # req_id differs from the topic's


def test_garbage_of_every_kind_is_counted_and_logged_sparingly(
    ingest: FleetIngest, db: sqlite_utils.Database, caplog: pytest.LogCaptureFixture
) -> None:
    telemetry = {"battery_pct": 50, "charging": False, "ts": NOW}
    garbage: list[tuple[str | bytes, bytes | str | dict[str, Any]]] = [
        ("hc/v1/r/r1/telemetry", b"\xff\xfe\x00"),  # not UTF-8
        ("hc/v1/r/r1/telemetry", "{not json"),
        ("hc/v1/r/r1/telemetry", "[1, 2]"),  # JSON, not an object
        ("hc/v1/r/r1/telemetry", {**telemetry, "battery_pct": 101}),
        ("hc/v1/r/r1/telemetry", b" " * (MAX_PAYLOAD_BYTES + 1)),
        ("hc/v1/r/bad id!/telemetry", telemetry),
        ("hc/v1/r/r1/state", {"state": "dancing", "ts": NOW}),
        (
            "hc/v1/r/r1/alert/a1",
            {"alert_id": "a2", "kind": "fall", "severity": "critical", "ts": NOW},
        ),
        ("hc/v1/r/r1/ack/a1", {"alert_id": "a1", "incident_id": "1", "ts": NOW}),  # not ours
        ("hc/v1/r/r1/event", {"type": "Bad Type", "ts": NOW}),
        ("hc/v1/r/r1/cmd_res/q1", {"req_id": "q1", "ts": NOW}),
        (b"hc/v1/r/r1/\xffstate", b"{}"),  # a topic that is not UTF-8
        ("hc/v1/x", b"{}"),
    ]
    caplog.set_level(logging.WARNING, logger="fleet.ingest")
    for _ in range(100):
        for topic, payload in garbage:
            deliver(ingest, topic, payload)
    assert ingest.counters["bad_payloads"] == 100 * len(garbage)
    assert ingest.counters["errors"] == 0
    assert db.execute("SELECT COUNT(*) FROM telemetry").fetchone()[0] == 0
    assert len(caplog.records) <= ingest.bad_payload_log.first + 1
    deliver(ingest, "hc/v1/r/r1/telemetry", telemetry)  # still consuming
    assert db.execute("SELECT COUNT(*) FROM telemetry").fetchone()[0] == 1


def test_a_store_failure_is_counted_not_raised(
    ingest: FleetIngest, db: sqlite_utils.Database
) -> None:
    db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON incidents BEGIN SELECT RAISE(ABORT, 'no'); END"
    )
    alert = {"alert_id": "a1", "kind": "fall", "severity": "critical", "ts": NOW}
    deliver(ingest, "hc/v1/r/r1/alert/a1", alert)
    assert ingest.counters["errors"] == 1 and ingest.counters["incidents_created"] == 0
    db.execute("DROP TRIGGER refuse")
    deliver(ingest, "hc/v1/r/r1/alert/a1", alert)  # the robot's resend
    assert ingest.counters["incidents_created"] == 1


def test_the_bad_payload_log_summarizes_after_the_first_few(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock(START)
    logger = logging.getLogger("test.bad_payloads")
    caplog.set_level(logging.WARNING, logger="test.bad_payloads")
    bad_log = BadPayloadLog(logger, clock, first=3, period_s=60)
    for index in range(50):
        bad_log.bad(f"hc/v1/r/r{index}/state", "line one\nline two")
    assert len(caplog.records) == 4  # three, then "from now on one summary every 60 s"
    assert all("\n" not in record.getMessage() for record in caplog.records)
    clock.advance(60)
    bad_log.bad("hc/v1/r/last/state", "the latest reason")
    summary = caplog.records[-1].getMessage()
    assert "suppressed=48" in summary and "the latest reason" in summary
    bad_log.summarize()  # nothing more suppressed: nothing logged
    assert len(caplog.records) == 5
