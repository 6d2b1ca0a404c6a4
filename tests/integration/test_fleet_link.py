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


def test_commands_from_the_fleet_are_run_and_answered(broker: AnyBroker, tmp_path: Path) -> None:
    broker.start()
    runtime, link = fleet_link_runtime(
        broker.robot_url("r1"), tmp_path / "outbox.db", SystemClock()
    )
    resident_dir = tmp_path / "resident"
    (resident_dir / "reminders").mkdir(parents=True)
    (resident_dir / "reminders" / "today.json").write_text("[]")
    probe = runtime.node("probe")
    said: list[Any] = []
    configs: list[Any] = []
    probe.subscribe("/speech/say", probe.types.SayRequest, said.append)
    probe.subscribe("/fleet/config", probe.types.ConfigUpdate, configs.append)
    thread = threading.Thread(target=runtime.spin, daemon=True)
    thread.start()
    fleet = FleetStandIn(broker)
    try:
        wait_until(lambda: fleet.on("/r1/state"), what="the robot's birth")
        for req_id, command, args in (
            ("c1", "ping", {}),
            ("c2", "say", {"text": "Здравствуйте!"}),
            ("c3", "say", {}),
            ("c4", "wipe", {}),
        ):
            body = {"req_id": req_id, "command": command, "args": args, "ts": 1.7e9}
            fleet.publish(f"hc/v1/r/r1/cmd/{req_id}", body)
        fleet.publish("hc/v1/r/r1/cmd/c5", {"req_id": "other", "command": "ping", "ts": 1.7e9})
        wait_until(lambda: fleet.on("/cmd_res/c4"), what="the wipe's result")
        results = {req: fleet.on(f"/cmd_res/{req}")[0] for req in ("c1", "c2", "c3", "c4")}
        assert results["c1"]["ok"] and results["c1"]["detail"] == "pong"
        assert results["c2"]["ok"] and said[0].text == "Здравствуйте!"
        assert not results["c3"]["ok"] and "args.text" in results["c3"]["detail"]
        assert results["c4"]["ok"] and "removed 1 resident file" in results["c4"]["detail"]
        assert resident_dir.is_dir() and not any(resident_dir.iterdir())
        assert {c.kind for c in configs if c.json == "{}"} == {
            "reminders", "benefits", "appointments", "contacts", "settings", "devices"
        }  # fmt: skip
        wait_until(lambda: link.link.bad_payloads == 1, what="the mismatched req_id refused")
        assert not fleet.on("/cmd_res/c5") and not fleet.on("/cmd_res/other")
    finally:
        fleet.close()
        runtime.stop()
        thread.join(timeout=10)
        link.connection.stop()
    assert runtime.callback_errors == {}
