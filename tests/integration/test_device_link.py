"""The device link against a real mosquitto, with a real MQTT client as Zigbee2MQTT."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from homecare.clock import SystemClock
from homecare.errors import ConfigError
from homecare.settings import RobotSettings, Settings
from robot.nodes.device_link_node import DeviceLinkNode
from robot.runtime import CONFIG, EVENTS, LATCHED, LocalRuntime
from robot.runtime.local import LocalNode
from robot.runtime.stamps import header
from tests.broker import Mosquitto, mosquitto_readable_dir
from tests.mqtt_probe import Probe
from tests.support import wait_until

REGISTRY = {
    "devices": {
        "hall/front door": {"role": "door_sensor", "room": "hall"},
        "sos": {"role": "sos_button", "room": "bedroom"},
        "bed": {"role": "bed_sensor", "room": "bedroom"},
        "night lamp": {"role": "light", "room": "hall", "night_light": True},
    }
}


@dataclass
class Robot:
    """device_link on a spinning LocalRuntime, and a probe node standing in for the others."""

    runtime: LocalRuntime
    node: DeviceLinkNode
    probe: LocalNode
    thread: threading.Thread
    events: list[Any] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kinds(self, device: str) -> list[str]:
        with self.lock:
            return [event.kind for event in self.events if event.device == device]

    def wait_kind(self, device: str, kind: str) -> Any:
        wait_until(lambda: kind in self.kinds(device), what=f"{kind} from {device!r}")
        with self.lock:
            return next(e for e in self.events if e.device == device and e.kind == kind)

    def status_of(self, device: str) -> list[dict[str, Any]]:
        with self.lock:
            return [status for status in self.statuses if status["device"] == device]

    def publish(self, topic: str, message: Any, qos: Any = EVENTS) -> None:
        publisher = self.probe.publisher(topic, type(message), qos)
        self.runtime.call_soon_threadsafe(lambda: publisher.publish(message))

    def _on_event(self, message: Any) -> None:
        with self.lock:
            self.events.append(message)

    def _on_fleet_event(self, message: Any) -> None:
        assert message.type == "device.status"
        fields = json.loads(message.json)
        assert fields["event_id"] == message.event_id
        with self.lock:
            self.statuses.append(fields)


def start_robot(
    broker_url: str | None, home_broker_port: int = 0, *, connect: bool = True, **parameters: Any
) -> Robot:
    settings = Settings(
        robot=RobotSettings(id="r1", home_broker_url=broker_url, home_broker_port=home_broker_port)
    )
    runtime = LocalRuntime(
        clock=SystemClock(),
        parameters={"device_link": {"devices": json.dumps(REGISTRY), **parameters}},
    )
    node = runtime.add_node("device_link", lambda rt: DeviceLinkNode(rt, settings))
    assert isinstance(node, DeviceLinkNode)
    probe = runtime.node("probe")
    robot = Robot(runtime, node, probe, threading.Thread(target=runtime.spin, daemon=True))
    probe.subscribe("/devices/event", probe.types.DeviceEvent, robot._on_event, EVENTS)
    probe.subscribe("/fleet/event", probe.types.FleetEvent, robot._on_fleet_event, EVENTS)
    robot.thread.start()
    if connect:
        wait_until(node.connection.connected.is_set, what="device_link to connect")
    return robot


def stop_robot(robot: Robot) -> None:
    robot.runtime.stop()
    robot.thread.join(timeout=10)
    robot.node.close()
    assert robot.runtime.callback_errors == {}


@pytest.fixture
def mosquitto() -> Iterator[Mosquitto]:
    with mosquitto_readable_dir() as folder:
        broker = Mosquitto(folder)
        broker.start()
        try:
            yield broker
        finally:
            broker.close_probes()
            broker.stop()


@pytest.fixture
def zigbee(mosquitto: Mosquitto) -> Probe:
    """Zigbee2MQTT's side: publishes device payloads, sees /set commands and discovery."""
    probe = mosquitto.probe(anonymous=True, client_id="zigbee2mqtt")
    assert probe.connected
    probe.subscribe("zigbee2mqtt/+/set")
    return probe


