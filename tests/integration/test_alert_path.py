"""Robot outbox -> real broker -> fleet ingest -> incident committed -> ack back at the robot.

Runs against mosquitto and against the embedded broker (see conftest.py).
"""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from fleet.mqtt_ingest import FleetIngest
from fleet.store import open_database
from homecare.clock import SystemClock
from robot.runtime.stamps import header, new_id
from tests.broker import AnyBroker, fleet_link_runtime
from tests.support import wait_until


def incidents(db: Any) -> list[tuple[str, str]]:
    return [tuple(row) for row in db.execute("SELECT alert_id, kind FROM incidents ORDER BY id")]


def test_alerts_become_exactly_one_incident_each_even_across_a_fleet_outage(
    broker: AnyBroker, tmp_path: Path
) -> None:
    broker.start()
    clock = SystemClock()
    db = open_database(tmp_path / "fleet.db", clock)
    ingest = FleetIngest(db, clock, "127.0.0.1", broker.port, **broker.credentials)
    ingest.start()
    runtime, link = fleet_link_runtime(broker.robot_url("r1"), tmp_path / "outbox.db", clock)
    probe = runtime.node("probe")
    alerts = probe.publisher("/safety/alert", probe.types.Alert)
    battery = probe.publisher("/robot/battery", probe.types.get("sensor_msgs/msg/BatteryState"))
    spinner = threading.Thread(target=runtime.spin, daemon=True)
    spinner.start()

    def raise_alert(kind: str) -> str:
        alert_id = new_id()
        runtime.call_soon_threadsafe(
            lambda: alerts.publish(probe.types.Alert(header=header(probe), alert_id=alert_id,
                                                     kind=kind, severity="critical"))
        )  # fmt: skip
        return alert_id

    tester = broker.login(mqtt.Client(CallbackAPIVersion.VERSION2, client_id="tester"))
    tester.connect("127.0.0.1", broker.port)
    tester.loop_start()
    try:
        first = raise_alert("fall")
        wait_until(lambda: incidents(db) == [(first, "fall")], what="the first incident")
        wait_until(lambda: link.outbox.stats().pending == 0, what="the ack at the robot")

        # The same alert again (a resend) changes nothing.
        payload = json.dumps(
            {"alert_id": first, "kind": "fall", "severity": "critical", "ts": 1.7e9}
        )
        tester.publish(f"hc/v1/r/r1/alert/{first}", payload, qos=1).wait_for_publish(5)
        wait_until(lambda: ingest.counters["alert_duplicates"] == 1, what="the duplicate")
        assert len(incidents(db)) == 1

        # Garbage on every channel is counted and does not stop the consumer.
        generator = random.Random(3)
        topics = [
            "hc/v1/r/r1/state",
            "hc/v1/r/r1/telemetry",
            "hc/v1/r/r1/alert/x",
            "hc/v1/r/r1/event",
        ]
        for index in range(300):
            junk = bytes(generator.getrandbits(8) for _ in range(generator.randint(0, 50)))
            tester.publish(topics[index % len(topics)], junk, qos=1)
        wait_until(lambda: ingest.counters["bad_payloads"] >= 300, timeout=30, what="garbage")

        # The fleet service goes down; an alert raised meanwhile waits in its session.
        ingest.stop()
        second = raise_alert("sos")
        wait_until(lambda: link.outbox.stats().pending == 1, what="the second alert pending")
        ingest = FleetIngest(db, clock, "127.0.0.1", broker.port, **broker.credentials)
        ingest.start()
        wait_until(lambda: (second, "sos") in incidents(db), what="the incident after restart")
        wait_until(lambda: link.outbox.stats().pending == 0, what="the second ack")
        assert len(incidents(db)) == 2

        runtime.call_soon_threadsafe(
            lambda: battery.publish(probe.types.get("sensor_msgs/msg/BatteryState")(percentage=0.6))
        )
        wait_until(
            lambda: (
                db.execute("SELECT battery_pct FROM robot_state WHERE robot_id='r1'").fetchone()
                == (60.0,)
            ),
            what="telemetry in the latest state",
        )
        assert ingest.counters["errors"] == 0
    finally:
        tester.loop_stop()
        ingest.stop()
        runtime.stop()
        spinner.join(timeout=10)
        link.connection.stop()
    assert runtime.callback_errors == {}
