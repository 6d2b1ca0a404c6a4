"""device_link: the home's Zigbee devices (Zigbee2MQTT on the home broker) <-> the robot.

Zigbee2MQTT state, availability and bridge/devices -> /devices/event (normalised per role)
and, when a device's health changes, /fleet/event `device.status` for the fleet.
/devices/command (kind "set") -> `<base>/<name>/set`, for registered lights and plugs only.
The registry comes from /fleet/config kind "devices", else the `devices` parameter.

The robot announces its own entities to Home Assistant (MQTT discovery) on the same
broker: fleet link state, battery, last alert, the reminder now due.

Thin wiring of `robot.devices.health.DeviceHealth`; without `robot.home_broker_url` the
node runs the home broker itself (`robot.devices.home_broker.HomeBroker`, loopback).
"""

from __future__ import annotations

import json
import math
import queue
import re
import threading
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, Field

from fleet.protocol import ID_PATTERN, DeviceStatusEvent
from homecare import __version__
from homecare.errors import ConfigError, HomecareError
from homecare.settings import Settings, get_settings
from robot.devices import home_assistant
from robot.devices.health import DeviceHealth, Outputs
from robot.devices.home_broker import HomeBroker
from robot.devices.registry import DeviceRegistry, parse_devices_config
from robot.devices.zigbee2mqtt import SWITCHABLE_ROLES, DevicePayloadError, set_payload, set_topic
from robot.fleet_link.mqtt import MqttConnection, Will, parse_broker_url
from robot.runtime import CONFIG, EVENTS, LATCHED, Runtime, load_params
from robot.runtime.stamps import header, new_id, to_datetime

# Messages handled per pump: a flood must not keep the executor from other nodes' work.
MAX_MESSAGES_PER_PUMP = 2000


