"""The robot <-> fleet wire contract over MQTT (see DESIGN.md, "Robot <-> fleet over MQTT").

Both sides import this module: topic names, payload models, and one way to
encode and decode them. Payloads are UTF-8 JSON objects with a `ts` (seconds
since the epoch). Unknown fields are ignored; anything else wrong raises a
`ProtocolError` whose message names the field, so a consumer can count and
log it and go on.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

TOPIC_ROOT = "hc/v1"
FLEET_STATE_TOPIC = f"{TOPIC_ROOT}/svc/fleet/state"
MAX_PAYLOAD_BYTES = 64 * 1024
# Desired configuration (cfg/{kind}) is larger: a benefits catalog alone is some 35 KB.
MAX_CONFIG_BYTES = 1024 * 1024
# Robot ids, alert ids and request ids travel inside topic names: keep them to safe characters.
ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
_ID = re.compile(ID_PATTERN)
KIND_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
SEVERITIES = ("critical", "warning", "info")
CONFIG_KINDS = ("reminders", "benefits", "appointments", "contacts", "settings", "devices")

Payload = TypeVar("Payload", bound="Message")


class ProtocolError(ValueError):
    """A payload or topic that does not follow the contract; the message says why."""


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    ts: float = Field(description="Seconds since the epoch when the sender made the message.")

    @field_validator("ts")
    @classmethod
    def _finite_positive(cls, value: float) -> float:
        if not math.isfinite(value) or value <= 0:
            raise ValueError("must be a positive number of seconds since the epoch")
        return value


class RobotState(Message):
    """`hc/v1/r/{rid}/state`, retained; the MQTT will carries `lost`."""

    state: Literal["ready", "alert", "sleeping", "disconnected", "lost"]
    bdseq: int = Field(default=0, ge=0, description="Birth/death sequence, as in Sparkplug B.")
    fw: str = Field(default="", max_length=64)


class Telemetry(Message):
    """`hc/v1/r/{rid}/telemetry`, QoS 0."""

    battery_pct: float = Field(ge=0, le=100)
    charging: bool
    cpu_temp_c: float | None = Field(default=None, ge=-40, le=150)
    uptime_s: float | None = Field(default=None, ge=0)


class AlertPayload(Message):
    """`hc/v1/r/{rid}/alert/{alert_id}`, QoS 1; resent until acknowledged."""

    alert_id: str = Field(pattern=ID_PATTERN)
    kind: str = Field(pattern=KIND_PATTERN)
    severity: Literal["critical", "warning", "info"]
    details: dict[str, Any] = Field(default_factory=dict)


class AlertAck(Message):
    """`hc/v1/r/{rid}/ack/{alert_id}`: sent by the fleet only after the incident is committed."""

    alert_id: str = Field(pattern=ID_PATTERN)
    incident_id: str = Field(min_length=1, max_length=64)


class RobotEvent(Message):
    """`hc/v1/r/{rid}/event`: reminder outcomes, dialog usage, ratings (fields vary by type)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(pattern=r"^[a-z][a-z0-9_.]{0,63}$")


class DesiredConfig(Message):
    """`hc/v1/r/{rid}/cfg/{kind}`, retained: the configuration the robot should apply."""

    version: int = Field(ge=0)
    data: dict[str, Any] | list[Any]


class Command(Message):
    """`hc/v1/r/{rid}/cmd/{req_id}`: a remote command for the robot."""

    req_id: str = Field(pattern=ID_PATTERN)
    command: Literal["ping", "say", "wipe"]
    args: dict[str, Any] = Field(default_factory=dict)


class CommandResult(Message):
    """`hc/v1/r/{rid}/cmd_res/{req_id}`: the robot's answer to a command."""

    req_id: str = Field(pattern=ID_PATTERN)
    ok: bool
    detail: str = Field(default="", max_length=1000)


CALL_FROM_FLEET = ("ring", "answer", "hangup", "cancel")
CALL_FROM_ROBOT = ("accepted", "declined", "offer", "state", "hangup", "error")
CALL_ROBOT_STATES = ("connecting", "connected", "reconnecting")
MAX_SDP_CHARS = 60_000


