"""Reminders across the wire, with a real broker: the schedule goes retained to the robot
(on hand-over, on change; removed on return), and outcomes come back from the robot's
fleet_link node once, even when the broker was down when they happened.

Each test runs against mosquitto and the embedded broker (see conftest.py).
"""

# The fixtures `broker` and `robot` come from tests.integration.fleet_wire.
# ruff: noqa: F811

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleet.protocol import DesiredConfig, config_topic, decode
from fleet.reminder_sync import ReminderPublisher
from fleet.service import FleetService
from fleet.store import connect_database
from fleet.store.reminders import publication, put_schedule
from fleet.store.rentals import create_rental, hand_over
from fleet.store.residents import create_resident
from homecare.clock import SystemClock
from homecare.settings import FleetSettings
from reminders.model import ReminderSchedule
from robot.nodes.fleet_link_node import FleetLinkNode
from robot.runtime import EVENTS, LocalRuntime
from robot.runtime.stamps import time_message
from tests.broker import AnyBroker, free_port, make_test_broker, mosquitto_readable_dir
from tests.fleet_api import Fleet
from tests.integration.fleet_wire import broker, robot  # noqa: F401  (fixtures)
from tests.integration.test_fleet_ingest import Login, running_ingest
from tests.mqtt_probe import Probe
from tests.support import wait_until
from tests.unit.test_fleet_api_reminders import auth

API = "/api/v1"
SCHEDULE = {
    "timezone": "Europe/Moscow",
    "reminders": [
        {"id": "aspirin", "kind": "medication", "title": "Аспирин", "medicine": "Аспирин",
         "dose": "1 таблетка", "start": "2026-11-24T08:00:00", "rrule": "FREQ=DAILY"},
    ],
    "medicines": [{"name": "Аспирин"}],
}  # fmt: skip


def rent(fleet: Fleet, robot_id: str) -> tuple[int, int]:
    """A resident with a schedule and a planned rental of the robot: (resident, rental)."""
    social = auth(fleet, "social@a.example")
    resident = fleet.client.post(f"{API}/residents", json={"full_name": "Анна"}, headers=social)
    resident_id = int(resident.json()["id"])
    saved = fleet.client.put(f"{API}/residents/{resident_id}/reminders", json=SCHEDULE,
                             headers=auth(fleet, "caregiver@a.example"))  # fmt: skip
    assert saved.status_code == 200, saved.text
    rental = fleet.client.post(
        f"{API}/rentals",
        json={"robot_id": robot_id, "resident_id": resident_id, "starts_on": "2026-11-23"},
        headers=social,
    )
    assert rental.status_code == 201, rental.text
    return resident_id, int(rental.json()["id"])


def robot_probe(broker: AnyBroker, robot: Login) -> Probe:
    probe = Probe(broker.host, broker.port, robot.client_id, username=robot.username,
                  password=robot.password)  # fmt: skip
    broker.probes.append(probe)
    probe.start()
    assert probe.connected
    return probe


def test_the_schedule_is_retained_for_the_robot_from_hand_over_until_return(
    fleet: Fleet, broker: AnyBroker, robot: Login
) -> None:
    broker.start()
    rid, operator = robot.username, auth(fleet, "operator@a.example")
    topic = config_topic(rid, "reminders")
    with running_ingest(fleet, broker) as ingest:
        fleet.context.publish = ingest.publish
        publisher = ReminderPublisher(
            ingest.publish, ingest.is_connected, connect_database(fleet.context.db_path),
            fleet.context.now,
        )  # fmt: skip
        resident_id, rental_id = rent(fleet, rid)
        publisher.run()  # the service's periodic sync: planned rentals send nothing
        handed = fleet.client.post(f"{API}/rentals/{rental_id}/handover", headers=operator)
        assert handed.status_code == 200, handed.text
        assert publisher.run() == 0  # the hand-over sent the resident's schedule at once

        # The robot connects later: the broker kept the schedule for it.
        probe = robot_probe(broker, robot)
        probe.subscribe(topic)
        first = probe.wait_for(topic)
        assert (first.retain, first.qos) == (True, 1)
        config = decode(DesiredConfig, first.payload)
        assert config.version == 1 and isinstance(config.data, dict)
        assert config.data["reminders"][0]["dose"] == "1 таблетка"

        changed = {**SCHEDULE, "reminders": [{**SCHEDULE["reminders"][0], "dose": "2 таблетки"}]}  # type: ignore[dict-item]
        saved = fleet.client.put(f"{API}/residents/{resident_id}/reminders", json=changed,
                                 headers=auth(fleet, "caregiver@a.example"))  # fmt: skip
        assert saved.json()["version"] == 2
        wait_until(lambda: len(probe.received(topic)) == 2, what="the changed schedule")
        second = decode(DesiredConfig, probe.received(topic)[1].payload)
        assert second.version == 2 and second.data["reminders"][0]["dose"] == "2 таблетки"  # type: ignore[call-overload]
        assert publisher.run() == 0  # already sent: the sync finds nothing to do

        returned = fleet.client.post(f"{API}/rentals/{rental_id}/return", headers=operator)
        assert returned.status_code == 200, returned.text
        assert publisher.run() == 0  # the return cleared it at once
        wait_until(lambda: len(probe.received(topic)) == 3, what="the schedule to be removed")
        assert probe.received(topic)[2].payload == b""

        # A robot connecting now finds nothing of the last resident's.
        late = Probe(broker.host, broker.port, "late-reader", username=broker.service_username,
                     password=broker.service_password)  # fmt: skip
        broker.probes.append(late)
        late.start()
        late.subscribe(topic)
        late.subscribe("hc/v1/svc/fleet/state")  # retained too: it comes after ours would
        late.wait_for("hc/v1/svc/fleet/state")
        assert late.received(topic) == []