class DeviceLinkParams(BaseModel):
    base_topic: str = Field(
        default="zigbee2mqtt", pattern=r"^[^+#/\x00-\x1f][^+#\x00-\x1f]{0,63}$",
        description="Zigbee2MQTT's base topic (its mqtt.base_topic setting).",
    )  # fmt: skip
    devices: str = Field(
        default="", description="The registry as JSON (cfg/devices data) until the fleet sends one."
    )
    offline_after_s: float = Field(default=90000.0, gt=0)
    max_messages_per_minute: int = Field(default=60, ge=1, le=100_000)
    home_assistant: bool = True
    discovery_prefix: str = Field(default="homeassistant", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    pump_period_s: float = Field(default=0.1, gt=0)
    broker_url: str = Field(
        default="",
        description="The home broker (empty: the setting robot.home_broker_url, else the "
        "embedded one); a simulated home passes its own.",
    )


class DeviceLinkNode:
    def __init__(self, rt: Runtime, settings: Settings | None = None) -> None:
        self.rt = rt
        self.params = p = load_params(rt, DeviceLinkParams)
        settings = settings or get_settings()
        self.robot_id = settings.robot.id or "unprovisioned"
        if not re.match(ID_PATTERN, self.robot_id):
            raise ConfigError(
                f"robot.id {self.robot_id[:80]!r} cannot be part of MQTT topics: use letters, "
                "digits and _ . : - (at most 64)"
            )
        local = parse_devices_config(p.devices, f"node {rt.name}: parameter devices")
        self.registry = DeviceRegistry(local)
        self.health = DeviceHealth(
            self.registry, rt.clock, base_topic=p.base_topic, offline_after_s=p.offline_after_s,
            max_messages_per_minute=p.max_messages_per_minute,
        )  # fmt: skip
        self.home_broker: HomeBroker | None = None
        self.idle_reason = ""
        url = p.broker_url or settings.robot.home_broker_url
        if not url:
            self.home_broker = HomeBroker(port=settings.robot.home_broker_port)
            try:
                self.home_broker.start()
                url = self.home_broker.url  # the real port once started
            except HomecareError as error:
                url = self.home_broker.url
                # The robot's other duties (falls, reminders) must not stop for its devices.
                self.home_broker, self.idle_reason = None, str(error)
                rt.log.error("device link idle: no home broker", error=self.idle_reason)
        self.availability = home_assistant.availability_topic(self.robot_id)
        self.connection = MqttConnection(
            parse_broker_url(url),
            client_id=f"homecare-robot-{self.robot_id}-devices",
            will=Will(self.availability, home_assistant.PAYLOAD_OFFLINE.encode()),
        )
        self.connection.subscribe(f"{p.base_topic}/#", qos=1)
        if p.home_assistant:
            self.connection.subscribe(f"{p.discovery_prefix}/status", qos=1)
        self._announce_due = threading.Event()
        self.connection.add_on_connect(self._announce_due.set)
        self.entity_states: dict[str, bytes] = {}  # object id -> last state (sent again on connect)
        self.bad_commands = 0
        self.unhandled = 0

        types = rt.types
        self.events = rt.publisher("/devices/event", types.DeviceEvent, EVENTS)
        self.fleet_events = rt.publisher("/fleet/event", types.FleetEvent, EVENTS)
        rt.subscribe("/devices/command", types.DeviceEvent, self.on_command, EVENTS)
        rt.subscribe("/fleet/config", types.ConfigUpdate, self.on_config, CONFIG)
        if p.home_assistant:
            rt.subscribe("/fleet/link", types.FleetLinkState, self.on_fleet_link, LATCHED)
            rt.subscribe("/robot/battery", types.get("sensor_msgs/msg/BatteryState"),
                         self.on_battery)  # fmt: skip
            rt.subscribe("/safety/alert", types.Alert, self.on_alert, EVENTS)
            rt.subscribe("/reminders/due", types.ReminderDue, self.on_reminder_due, EVENTS)
        rt.timer(p.pump_period_s, self.pump)
        if not self.idle_reason:
            self.connection.start()  # paho connects (and reconnects) in its own thread

    def close(self) -> None:
        """Say offline, disconnect, and stop the home broker if the node runs it."""
        if self.params.home_assistant:
            self.connection.publish_and_wait(
                self.availability, home_assistant.PAYLOAD_OFFLINE.encode(), timeout=2.0
            )
        self.connection.stop()
        if self.home_broker is not None:
            self.home_broker.stop()

    # the home broker

    def pump(self) -> None:
        if self._announce_due.is_set():
            self._announce_due.clear()
            self.announce()
        out = Outputs()
        for _ in range(MAX_MESSAGES_PER_PUMP):
            try:
                message = self.connection.inbox.get_nowait()
            except queue.Empty:
                break
            retain = message.retain
            if message.topic == f"{self.params.discovery_prefix}/status":
                if message.payload.strip() == b"online":
                    self.announce()  # Home Assistant restarted: it forgot non-retained configs
                continue
            try:
                out.extend(self.health.on_message(message.topic, message.payload, retained=retain))
            except Exception as error:  # a bug for one message must not lose the rest
                self.unhandled += 1
                self.rt.log.error(
                    "device message not handled", topic=message.topic[:120], error=repr(error)
                )
        out.extend(self.health.tick())
        self.perform(out)

    def perform(self, out: Outputs) -> None:
        for note in out.notes:
            self.rt.log.warning("device link", detail=note)
        for event in out.events:
            if event.kind in ("bad_payload", "flooding", "unknown_device", "offline"):
                self.rt.log.warning(
                    "device problem", device=event.device, role=event.role, kind=event.kind,
                    reason=event.fields.get("reason", ""),
                )  # fmt: skip
            if event.kind == "unknown_device":
                self.rt.log.info(
                    "unknown devices (give them a role in cfg/devices)",
                    devices=",".join(self.registry.unknown_devices()),
                )
            self.events.publish(
                self.rt.types.DeviceEvent(
                    header=header(self.rt), device=event.device, role=event.role,
                    kind=event.kind, json=json.dumps(event.fields, ensure_ascii=False),
                )
            )  # fmt: skip
        for status in out.statuses:
            event_id = new_id()
            try:
                fields = DeviceStatusEvent(event_id=event_id, **asdict(status))
            except ValueError as error:  # a name the fleet's contract refuses
                self.rt.log.warning("device status not sendable", error=str(error)[:200])
                continue
            self.fleet_events.publish(
                self.rt.types.FleetEvent(
                    header=header(self.rt), event_id=event_id, type="device.status",
                    json=fields.model_dump_json(),
                )
            )  # fmt: skip

    def announce(self) -> None:
        """Our availability, Home Assistant's discovery configs and our entities' states."""
        if not self.params.home_assistant:
            return
        self.connection.publish(self.availability, home_assistant.PAYLOAD_ONLINE.encode(),
                                retain=True)  # fmt: skip
        configs = home_assistant.discovery_configs(
            self.params.discovery_prefix, self.robot_id, __version__
        )
        for topic, payload in configs:
            self.connection.publish(topic, payload, retain=True)
        for object_id, state in self.entity_states.items():
            self._publish_state(object_id, state)

    # robot topics -> devices and Home Assistant

    def on_command(self, message: Any) -> None:
        name = str(message.device)
        spec = self.registry.spec(name)
        problem = ""
        if message.kind != "set":
            problem = f"kind {message.kind!r} is not 'set'"
        elif spec is None:
            problem = "not in the registry"
        elif spec.role not in SWITCHABLE_ROLES:
            problem = f"role {spec.role} takes no commands (only light, plug)"
        if not problem:
            try:
                payload = set_payload(message.json)
            except DevicePayloadError as error:
                problem = str(error)
        if problem:
            self.bad_commands += 1
            self.rt.log.warning("device command refused", device=name[:64], reason=problem)
            return
        if not self.connection.publish(set_topic(self.params.base_topic, name), payload):
            self.rt.log.warning("device command not sent: home broker unreachable", device=name)

    def on_config(self, message: Any) -> None:
        if message.kind != "devices":
            return
        try:
            config = parse_devices_config(message.json, "cfg/devices")
        except ConfigError as error:
            self.rt.log.error("device registry from the fleet ignored", error=str(error)[:300])
            return
        self.registry.use_fleet_config(config)
        self.perform(self.health.on_registry_changed())
        self.rt.log.info(
            "device registry", source="fleet" if config else "parameter",
            devices=len(self.registry.names()), version=int(message.version),
        )  # fmt: skip

    def on_fleet_link(self, state: Any) -> None:
        self._entity("fleet_link", home_assistant.fleet_link_state(bool(state.connected)))

    def on_battery(self, state: Any) -> None:
        percentage = float(state.percentage) * 100.0
        if math.isfinite(percentage):
            self._entity("battery", home_assistant.battery_state(percentage))

    def on_alert(self, alert: Any) -> None:
        at = to_datetime(alert.header.stamp) if alert.header.stamp.sec > 0 else self.rt.clock.now()
        self._entity("last_alert", home_assistant.alert_state(alert.kind, alert.severity, at))

    def on_reminder_due(self, due: Any) -> None:
        self._entity(
            "next_reminder", home_assistant.reminder_state(due.title, to_datetime(due.due))
        )

    def _entity(self, object_id: str, state: bytes) -> None:
        if self.entity_states.get(object_id) != state:
            self.entity_states[object_id] = state
            self._publish_state(object_id, state)

    def _publish_state(self, object_id: str, state: bytes) -> None:
        topic = home_assistant.state_topic(self.robot_id, object_id)
        self.connection.publish(topic, state, retain=True)


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(DeviceLinkNode, "device_link", args)