@pytest.fixture
def robot(mosquitto: Mosquitto, zigbee: Probe) -> Iterator[Robot]:
    robot = start_robot(mosquitto.url, max_messages_per_minute=10, offline_after_s=2.0)
    try:
        yield robot
    finally:
        stop_robot(robot)


def send(zigbee: Probe, name: str, payload: Any, suffix: str = "") -> None:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    zigbee.publish(f"zigbee2mqtt/{name}{suffix}", raw)


def test_a_door_opening_and_an_sos_press_become_device_events(robot: Robot, zigbee: Probe) -> None:
    send(zigbee, "hall/front door", {"contact": False, "battery": 91, "voltage": 3005,
                                     "linkquality": 120})  # fmt: skip
    opened = robot.wait_kind("hall/front door", "opened")
    assert opened.role == "door_sensor"
    assert json.loads(opened.json) == {"room": "hall"}
    send(zigbee, "sos", {"action": "single", "battery": 100})
    pressed = robot.wait_kind("sos", "pressed")
    assert (pressed.role, json.loads(pressed.json)["room"]) == ("sos_button", "bedroom")
    wait_until(lambda: bool(robot.status_of("hall/front door")), what="the door's first status")
    status = robot.status_of("hall/front door")[0]
    assert (status["online"], status["battery_pct"], status["problem"]) == (True, 91.0, "")


def test_an_unlisted_paired_device_is_reported_as_unknown(robot: Robot, zigbee: Probe) -> None:
    paired = [
        {"friendly_name": "Coordinator", "ieee_address": "0x0", "type": "Coordinator",
         "definition": None, "supported": True, "interview_completed": True},
        {"friendly_name": "0x00124b0022aabbcc", "ieee_address": "0x00124b0022aabbcc",
         "type": "EndDevice", "supported": True, "interview_completed": True,
         "definition": {"model": "TS0215A", "vendor": "Tuya", "description": "SOS button",
                        "exposes": []}},
        {"friendly_name": "sos", "ieee_address": "0x1", "type": "EndDevice", "definition": None},
    ]  # fmt: skip
    zigbee.publish("zigbee2mqtt/bridge/devices", json.dumps(paired).encode(), retain=True)
    unknown = robot.wait_kind("0x00124b0022aabbcc", "unknown_device")
    assert unknown.role == ""
    assert json.loads(unknown.json)["model"] == "TS0215A"
    send(zigbee, "0x00124b0022aabbcc", {"action": "emergency"})
    send(zigbee, "sos", {"action": "double"})
    robot.wait_kind("sos", "pressed")
    assert robot.kinds("0x00124b0022aabbcc") == ["unknown_device"]  # never guessed at
    assert robot.node.registry.unknown_devices() == ["0x00124b0022aabbcc"]


def test_garbage_is_reported_and_the_next_good_message_still_works(
    robot: Robot, zigbee: Probe
) -> None:
    send(zigbee, "bed", b"\x89PNG not json")
    bad = robot.wait_kind("bed", "bad_payload")
    assert "not" in json.loads(bad.json)["reason"]
    send(zigbee, "bed", [1, 2, 3])
    send(zigbee, "bed", {"occupancy": "maybe"})
    send(zigbee, "bed", {"occupancy": True, "battery": 80})
    robot.wait_kind("bed", "occupied")
    assert robot.kinds("bed") == ["bad_payload"] * 3 + ["occupied"]
    wait_until(lambda: bool(robot.status_of("bed")), what="the bed's status")
    assert robot.status_of("bed")[0]["problem"] == "garbage"


