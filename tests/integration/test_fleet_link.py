"""The robot's fleet link against a real broker, with a real MQTT client as the fleet.

Runs against mosquitto and against the embedded broker (see conftest.py).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from homecare.clock import SystemClock
from robot.runtime.stamps import header
from tests.broker import AnyBroker, fleet_link_runtime
from tests.support import wait_until


class FleetStandIn:
    """What the fleet service does on the wire: listen, ack alerts, publish configuration."""

    def __init__(self, broker: AnyBroker) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.client = broker.login(mqtt.Client(CallbackAPIVersion.VERSION2, client_id="fleet-test"))
        self.client.on_message = self._received
        self.client.on_connect = lambda c, u, f, r, p: c.subscribe("hc/v1/r/+/#", qos=1)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def _received(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((message.topic, json.loads(message.payload)))

    def on(self, suffix: str) -> list[dict[str, Any]]:
        with self.lock:
            return [payload for topic, payload in self.messages if topic.endswith(suffix)]

    def publish(self, topic: str, payload: dict[str, Any], retain: bool = False) -> None:
        self.client.publish(topic, json.dumps(payload), qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_alert_raised_while_the_broker_is_down_is_delivered_once_it_is_up_and_acked(
    broker: AnyBroker, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox.db"
    runtime, link = fleet_link_runtime(broker.robot_url("r1"), outbox, SystemClock())
    thread = threading.Thread(target=runtime.spin, daemon=True)
    probe = runtime.node("probe")
    alerts = probe.publisher("/safety/alert", probe.types.Alert)
    configs: list[Any] = []
    probe.subscribe("/fleet/config", probe.types.ConfigUpdate, configs.append)
    battery = probe.publisher("/robot/battery", probe.types.get("sensor_msgs/msg/BatteryState"))
    alert_id = "0b5c3c5e-1f0e-4b7a-9d55-6f2f4f0a7e01"
    runtime.call_soon_threadsafe(
        lambda: alerts.publish(
            probe.types.Alert(header=header(probe), alert_id=alert_id, kind="fall",
                              severity="critical", details_json='{"room": "kitchen"}')
        )
    )  # fmt: skip
    thread.start()
    try:
        wait_until(lambda: link.outbox.stats().pending == 1, what="the alert to be committed")
        broker.start()
        fleet = FleetStandIn(broker)
        try:
            wait_until(lambda: fleet.on(f"/alert/{alert_id}"), what="the alert at the fleet")
            assert fleet.on(f"/alert/{alert_id}")[0]["details"] == {"room": "kitchen"}
            assert any(state["state"] == "ready" for state in fleet.on("/r1/state"))

            fleet.publish(f"hc/v1/r/r1/ack/{alert_id}",
                          {"alert_id": alert_id, "incident_id": "inc-1", "ts": 1.7e9})  # fmt: skip
            wait_until(lambda: link.outbox.stats().pending == 0, what="the ack at the robot")

            fleet.publish("hc/v1/r/r1/cfg/reminders", {"version": 3, "data": {"items": []},
                          "ts": 1.7e9}, retain=True)  # fmt: skip
            wait_until(lambda: bool(configs), what="the configuration on /fleet/config")
            assert (configs[0].kind, configs[0].version) == ("reminders", 3)

            fleet.publish("hc/v1/r/r1/ack/x", {"garbage": True})
            runtime.call_soon_threadsafe(
                lambda: battery.publish(
                    probe.types.get("sensor_msgs/msg/BatteryState")(percentage=0.42)
                )
            )
            wait_until(lambda: fleet.on("/r1/telemetry"), what="telemetry")
            assert fleet.on("/r1/telemetry")[-1]["battery_pct"] == pytest.approx(42.0)
            wait_until(lambda: link.link.bad_payloads == 1, what="the garbage to be counted")
        finally:
            fleet.close()
    finally:
        runtime.stop()
        thread.join(timeout=10)
        link.connection.stop()
    assert runtime.callback_errors == {}