def _fleet_link(broker: AnyBroker, robot: Login, tmp_path: Path) -> tuple[LocalRuntime, Any]:
    runtime = LocalRuntime(
        clock=SystemClock(),
        parameters={
            "fleet_link": {
                "robot_id": robot.username,
                "broker_url": f"mqtt://{robot.username}:{robot.password}@{broker.host}:{broker.port}",
                "outbox_path": str(tmp_path / "outbox.db"),
                "resident_dir": str(tmp_path / "resident"),
            }
        },
    )
    node = runtime.add_node("fleet_link", FleetLinkNode)
    return runtime, node


def test_an_outcome_made_while_the_broker_was_down_reaches_the_adherence_once(
    fleet: Fleet, broker: AnyBroker, robot: Login, tmp_path: Path
) -> None:
    rid, operator = robot.username, auth(fleet, "operator@a.example")
    resident_id, rental_id = rent(fleet, rid)
    assert fleet.client.post(f"{API}/rentals/{rental_id}/handover", headers=operator).is_success
    runtime, link = _fleet_link(broker, robot, tmp_path)
    probe = runtime.node("reminders")
    types = probe.types
    reminder_outcome = types.get("ReminderOutcome")
    outcomes = probe.publisher("/reminders/outcome", reminder_outcome, EVENTS)
    # The fleet's clock is the test's; the outcome happened a minute after the hand-over.
    at = datetime.fromtimestamp(fleet.context.now() + 60, UTC)
    due = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    message = reminder_outcome(
        header=types.get("std_msgs/msg/Header")(stamp=time_message(probe, at)),
        reminder_id="aspirin", occurrence_id="aspirin@2026-11-23T08:00:00+03:00",
        outcome="taken", due=time_message(probe, due), kind="medication", title="Аспирин",
        medicine="Аспирин", prompts=1, reason="",
    )  # fmt: skip
    thread = threading.Thread(target=runtime.spin, daemon=True)
    runtime.call_soon_threadsafe(lambda: outcomes.publish(message))
    thread.start()
    try:
        wait_until(lambda: link.event_outbox.stats().pending == 1, what="the outcome committed")
        broker.start()
        with running_ingest(fleet, broker):
            wait_until(
                lambda: link.event_outbox.stats().pending == 0,
                timeout=20,
                what="the broker's PUBACK for the outcome",
            )

            def taken() -> int:
                answer = fleet.client.get(f"{API}/residents/{resident_id}/adherence",
                                          params={"days": 2}, headers=operator)  # fmt: skip
                return int(answer.json()["total"]["taken"])

            wait_until(lambda: taken() == 1, what="the outcome in the adherence")
            assert fleet.context.ingest_counters["reminder_outcomes"] == 1
    finally:
        runtime.stop()
        thread.join(timeout=10)
        link.connection.stop()
    assert runtime.callback_errors == {}


def test_the_running_service_sends_a_handed_over_robot_its_schedule() -> None:
    """The service's own periodic sync (fleet/service.py), for a hand-over made elsewhere."""
    with mosquitto_readable_dir() as folder:
        server = make_test_broker("mosquitto", folder)
        server.start()
        db_path = folder / "fleet.db"
        settings = FleetSettings(db_path=db_path, mqtt_url=server.service_url, port=free_port())
        service = FleetService(settings, SystemClock())
        try:
            service.start()
            db, now = connect_database(db_path), SystemClock().now().timestamp()
            resident = create_resident(db, 1, {"full_name": "Анна"}, user_id=None, now=now)
            schedule = ReminderSchedule.model_validate(SCHEDULE)
            put_schedule(db, 1, resident, schedule, user_id=None, now=now)
            rental = create_rental(db, 1, robot_id="r2", resident_id=resident,
                                   starts_on="2026-11-23", user_id=None, now=now)  # fmt: skip
            hand_over(db, 1, rental, user_id=None, now=now)
            wait_until(lambda: publication(db, "r2") is not None, timeout=20,
                       what="the service's sync to send the schedule")  # fmt: skip
            robot = server.probe("r2")  # connects after: the broker kept it for the robot
            robot.subscribe(config_topic("r2", "reminders"))
            message = robot.wait_for(config_topic("r2", "reminders"))
            assert message.retain and decode(DesiredConfig, message.payload).version == 1
        finally:
            service.stop()
            server.close_probes()
            server.stop()