def test_a_flood_is_rate_limited_while_another_device_still_gets_through(
    robot: Robot, zigbee: Probe
) -> None:
    for number in range(500):
        zigbee.client.publish("zigbee2mqtt/bed", json.dumps({"occupancy": number % 2 == 0}))
    send(zigbee, "sos", {"action": "single"})  # QoS 1 after the flood: in order behind it
    robot.wait_kind("sos", "pressed")
    robot.wait_kind("bed", "flooding")
    levels = [kind for kind in robot.kinds("bed") if kind in ("occupied", "vacated")]
    assert 1 <= len(levels) <= 12  # the bucket holds 10; it refills by 1 each 6 s
    assert robot.kinds("bed").count("flooding") == 1
    wait_until(lambda: any(s["problem"] == "flooding" for s in robot.status_of("bed")),
               what="a flooding status")  # fmt: skip
    assert [s["problem"] for s in robot.status_of("bed")].count("flooding") == 1
    assert robot.node.health.counts()["dropped"] >= 488


def test_availability_offline_and_silence_mark_devices_offline(robot: Robot, zigbee: Probe) -> None:
    send(zigbee, "sos", {"state": "online"}, "/availability")
    send(zigbee, "sos", b"offline", "/availability")  # the legacy plain text
    robot.wait_kind("sos", "offline")
    wait_until(lambda: any(not s["online"] for s in robot.status_of("sos")),
               what="an offline status for the SOS button")  # fmt: skip
    # the door spoke once, then nothing for offline_after_s (2 s here)
    send(zigbee, "hall/front door", {"contact": True})
    robot.wait_kind("hall/front door", "closed")
    silent = robot.wait_kind("hall/front door", "offline")
    assert json.loads(silent.json)["reason"] == "silent"
    wait_until(lambda: [s["online"] for s in robot.status_of("hall/front door")] == [True, False],
               what="the door's online then offline status")  # fmt: skip


def test_commands_reach_lights_only(robot: Robot, zigbee: Probe) -> None:
    types: Any = robot.probe.types
    for name in ("hall/front door", "stranger", "night lamp"):
        robot.publish(
            "/devices/command",
            types.DeviceEvent(header=header(robot.probe), device=name, role="", kind="set",
                              json='{"state": "ON", "brightness": 80}'),
        )  # fmt: skip
    received = zigbee.wait_for("zigbee2mqtt/night lamp/set")
    assert json.loads(received.payload) == {"state": "ON", "brightness": 80}
    wait_until(lambda: robot.node.bad_commands == 2, what="two refused commands")
    assert [m.topic for m in zigbee.received() if m.topic.endswith("/set")] == [
        "zigbee2mqtt/night lamp/set"
    ]


def test_the_fleet_registry_replaces_the_parameter(robot: Robot, zigbee: Probe) -> None:
    types: Any = robot.probe.types
    config = {"devices": {"kitchen plug": {"role": "plug", "room": "kitchen"}}}
    robot.publish(
        "/fleet/config",
        types.ConfigUpdate(header=header(robot.probe), kind="devices", version=2,
                           json=json.dumps(config)),
        CONFIG,
    )  # fmt: skip
    wait_until(lambda: robot.node.registry.role_of("kitchen plug") == "plug", what="the registry")
    send(zigbee, "kitchen plug", {"state": "ON", "power": 3.5})
    assert json.loads(robot.wait_kind("kitchen plug", "on").json) == {"room": "kitchen"}
    robot.publish(
        "/fleet/config",
        types.ConfigUpdate(header=header(robot.probe), kind="devices", version=3,
                           json='{"devices": {"x": {"role": "toaster"}}}'),
        CONFIG,
    )  # fmt: skip
    send(zigbee, "kitchen plug", {"state": "OFF"})
    robot.wait_kind("kitchen plug", "off")  # the bad registry was refused, the last one kept


