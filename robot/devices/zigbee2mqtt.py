"""Zigbee2MQTT on the wire, without I/O: topics, payloads -> readings per role, commands.

Conventions (base topic `zigbee2mqtt` by default): a device's state is a JSON object on
`<base>/<name>`, its availability on `<base>/<name>/availability` (`{"state": "online"}`,
or plain `online` from Zigbee2MQTT before 1.30), commands go to `<base>/<name>/set`, and
the bridge publishes what is paired on `<base>/bridge/devices` (retained). Friendly names
may hold "/", so the known suffixes are parsed from the end.

Behaviours react to roles, never to models: `DeviceReader` turns each role's attributes
into a few normalised readings (`pressed`, `opened`, `occupied`, ...), remembering the
last value of each attribute so that level sensors report changes, not repetitions.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from fleet.protocol import DEVICE_ROLES

MAX_STATE_BYTES = 16 * 1024
# bridge/devices lists every paired device with its full definition (exposes): larger.
MAX_BRIDGE_DEVICES_BYTES = 2 * 1024 * 1024
# A battery below this is low, and it is ok again only above LOW + HYSTERESIS (no flapping).
BATTERY_LOW_PCT = 20.0
BATTERY_HYSTERESIS_PCT = 5.0
# SOS/button actions that are not a press: the end of a hold, and the empty action some
# Zigbee2MQTT versions publish right after the real one.
NOT_A_PRESS = frozenset({"", "release", "hold_release", "none"})
SWITCHABLE_ROLES = frozenset({"light", "plug"})

Channel = Literal["state", "availability", "set", "get"]


class DevicePayloadError(ValueError):
    """A device payload that is not what its role sends; the message says what is wrong."""


@dataclass(frozen=True)
class DeviceTopic:
    name: str
    channel: Channel


@dataclass(frozen=True)
class BridgeTopic:
    what: str  # devices, state, info, logging, event, ...


def parse_topic(topic: str, base: str) -> DeviceTopic | BridgeTopic | None:
    """What a topic under `base` is about; None for topics outside it (or malformed)."""
    prefix = base + "/"
    if not topic.startswith(prefix):
        return None
    rest = topic[len(prefix) :]
    if rest.startswith("bridge/"):
        return BridgeTopic(rest[len("bridge/") :])
    suffixes: tuple[Channel, ...] = ("availability", "set", "get")
    for suffix in suffixes:
        if rest.endswith("/" + suffix):
            name = rest[: -len(suffix) - 1]
            return DeviceTopic(name, suffix) if name else None
    return DeviceTopic(rest, "state") if rest else None


def set_topic(base: str, name: str) -> str:
    return f"{base}/{name}/set"


def decode_object(payload: bytes, limit: int = MAX_STATE_BYTES) -> dict[str, Any]:
    """A JSON object from a device, or DevicePayloadError naming what is wrong."""
    if len(payload) > limit:
        raise DevicePayloadError(f"payload of {len(payload)} bytes is larger than {limit}")
    try:
        value = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise DevicePayloadError("payload is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise DevicePayloadError(f"payload is not JSON ({error.msg} at {error.pos})") from None
    if not isinstance(value, dict):
        raise DevicePayloadError(f"payload is JSON {type(value).__name__}, not an object")
    return value


def parse_availability(payload: bytes) -> bool:
    """True for online; both `{"state": "online"}` and the legacy plain `online`."""
    text = payload.decode("utf-8", errors="replace").strip()
    state: object = text
    if text.startswith("{"):
        try:
            state = decode_object(payload).get("state")
        except DevicePayloadError as error:
            raise DevicePayloadError(f"availability: {error}") from None
    if state in ("online", "offline"):
        return state == "online"
    raise DevicePayloadError(f"availability must be online or offline, got {_short(state)}")


@dataclass(frozen=True)
class PairedDevice:
    """One entry of `bridge/devices`: what Zigbee2MQTT knows about a paired device."""

    friendly_name: str
    ieee_address: str
    type: str  # Coordinator, Router, EndDevice
    model: str = ""
    vendor: str = ""
    description: str = ""
    supported: bool = False
    interview_completed: bool = False


def parse_bridge_devices(payload: bytes) -> list[PairedDevice]:
    """The paired devices of `bridge/devices` (the coordinator left out).

    Entries that are not objects or lack a friendly name are skipped: one odd entry must
    not hide the others. A payload that is not a JSON array raises DevicePayloadError.
    """
    if len(payload) > MAX_BRIDGE_DEVICES_BYTES:
        raise DevicePayloadError(f"bridge/devices of {len(payload)} bytes is too large")
    try:
        entries = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DevicePayloadError("bridge/devices is not JSON") from None
    if not isinstance(entries, list):
        raise DevicePayloadError(f"bridge/devices is JSON {type(entries).__name__}, not an array")
    paired = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("friendly_name"), str):
            continue
        if entry.get("type") == "Coordinator":
            continue
        definition = entry.get("definition") if isinstance(entry.get("definition"), dict) else {}
        assert isinstance(definition, dict)
        paired.append(
            PairedDevice(
                friendly_name=entry["friendly_name"],
                ieee_address=_text(entry.get("ieee_address")),
                type=_text(entry.get("type")),
                model=_text(definition.get("model")),
                vendor=_text(definition.get("vendor")),
                description=_text(definition.get("description")),
                supported=entry.get("supported") is True,
                interview_completed=entry.get("interview_completed") is True,
            )
        )
    return paired


@dataclass(frozen=True)
class Reading:
    """A normalised reading: the `kind` of a DeviceEvent and its json fields."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Remembered:
    level: bool | None = None  # occupancy, contact, motion
    switch: str | None = None  # ON / OFF
    battery_low: bool = False


