"""Reminder outcomes leave the robot durably: kept in SQLite until the broker's PUBACK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fleet import protocol
from homecare.clock import ManualClock
from reminders.model import ReminderOutcomeEvent
from robot.fleet_link.events import EventDelivery, EventOutbox, outcome_event
from robot.fleet_link.link import FleetLink
from robot.fleet_link.mqtt import Inbound
from robot.fleet_link.outbox import AlertOutbox
from robot.fleet_link.wipe import wipe_resident_data
from robot.nodes.fleet_link_node import FleetLinkNode
from robot.runtime import EVENTS, LocalRuntime
from robot.runtime.stamps import header, time_message
from tests.unit.test_fleet_link_fleet_state import FakeConnection as PlainConnection

DUE = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
TOPIC = protocol.event_topic("r1")


@dataclass
class Sent:
    topic: str
    payload: bytes
    qos: int
    acked: bool = False

    def is_published(self) -> bool:
        return self.acked


class FakeConnection:
    """Hands out a `Sent` per publish; the test plays the broker by setting `acked`."""

    def __init__(self, connected: bool = True) -> None:
        self.connected = connected
        self.sent: list[Sent] = []

    def publish_tracked(self, topic: str, payload: bytes, qos: int = 1) -> Sent | None:
        if not self.connected:
            return None
        message = Sent(topic, payload, qos)
        self.sent.append(message)
        return message

    def ack_all(self) -> None:
        for message in self.sent:
            message.acked = True


def event(
    outcome: str = "taken", occurrence: str = "aspirin@2026-11-23T08:00"
) -> ReminderOutcomeEvent:
    return outcome_event(
        reminder_id="aspirin", occurrence_id=occurrence, outcome=outcome, due=DUE,
        kind="medication", title="Аспирин", medicine="Аспирин", prompts=2, reason="",
        ts=DUE.timestamp() + 60,
    )  # fmt: skip


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(DUE)


def delivery(path: Path, clock: ManualClock, connection: FakeConnection) -> EventDelivery:
    return EventDelivery("r1", connection, EventOutbox(path, clock), clock, resend_after_s=30)


def test_the_event_id_is_the_occurrence_and_outcome() -> None:
    taken = event()
    assert taken.event_id == "aspirin@2026-11-23T08:00:taken"
    assert (taken.due, taken.type) == (DUE, "reminder.outcome")
    long = outcome_event(
        reminder_id="x", occurrence_id="x@1", outcome="missed", due=DUE, kind="custom",
        title="t" * 500, medicine="", prompts=3, reason="no_answer", ts=1.0,
    )  # fmt: skip
    assert len(long.title) == 200  # cut, not refused


def test_an_outcome_stays_pending_until_the_broker_acknowledges_it(
    tmp_path: Path, clock: ManualClock
) -> None:
    connection = FakeConnection(connected=False)
    events = delivery(tmp_path / "outbox.db", clock, connection)
    assert events.send_outcome(event()) is True
    assert connection.sent == [] and events.outbox.stats().pending == 1  # committed, not sent

    connection.connected = True
    assert events.pump() == 1
    (sent,) = connection.sent
    assert (sent.topic, sent.qos) == (TOPIC, 1)
    wire = json.loads(sent.payload)
    assert (wire["type"], wire["event_id"], wire["outcome"]) == (
        "reminder.outcome", "aspirin@2026-11-23T08:00:taken", "taken"
    )  # fmt: skip
    assert events.pump() == 0  # in flight: not sent twice meanwhile
    assert events.outbox.stats().pending == 1

    connection.ack_all()
    events.pump()
    assert events.outbox.stats().pending == 0 and events.outbox.stats().delivered == 1
    clock.advance(3600)
    assert events.pump() == 0 and len(connection.sent) == 1
    assert events.send_outcome(event()) is False  # the same outcome again: already there


def test_unacknowledged_events_go_again_after_a_reconnect_or_a_silence(
    tmp_path: Path, clock: ManualClock
) -> None:
    connection = FakeConnection()
    events = delivery(tmp_path / "outbox.db", clock, connection)
    events.send_outcome(event())
    events.reconnected()  # the connection dropped before the PUBACK
    assert events.pump() == 1 and len(connection.sent) == 2

    clock.advance(29)
    assert events.pump() == 0
    clock.advance(1)  # resend_after_s without an answer
    assert events.pump() == 1 and len(connection.sent) == 3
    assert events.outbox.attempts(event().event_id) == 3
    connection.sent[-1].acked = True
    events.pump()
    assert events.outbox.stats().pending == 0


def test_pending_events_survive_a_restart_of_the_robot(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "outbox.db"
    before = delivery(path, clock, FakeConnection())
    before.send_outcome(event("snoozed"))
    before.send_outcome(event("taken"))
    before.outbox.close()  # power cut: nothing acknowledged

    connection = FakeConnection()
    after = delivery(path, clock, connection)
    assert after.pump() == 2
    assert [json.loads(s.payload)["outcome"] for s in connection.sent] == ["snoozed", "taken"]


def test_a_wipe_forgets_delivered_events_and_keeps_pending_ones(
    tmp_path: Path, clock: ManualClock
) -> None:
    connection = FakeConnection()
    events = delivery(tmp_path / "outbox.db", clock, connection)
    events.send_outcome(event("taken", "a@1"))
    connection.ack_all()
    events.pump()
    events.send_outcome(event("missed", "a@2"))
    wipe_resident_data(
        tmp_path / "resident", AlertOutbox(tmp_path / "outbox.db", clock), events.outbox
    )
    stats = events.outbox.stats()
    assert (stats.pending, stats.delivered) == (1, 0)


# the node's wiring


@pytest.fixture
def link_runtime(
    tmp_path: Path, clock: ManualClock
) -> Iterator[tuple[LocalRuntime, FleetLinkNode]]:
    runtime = LocalRuntime(
        clock=clock,
        parameters={
            "fleet_link": {
                "robot_id": "r1",
                "broker_url": "mqtt://127.0.0.1:1",  # nobody there: the outcome must wait
                "outbox_path": str(tmp_path / "outbox.db"),
                "resident_dir": str(tmp_path / "resident"),
            }
        },
    )
    node = runtime.add_node("fleet_link", FleetLinkNode)
    assert isinstance(node, FleetLinkNode)
    try:
        yield runtime, node
    finally:
        node.connection.stop()


def test_the_node_keeps_each_outcome_from_the_reminder_node(
    link_runtime: tuple[LocalRuntime, FleetLinkNode],
) -> None:
    runtime, node = link_runtime
    probe = runtime.node("reminders")
    types = probe.types
    reminder_outcome = types.get("ReminderOutcome")
    outcomes = probe.publisher("/reminders/outcome", reminder_outcome, EVENTS)
    message = reminder_outcome(
        header=header(probe), reminder_id="aspirin", occurrence_id="aspirin@1",
        outcome="missed", due=time_message(probe, DUE),
        kind="medication", title="Аспирин", medicine="Аспирин", prompts=3, reason="no_answer",
    )  # fmt: skip
    outcomes.publish(message)
    outcomes.publish(reminder_outcome(header=header(probe), reminder_id="x", outcome="nope",
                                           occurrence_id="x@1", kind="custom"))  # fmt: skip
    runtime.run_until_idle()
    (pending,) = node.event_outbox.pending()
    wire = ReminderOutcomeEvent.model_validate_json(pending.payload)
    assert (wire.event_id, wire.due, wire.prompts, wire.reason) == (
        "aspirin@1:missed", DUE, 3, "no_answer"
    )  # fmt: skip
    assert node.bad_outcomes == 1
    assert runtime.callback_errors == {}


def test_a_removed_retained_schedule_is_no_bad_payload(tmp_path: Path, clock: ManualClock) -> None:
    connection = PlainConnection()
    link = FleetLink("r1", connection, AlertOutbox(tmp_path / "outbox.db", clock), clock, "t")
    topic = protocol.config_topic("r1", "reminders")
    connection.inbox.put(Inbound(topic, b""))  # the fleet cleared it when the rental ended
    assert link.pump() == [] and link.bad_payloads == 0
    connection.inbox.put(Inbound(topic, b"{not json"))
    assert link.pump() == [] and link.bad_payloads == 1


def test_fleet_events_from_other_nodes_are_kept_and_bad_ones_refused(
    link_runtime: tuple[LocalRuntime, FleetLinkNode],
) -> None:
    runtime, node = link_runtime
    probe = runtime.node("benefits")
    fleet_event = probe.types.get("FleetEvent")
    events = probe.publisher("/fleet/event", fleet_event, EVENTS)
    facts = {"facts": {"disability_group": 2}, "consent": True}
    events.publish(fleet_event(header=header(probe), event_id="p-1", type="benefits.profile",
                               json=json.dumps(facts)))  # fmt: skip
    events.publish(fleet_event(header=header(probe), event_id="p-1", type="benefits.profile",
                               json=json.dumps(facts)))  # fmt: skip
    for bad_type, bad_json in [("Bad Type", "{}"), ("ok.type", "[1]"), ("ok.type", "{nope")]:
        events.publish(fleet_event(header=header(probe), event_id="p-2", type=bad_type,
                                   json=bad_json))  # fmt: skip
    runtime.run_until_idle()
    (pending,) = node.event_outbox.pending()
    wire = json.loads(pending.payload)
    assert (pending.event_id, wire["type"], wire["event_id"]) == ("p-1", "benefits.profile", "p-1")
    assert wire["facts"] == {"disability_group": 2} and wire["consent"] is True
    assert node.bad_outcomes == 3
    assert runtime.callback_errors == {}


def test_a_large_configuration_is_accepted_and_a_huge_one_refused(
    tmp_path: Path, clock: ManualClock
) -> None:
    connection = PlainConnection()
    link = FleetLink("r1", connection, AlertOutbox(tmp_path / "outbox.db", clock), clock, "t")
    topic = protocol.config_topic("r1", "benefits")
    catalog = {"measures": ["x" * 1000] * 200}  # some 200 KB: far over an event's limit
    config = protocol.DesiredConfig(version=4, data=catalog, ts=1.0)
    connection.inbox.put(Inbound(topic, protocol.encode(config)))
    [received] = link.pump()
    assert (received.kind, received.config.version) == ("benefits", 4)
    huge = {"measures": ["x" * 1000] * 1100}
    connection.inbox.put(Inbound(topic, protocol.encode(config.model_copy(update={"data": huge}))))
    assert link.pump() == [] and link.bad_payloads == 1