def test_home_assistant_discovery_is_retained_on_the_broker(
    mosquitto: Mosquitto, robot: Robot
) -> None:
    types: Any = robot.probe.types
    robot.publish("/fleet/link", types.FleetLinkState(header=header(robot.probe), connected=True),
                  LATCHED)  # fmt: skip
    robot.publish(
        "/robot/battery", types.get("sensor_msgs/msg/BatteryState")(percentage=0.66), EVENTS
    )
    robot.publish(
        "/safety/alert",
        types.Alert(header=header(robot.probe), alert_id="a1", kind="sos", severity="critical",
                    details_json="{}"),
    )  # fmt: skip
    wait_until(lambda: len(robot.node.entity_states) == 3, what="three entity states")
    watcher = mosquitto.probe(anonymous=True, client_id="watcher")
    last_config = "homeassistant/sensor/homecare_r1/next_reminder/config"
    watcher.subscribe(last_config)
    watcher.wait_for(last_config)  # the configs went out in order: all are on the broker
    # Home Assistant connecting later gets everything from the broker's retained messages.
    home_assistant = mosquitto.probe(anonymous=True, client_id="home-assistant")
    home_assistant.subscribe("homeassistant/#")
    home_assistant.subscribe("homecare/#")
    config = home_assistant.wait_for("homeassistant/sensor/homecare_r1/battery/config")
    assert config.retain
    assert json.loads(config.payload)["state_topic"] == "homecare/r1/battery"
    wait_until(lambda: len(home_assistant.received()) >= 4 + 4, what="configs and states")
    assert home_assistant.wait_for("homecare/r1/availability").payload == b"online"
    assert home_assistant.wait_for("homecare/r1/battery").payload == b"66"
    assert home_assistant.wait_for("homecare/r1/fleet_link").payload == b"ON"
    assert json.loads(home_assistant.wait_for("homecare/r1/last_alert").payload)["kind"] == "sos"
    # Home Assistant restarting says so on its status topic: the robot announces itself again
    home_assistant.publish("homeassistant/status", b"online")
    wait_until(lambda: len(watcher.received(last_config)) == 2, what="discovery sent again")
    # a clean stop says offline, so Home Assistant shows the entities unavailable
    robot.node.close()
    wait_until(
        lambda: home_assistant.received("homecare/r1/availability")[-1].payload == b"offline",
        what="offline on the availability topic",
    )


def test_without_a_broker_url_the_robot_runs_the_home_broker(tmp_path: Path) -> None:
    robot = start_robot(None)
    try:
        assert robot.node.home_broker is not None
        zigbee = Probe("127.0.0.1", robot.node.home_broker.port, "zigbee2mqtt").start()
        try:
            assert zigbee.connected  # anonymous, on loopback
            send(zigbee, "sos", {"action": "emergency"})
            robot.wait_kind("sos", "pressed")
        finally:
            zigbee.close()
    finally:
        stop_robot(robot)
    assert robot.node.home_broker is not None and robot.node.home_broker.port == 0  # stopped


def test_a_taken_home_broker_port_leaves_the_link_idle_not_the_robot_down(
    mosquitto: Mosquitto,
) -> None:
    robot = start_robot(None, home_broker_port=mosquitto.port, connect=False)
    try:
        assert robot.node.home_broker is None
        assert f"127.0.0.1:{mosquitto.port}: Address already in use" in robot.node.idle_reason
        assert not robot.node.connection.connected.is_set()
    finally:
        stop_robot(robot)


@pytest.mark.parametrize(
    ("robot_id", "devices", "message"),
    [
        ("a/#", "", "robot.id 'a/#' cannot be part of MQTT topics"),
        ("r1", '{"devices": {"lamp": {"role": "lava"}}}', "parameter devices: devices.lamp.role"),
        ("r1", "{oops", "parameter devices is not valid JSON"),
    ],
)
def test_bad_configuration_is_one_clear_error(robot_id: str, devices: str, message: str) -> None:
    settings = Settings(robot=RobotSettings(id=robot_id, home_broker_url="mqtt://127.0.0.1:1"))
    runtime = LocalRuntime(clock=SystemClock(), parameters={"device_link": {"devices": devices}})
    with pytest.raises(ConfigError) as error:
        runtime.add_node("device_link", lambda rt: DeviceLinkNode(rt, settings))
    assert message in str(error.value)