class DeviceReader:
    """State payloads -> readings, remembering each device's last levels."""

    def __init__(self) -> None:
        self._memory: dict[str, _Remembered] = {}

    def forget(self, name: str) -> None:
        self._memory.pop(name, None)

    def read(
        self, name: str, role: str, state: dict[str, Any], *, replayed: bool = False
    ) -> list[Reading]:
        """Readings of one state payload; DevicePayloadError for a field of the wrong type.

        `replayed`: a retained (old) state from the broker: remembered, but no edge is
        reported (it happened before we were listening, or already was).
        """
        if role not in DEVICE_ROLES:
            raise ValueError(f"unknown role {role!r}")
        memory = self._memory.setdefault(name, _Remembered())
        battery = _battery(state)
        readings = [] if replayed else _role_readings(role, state, memory)
        _remember_level(role, state, memory)
        readings += _battery_readings(battery, memory, replayed)
        return readings


def _role_readings(role: str, state: dict[str, Any], memory: _Remembered) -> list[Reading]:
    if role == "sos_button":
        return _sos_readings(state)
    if role == "pill_dispenser":
        return _dispenser_readings(state)
    if role in SWITCHABLE_ROLES:
        return _switch_readings(state, memory)
    return _level_readings(role, state, memory)


def _sos_readings(state: dict[str, Any]) -> list[Reading]:
    action = _optional(state, "action", str)
    sos = _optional(state, "sos", bool)
    if sos or (action is not None and action.lower() not in NOT_A_PRESS):
        return [Reading("pressed", {"action": action or "sos"})]
    return []


def _dispenser_readings(state: dict[str, Any]) -> list[Reading]:
    if _optional(state, "action", str) != "compartment_opened":
        return []
    compartment = state.get("compartment")
    if isinstance(compartment, bool) or not isinstance(compartment, int):
        raise DevicePayloadError(f"compartment must be a whole number, got {_short(compartment)}")
    if not 1 <= compartment <= 31:
        raise DevicePayloadError(f"compartment must be 1-31, got {compartment}")
    return [Reading("opened", {"compartment": compartment})]