class IceServerSpec(BaseModel):
    """One STUN/TURN server the robot's peer may use (WebRTC's RTCIceServer)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    urls: list[str] = Field(min_length=1, max_length=8)
    username: str = Field(default="", max_length=256)
    credential: str = Field(default="", max_length=256)


class CallSignal(Message):
    """`hc/v1/r/{rid}/call/{cid}` (fleet -> robot) and `.../call_res/{cid}` (robot -> fleet).

    One consultation's signalling; `cid` is the fleet's consultation id. The robot
    makes the offer, after the resident said yes, so no media can flow before consent.

    fleet -> robot: `ring` (caller_name, caller_role, ice_servers, connect_deadline_s),
    `answer` (sdp), `hangup` (reason), `cancel` (the specialist gave up before an answer).
    robot -> fleet: `accepted`, `declined` (reason), `offer` (sdp; again after a
    reconnect), `state` (state: connecting/connected/reconnecting), `hangup` (reason),
    `error` (reason: a bad answer; the call goes on waiting for a good one).
    """

    consultation_id: str = Field(pattern=ID_PATTERN)
    type: Literal[
        "ring", "answer", "hangup", "cancel", "accepted", "declined", "offer", "state", "error"
    ]
    sdp: str = Field(default="", max_length=MAX_SDP_CHARS)
    state: Literal["", "connecting", "connected", "reconnecting"] = ""
    reason: str = Field(default="", max_length=300)
    caller_name: str = Field(default="", max_length=120)
    caller_role: str = Field(default="", max_length=120)
    lang: str = Field(default="", max_length=8)
    ice_servers: list[IceServerSpec] = Field(default_factory=list, max_length=8)
    connect_deadline_s: float = Field(default=30.0, gt=0, le=600)


DEVICE_ROLES = (
    "sos_button", "bed_sensor", "chair_sensor", "door_sensor", "motion_sensor",
    "pill_dispenser", "light", "plug",
)  # fmt: skip
DeviceRole = Literal[
    "sos_button", "bed_sensor", "chair_sensor", "door_sensor", "motion_sensor",
    "pill_dispenser", "light", "plug",
]  # fmt: skip
# Zigbee2MQTT friendly names may hold "/" (Home Assistant groups); never MQTT wildcards.
DEVICE_NAME_PATTERN = r"^[^+#\x00-\x1f]{1,64}$"
MAX_DEVICES = 64


class DeviceSpec(BaseModel):
    """One paired Zigbee device of the home and what it is for (`cfg/devices`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: DeviceRole
    room: str = Field(default="", max_length=40)
    # light, plug: switched on at night on the way when the resident gets up.
    night_light: bool = False
    # door_sensor: the door out of the home (opening it at night gets a check).
    front_door: bool = True
    # pill_dispenser: compartment number (as text) -> the reminder id it holds the pills for.
    compartments: dict[str, str] = Field(default_factory=dict, max_length=31)


class DevicesConfig(BaseModel):
    """`cfg/devices` data: the home's device registry, edited in the fleet per resident.

    Devices are keyed by their Zigbee2MQTT friendly name; a paired device not listed
    here is reported as unknown, never guessed at.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    devices: dict[str, DeviceSpec] = Field(default_factory=dict, max_length=MAX_DEVICES)
    # The resident needs a caregiver told when the front door opens at night (dementia).
    notify_caregiver_on_night_door: bool = False

    @field_validator("devices")
    @classmethod
    def _names(cls, devices: dict[str, DeviceSpec]) -> dict[str, DeviceSpec]:
        for name in devices:
            if not re.match(DEVICE_NAME_PATTERN, name) or name.startswith("bridge/"):
                raise ValueError(f"device name {name!r} is not a Zigbee2MQTT friendly name")
        return devices


class DeviceStatusEvent(BaseModel):
    """The `device.status` robot event (on `event`): a device's health for the fleet's
    maintenance view; sent when it changes (battery low or back, offline or back, a
    device sending garbage or flooding)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: str = Field(pattern=ID_PATTERN)
    device: str = Field(pattern=DEVICE_NAME_PATTERN)
    role: DeviceRole | Literal[""] = ""  # "": paired but not in the registry
    online: bool
    battery_pct: float | None = Field(default=None, ge=0, le=100)
    battery_low: bool = False
    last_seen: float | None = None
    problem: str = Field(default="", max_length=300)  # "", "garbage", "flooding", ...


class FleetState(Message):
    """`hc/v1/svc/fleet/state`, retained, with the service's own will (`offline`)."""

    state: Literal["online", "offline"]


# topics


def robot_topic(rid: str, *parts: str) -> str:
    """`hc/v1/r/{rid}/...` with every part checked, so ids cannot smuggle MQTT wildcards."""
    _require_id(rid, "robot id")
    return "/".join([TOPIC_ROOT, "r", rid, *parts])


def state_topic(rid: str) -> str:
    return robot_topic(rid, "state")


def telemetry_topic(rid: str) -> str:
    return robot_topic(rid, "telemetry")


def alert_topic(rid: str, alert_id: str) -> str:
    return robot_topic(rid, "alert", _require_id(alert_id, "alert id"))


def ack_topic(rid: str, alert_id: str) -> str:
    return robot_topic(rid, "ack", _require_id(alert_id, "alert id"))


def event_topic(rid: str) -> str:
    return robot_topic(rid, "event")


def config_topic(rid: str, kind: str) -> str:
    if kind not in CONFIG_KINDS:
        raise ProtocolError(f"unknown config kind {kind!r}; known: {', '.join(CONFIG_KINDS)}")
    return robot_topic(rid, "cfg", kind)


def command_topic(rid: str, req_id: str) -> str:
    return robot_topic(rid, "cmd", _require_id(req_id, "request id"))


def command_result_topic(rid: str, req_id: str) -> str:
    return robot_topic(rid, "cmd_res", _require_id(req_id, "request id"))


def call_topic(rid: str, consultation_id: str) -> str:
    return robot_topic(rid, "call", _require_id(consultation_id, "consultation id"))


def call_result_topic(rid: str, consultation_id: str) -> str:
    return robot_topic(rid, "call_res", _require_id(consultation_id, "consultation id"))


def robot_subscription(channel: str, rid: str = "+") -> str:
    """A subscription filter for one channel of one robot (default: every robot)."""
    suffix = "/+" if channel in _CHANNELS_WITH_ARGUMENT else ""
    return f"{TOPIC_ROOT}/r/{rid}/{channel}{suffix}"


@dataclass(frozen=True)
class RobotTopic:
    """A parsed `hc/v1/r/{rid}/{channel}[/{argument}]` topic."""

    rid: str
    channel: str
    argument: str | None = None


_CHANNELS_WITH_ARGUMENT = {"alert", "ack", "cfg", "cmd", "cmd_res", "call", "call_res"}
_CHANNELS_WITHOUT = {"state", "telemetry", "event"}


def parse_topic(topic: str) -> RobotTopic:
    parts = topic.split("/")
    if len(parts) < 5 or "/".join(parts[:3]) != f"{TOPIC_ROOT}/r":
        raise ProtocolError(f"topic {topic!r} is not under {TOPIC_ROOT}/r/{{rid}}/")
    rid, channel, rest = parts[3], parts[4], parts[5:]
    _require_id(rid, "robot id")
    if channel in _CHANNELS_WITHOUT and not rest:
        return RobotTopic(rid, channel)
    if channel in _CHANNELS_WITH_ARGUMENT and len(rest) == 1:
        return RobotTopic(rid, channel, _require_id(rest[0], f"{channel} argument"))
    raise ProtocolError(f"topic {topic!r}: unknown channel or wrong number of levels")


# payloads


def encode(message: Message) -> bytes:
    return message.model_dump_json(exclude_none=True).encode("utf-8")


def decode(
    model: type[Payload], payload: bytes | str, *, limit: int = MAX_PAYLOAD_BYTES
) -> Payload:
    """Parse and validate one payload; a `ProtocolError` names what was wrong."""
    raw = payload.encode("utf-8") if isinstance(payload, str) else payload
    if len(raw) > limit:
        raise ProtocolError(f"payload of {len(raw)} bytes exceeds {limit}")
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProtocolError("payload is not UTF-8") from None
    except ValueError as error:
        raise ProtocolError(f"payload is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ProtocolError(f"payload must be a JSON object, got {type(document).__name__}")
    try:
        return model.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise ProtocolError(f"{model.__name__}.{where}: {first['msg']}") from None


def decode_alert(topic: RobotTopic, payload: bytes | str) -> AlertPayload:
    """An alert whose `alert_id` matches its topic (a mismatch would defeat deduplication)."""
    alert = decode(AlertPayload, payload)
    if topic.argument != alert.alert_id:
        raise ProtocolError(
            f"alert_id {alert.alert_id!r} does not match the topic's {topic.argument!r}"
        )
    return alert


def decode_call_signal(
    topic: RobotTopic, payload: bytes | str, allowed: tuple[str, ...]
) -> CallSignal:
    """A call signal whose consultation id matches its topic and whose type may travel
    in this direction (`CALL_FROM_FLEET` or `CALL_FROM_ROBOT`)."""
    signal = decode(CallSignal, payload)
    if topic.argument != signal.consultation_id:
        raise ProtocolError(
            f"consultation_id {signal.consultation_id!r} does not match the topic's "
            f"{topic.argument!r}"
        )
    if signal.type not in allowed:
        raise ProtocolError(f"a {signal.type!r} call signal cannot travel on {topic.channel}")
    return signal


def _require_id(value: str, what: str) -> str:
    if not _ID.match(value):
        raise ProtocolError(f"{what} {value!r} must be 1-64 of A-Z a-z 0-9 _ . : -")
    return value
