"""The simulated home's Zigbee devices, as Zigbee2MQTT shows them on the home broker.

A stand-in for a Zigbee2MQTT bridge: it announces the paired devices
(`zigbee2mqtt/bridge/devices`, retained) and their availability, publishes each
device's state as JSON on `zigbee2mqtt/<name>` when the scenario says so, and
answers `zigbee2mqtt/<name>/set` the way the bridge does: by publishing the
device's new state. Everything goes through a real MQTT broker with paho, so the
robot's device link sees exactly what it would see at home.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from homecare.errors import HomecareError

BASE_TOPIC = "zigbee2mqtt"
# What each role's device is, as the bridge lists it (common, affordable models).
MODELS: dict[str, tuple[str, str, str]] = {
    "sos_button": ("TS0215A_sos", "Tuya", "SOS button"),
    "bed_sensor": ("BSP-001", "Sleepace", "Bed occupancy pad"),
    "chair_sensor": ("CSP-001", "Sleepace", "Chair occupancy pad"),
    "door_sensor": ("MCCGQ11LM", "Aqara", "Door and window contact sensor"),
    "motion_sensor": ("RTCGQ11LM", "Aqara", "Motion sensor"),
    "pill_dispenser": ("PD-7", "Homecare", "Pill dispenser with 7 compartments"),
    "light": ("LED1836G9", "IKEA", "TRADFRI bulb E27"),
    "plug": ("ZNCZ02LM", "Aqara", "Smart plug"),
}


class SimZigbeeError(HomecareError):
    """The simulated Zigbee bridge could not reach the home broker."""


@dataclass(frozen=True)
class SetCommand:
    device: str
    payload: dict[str, Any]


class SimZigbee:
    """Connect with `start()`; `state(...)` and `availability(...)` publish; `stop()`."""

    def __init__(
        self, host: str, port: int, devices: Mapping[str, str], base_topic: str = BASE_TOPIC
    ) -> None:
        """`devices`: friendly name -> role, the paired devices the bridge lists."""
        self.host, self.port, self.base = host, port, base_topic
        self.devices = dict(devices)
        self.commands: list[SetCommand] = []
        self._connected = threading.Event()
        self._lock = threading.Lock()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="sim-zigbee2mqtt")
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.will_set(f"{self.base}/bridge/state", json.dumps({"state": "offline"}), 1, True)
        self._client = client

    def start(self, timeout_s: float = 10.0) -> None:
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()
        if not self._connected.wait(timeout_s):
            self.stop()
            raise SimZigbeeError(
                f"the simulated Zigbee bridge could not reach the home broker at "
                f"{self.host}:{self.port} within {timeout_s:g} s"
            )

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def state(self, device: str, payload: Mapping[str, Any]) -> None:
        """The device reports a state, e.g. `{"contact": false, "battery": 91}`."""
        self._publish(f"{self.base}/{device}", dict(payload))

    def raw(self, device: str, text: str) -> None:
        """The device sends something that is not what Zigbee2MQTT sends (garbage)."""
        self._client.publish(f"{self.base}/{device}", text.encode(), qos=0)

    def availability(self, device: str, online: bool) -> None:
        state = "online" if online else "offline"
        self._publish(f"{self.base}/{device}/availability", {"state": state}, retain=True)

    def sent_commands(self) -> list[SetCommand]:
        with self._lock:
            return list(self.commands)

    def _publish(self, topic: str, payload: object, *, retain: bool = False) -> None:
        self._client.publish(topic, json.dumps(payload), qos=1, retain=retain)

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object,
                    reason: ReasonCode, properties: object) -> None:  # fmt: skip
        if reason.is_failure:
            return
        client.subscribe(f"{self.base}/+/set", qos=1)
        self._publish(f"{self.base}/bridge/state", {"state": "online"}, retain=True)
        self._publish(f"{self.base}/bridge/devices", self._bridge_devices(), retain=True)
        for device in self.devices:
            self.availability(device, online=True)
        self._connected.set()

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        device = message.topic[len(self.base) + 1 : -len("/set")]
        try:
            payload = json.loads(message.payload)
        except ValueError:
            return  # the real bridge ignores what it cannot read, too
        if not isinstance(payload, dict) or device not in self.devices:
            return
        with self._lock:
            self.commands.append(SetCommand(device, payload))
        # The bulb or plug did it: the bridge reports its new state.
        self.state(device, {key: payload[key] for key in ("state", "brightness") if key in payload})

    def _bridge_devices(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = [
            {"friendly_name": "Coordinator", "ieee_address": "0x00124b0000000000",
             "type": "Coordinator", "definition": None, "supported": True,
             "interview_completed": True},
        ]  # fmt: skip
        for index, (name, role) in enumerate(sorted(self.devices.items()), start=1):
            model, vendor, description = MODELS.get(role, ("unknown", "unknown", role))
            listed.append(
                {
                    "friendly_name": name,
                    "ieee_address": f"0x00158d00{index:08x}",
                    "type": "Router" if role in ("light", "plug") else "EndDevice",
                    "definition": {"model": model, "vendor": vendor,
                                   "description": description, "exposes": []},
                    "supported": True,
                    "interview_completed": True,
                }
            )  # fmt: skip
        return listed