def _switch_readings(state: dict[str, Any], memory: _Remembered) -> list[Reading]:
    switch = _optional(state, "state", str)
    if switch is None:
        return []
    if switch.upper() not in ("ON", "OFF"):
        raise DevicePayloadError(f"state must be ON or OFF, got {_short(switch)}")
    return [] if switch.upper() == memory.switch else [Reading(switch.lower())]


def _level_readings(role: str, state: dict[str, Any], memory: _Remembered) -> list[Reading]:
    level = _level(role, state)
    if level is None:
        return []
    if role == "motion_sensor":
        # Every detection is activity; "still" only when it changes.
        if level:
            return [Reading("motion")]
        return [] if memory.level is False else [Reading("still")]
    if level == memory.level:
        return []
    if role == "door_sensor":
        return [Reading("closed" if level else "opened")]
    return [Reading("occupied" if level else "vacated")]  # bed_sensor, chair_sensor


def _level(role: str, state: dict[str, Any]) -> bool | None:
    level: bool | None = None
    if role == "door_sensor":
        level = _optional(state, "contact", bool)
    elif role in ("bed_sensor", "chair_sensor"):
        level = _optional(state, "occupancy", bool)
        if level is None:
            level = _optional(state, "presence", bool)
    elif role == "motion_sensor":
        level = _optional(state, "occupancy", bool)
    return level


def _remember_level(role: str, state: dict[str, Any], memory: _Remembered) -> None:
    level = _level(role, state)
    if level is not None:
        memory.level = level
    if role in SWITCHABLE_ROLES and isinstance(state.get("state"), str):
        memory.switch = state["state"].upper()


def _battery(state: dict[str, Any]) -> tuple[float | None, bool | None]:
    percent = state.get("battery")
    if percent is not None:
        if isinstance(percent, bool) or not isinstance(percent, (int, float)):
            raise DevicePayloadError(f"battery must be a number 0-100, got {_short(percent)}")
        if not math.isfinite(percent) or not 0 <= percent <= 100:
            raise DevicePayloadError(f"battery must be 0-100, got {percent}")
    low = _optional(state, "battery_low", bool)
    return (float(percent) if percent is not None else None), low


def _battery_readings(
    battery: tuple[float | None, bool | None], memory: _Remembered, replayed: bool
) -> list[Reading]:
    percent, low_flag = battery
    if percent is None and low_flag is None:
        return []
    if low_flag is not None:
        low = low_flag
    else:
        assert percent is not None
        threshold = BATTERY_LOW_PCT + (BATTERY_HYSTERESIS_PCT if memory.battery_low else 0.0)
        low = percent < threshold
    if low == memory.battery_low:
        return []
    memory.battery_low = low
    fields = {"battery": percent} if percent is not None else {}
    # A replayed low battery is still news for maintenance; a replayed "ok" is not.
    if replayed and not low:
        return []
    return [Reading("battery_low" if low else "battery_ok", fields)]


def battery_of(state: dict[str, Any]) -> float | None:
    """The battery percentage in a state payload, if it has a valid one."""
    try:
        return _battery(state)[0]
    except DevicePayloadError:
        return None


def set_payload(command: object) -> bytes:
    """The `/set` payload for a command's json: a non-empty JSON object, or DevicePayloadError."""
    if isinstance(command, str):
        command = decode_object(command.encode("utf-8"))
    if not isinstance(command, dict) or not command:
        raise DevicePayloadError("a device command must be a non-empty JSON object")
    return json.dumps(command, separators=(",", ":")).encode("utf-8")


def _optional(state: dict[str, Any], key: str, kind: type) -> Any:
    value = state.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        expected = "true or false" if kind is bool else "text"
        raise DevicePayloadError(f"{key} must be {expected}, got {_short(value)}")
    return value


def _text(value: object) -> str:
    return value[:200] if isinstance(value, str) else ""


def _short(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
