"""The device link's core: Zigbee2MQTT messages in, device events and health changes out.

Per device it keeps when it was last heard, whether it is online, its battery, how many
bad payloads it sent, and a token bucket that limits it to `max_messages_per_minute`.
Nothing a device sends can stop the others: garbage is reported (`bad_payload`) and
counted, a flood is reported once (`flooding`) and dropped until the device calms down,
a device silent for `offline_after_s` is marked offline.

Health changes (online, battery low, a problem) become `DeviceStatus` records, which the
node sends to the fleet as `device.status` events. Plain code on the injected clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fleet.protocol import MAX_DEVICES
from homecare.clock import Clock
from robot.devices.registry import MAX_UNKNOWN_DEVICES, DeviceRegistry
from robot.devices.zigbee2mqtt import (
    BridgeTopic,
    DevicePayloadError,
    DeviceReader,
    DeviceTopic,
    PairedDevice,
    battery_of,
    decode_object,
    parse_availability,
    parse_bridge_devices,
    parse_topic,
)

# A device that sent garbage counts as "garbage" until a good message comes this much later.
GARBAGE_CLEAR_S = 600.0
MAX_TRACKED_DEVICES = MAX_DEVICES + MAX_UNKNOWN_DEVICES


@dataclass(frozen=True)
class DeviceEvent:
    """What goes on /devices/event."""

    device: str
    role: str  # "" for a device no registry lists
    kind: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceStatus:
    """A device's health for the fleet (the fields of `fleet.protocol.DeviceStatusEvent`)."""

    device: str
    role: str
    online: bool
    battery_pct: float | None
    battery_low: bool
    last_seen: float | None  # seconds since the epoch
    problem: str  # "", "garbage", "flooding", "unknown"


@dataclass
class Outputs:
    events: list[DeviceEvent] = field(default_factory=list)
    statuses: list[DeviceStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for the log (bridge trouble)

    def extend(self, other: Outputs) -> None:
        self.events += other.events
        self.statuses += other.statuses
        self.notes += other.notes


class TokenBucket:
    """`capacity` messages at once, refilled at `rate_per_s`."""

    def __init__(self, capacity: float, rate_per_s: float, now: float) -> None:
        self.capacity, self.rate_per_s = capacity, rate_per_s
        self.tokens, self._updated = capacity, now

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate_per_s)
        self._updated = now

    def take(self, now: float) -> bool:
        """Spend a token if there is one; a refused message still spends what is left."""
        self.refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        self.tokens = 0.0
        return False


@dataclass
class _Device:
    role: str
    bucket: TokenBucket
    watched_since: float  # monotonic; silence counts from here until first heard
    heard_at: float | None = None  # monotonic
    last_seen: float | None = None  # epoch
    online: bool | None = None
    battery_pct: float | None = None
    battery_low: bool = False
    flooding: bool = False
    garbage_at: float | None = None  # monotonic of the last bad payload still counting
    bad_payloads: int = 0
    dropped: int = 0
    reported: tuple[bool, bool, str] | None = None  # (online, battery_low, problem) last sent

    @property
    def problem(self) -> str:
        if self.flooding:
            return "flooding"
        return "garbage" if self.garbage_at is not None else ""


class DeviceHealth:
    def __init__(
        self,
        registry: DeviceRegistry,
        clock: Clock,
        *,
        base_topic: str = "zigbee2mqtt",
        offline_after_s: float = 90000.0,
        max_messages_per_minute: int = 60,
    ) -> None:
        self.registry, self.clock, self.base_topic = registry, clock, base_topic
        self.offline_after_s = offline_after_s
        self.max_messages_per_minute = max_messages_per_minute
        self.reader = DeviceReader()
        self.devices: dict[str, _Device] = {}
        self._told_unknown: set[str] = set()  # names the fleet was told are unknown
        self.ignored = 0  # messages outside our topics, or from too many unknown names
        self.bridge_bad_payloads = 0
        self.on_registry_changed()

    # inputs

    def on_registry_changed(self) -> Outputs:
        """Watch newly registered devices; forget ones no longer registered. A device the
        fleet was told is unknown gets a fresh status now it has a role, so the fleet does
        not keep showing it as unknown until it next speaks."""
        registered = set(self.registry.names())
        now = self.clock.monotonic()
        out = Outputs()
        for name, device in self.devices.items():
            if name not in registered and device.role:
                device.role, device.reported = "", None
                self.reader.forget(name)
        for name in registered:
            tracked = self.devices.get(name) or self._track(name, now)
            role = self.registry.role_of(name)
            if tracked is not None and tracked.role != role:
                tracked.role, tracked.reported = role, None
                self.reader.forget(name)
                if name in self._told_unknown:
                    self._told_unknown.discard(name)
                    if tracked.online is None:
                        tracked.online = True  # it was heard, or paired, as the unknown one
                    self._status(name, tracked, out)
        return out

    def on_message(self, topic: str, payload: bytes, *, retained: bool = False) -> Outputs:
        parsed = parse_topic(topic, self.base_topic)
        if isinstance(parsed, BridgeTopic):
            return self._on_bridge(parsed.what, payload)
        if parsed is None or parsed.channel in ("set", "get"):
            self.ignored += parsed is None
            return Outputs()
        now = self.clock.monotonic()
        device = self.devices.get(parsed.name) or self._track(parsed.name, now)
        if device is None:
            self.ignored += 1
            return Outputs()
        out = Outputs()
        if not device.bucket.take(now):
            device.dropped += 1
            if not device.flooding:
                device.flooding = True
                out.events.append(
                    self._event(parsed.name, device, "flooding",
                                {"limit_per_minute": self.max_messages_per_minute})
                )  # fmt: skip
                self._status(parsed.name, device, out)
            return out
        if not device.role:
            return self._on_unknown(parsed.name, device)
        try:
            self._on_device(
                parsed, device=device, payload=payload, retained=retained, now=now, out=out
            )
        except DevicePayloadError as error:
            self._on_bad_payload(
                parsed.name, device, str(error), retained=retained, now=now, out=out
            )
        self._status(parsed.name, device, out)
        return out

    def tick(self) -> Outputs:
        """Offline after silence, and the end of floods."""
        now = self.clock.monotonic()
        out = Outputs()
        for name, device in self.devices.items():
            if device.flooding:
                device.bucket.refill(now)
                if device.bucket.tokens >= device.bucket.capacity / 2:
                    device.flooding = False
            if device.role and device.online is not False:
                since = device.heard_at if device.heard_at is not None else device.watched_since
                if now - since > self.offline_after_s:
                    device.online = False
                    out.events.append(
                        self._event(name, device, "offline",
                                    {"reason": "silent", "silent_s": round(now - since)})
                    )  # fmt: skip
            if device.role:
                self._status(name, device, out)
        return out

    # what happened, per channel

    def _on_device(
        self,
        parsed: DeviceTopic,
        *,
        device: _Device,
        payload: bytes,
        retained: bool,
        now: float,
        out: Outputs,
    ) -> None:
        name = parsed.name
        if parsed.channel == "availability":
            online = parse_availability(payload)
            if not retained and online:
                self._heard(device, now)
            if online != device.online:
                previous, device.online = device.online, online
                if previous is not None or not online:
                    out.events.append(self._event(name, device, "online" if online else "offline"))
            return
        state = decode_object(payload)
        readings = self.reader.read(name, device.role, state, replayed=retained)
        if not retained:
            self._came_online(name, device, now, out)
            if device.garbage_at is not None and now - device.garbage_at >= GARBAGE_CLEAR_S:
                device.garbage_at = None
        battery = battery_of(state)
        if battery is not None:
            device.battery_pct = battery
        for reading in readings:
            if reading.kind in ("battery_low", "battery_ok"):
                device.battery_low = reading.kind == "battery_low"
            out.events.append(self._event(name, device, reading.kind, reading.fields))

    def _on_bad_payload(
        self, name: str, device: _Device, reason: str, *, retained: bool, now: float, out: Outputs
    ) -> None:
        device.bad_payloads += 1
        device.garbage_at = now
        if not retained:
            self._came_online(name, device, now, out)  # broken, but not silent
        out.events.append(self._event(name, device, "bad_payload", {"reason": reason}))

    def _on_unknown(self, name: str, device: _Device) -> Outputs:
        out = Outputs()
        if self.registry.note_seen(name):
            self._report_unknown(name, self.registry.paired.get(name), out)
        return out

    def _on_bridge(self, what: str, payload: bytes) -> Outputs:
        out = Outputs()
        if what == "state":
            text = payload.decode("utf-8", errors="replace")
            if "offline" in text:
                out.notes.append("zigbee2mqtt bridge is offline: no device can be heard")
            return out
        if what != "devices":
            return out
        try:
            paired = parse_bridge_devices(payload)
        except DevicePayloadError as error:
            self.bridge_bad_payloads += 1
            out.notes.append(f"zigbee2mqtt bridge/devices ignored: {error}")
            return out
        for device in self.registry.note_paired(paired):
            self._report_unknown(device.friendly_name, device, out)
        return out

    def _report_unknown(self, name: str, paired: PairedDevice | None, out: Outputs) -> None:
        details: dict[str, Any] = {}
        if paired is not None:
            details = {
                "ieee_address": paired.ieee_address, "model": paired.model,
                "vendor": paired.vendor, "description": paired.description,
                "supported": paired.supported,
            }  # fmt: skip
        out.events.append(DeviceEvent(name, "", "unknown_device", details))
        self._told_unknown.add(name)
        out.statuses.append(
            DeviceStatus(
                device=name, role="", online=True, battery_pct=None, battery_low=False,
                last_seen=None, problem="unknown",
            )
        )  # fmt: skip

    # helpers

    def _track(self, name: str, now: float) -> _Device | None:
        if len(self.devices) >= MAX_TRACKED_DEVICES:
            return None
        limit = float(self.max_messages_per_minute)
        device = _Device(
            role=self.registry.role_of(name),
            bucket=TokenBucket(limit, limit / 60.0, now),
            watched_since=now,
        )
        self.devices[name] = device
        return device

    def _came_online(self, name: str, device: _Device, now: float, out: Outputs) -> None:
        """The device sent something now: it is heard, and online."""
        self._heard(device, now)
        if device.online is False:
            out.events.append(self._event(name, device, "online"))
        device.online = True

    def _heard(self, device: _Device, now: float) -> None:
        device.heard_at = now
        device.last_seen = self.clock.now().timestamp()

    def _event(
        self, name: str, device: _Device, kind: str, fields: dict[str, Any] | None = None
    ) -> DeviceEvent:
        spec = self.registry.spec(name)
        room = {"room": spec.room} if spec and spec.room else {}
        return DeviceEvent(name, device.role, kind, {**room, **(fields or {})})

    def _status(self, name: str, device: _Device, out: Outputs) -> None:
        """Append a status when what the fleet shows (online, battery, problem) changed."""
        if device.online is None or not device.role:
            return
        key = (device.online, device.battery_low, device.problem)
        if key == device.reported:
            return
        device.reported = key
        out.statuses.append(
            DeviceStatus(
                device=name, role=device.role, online=device.online,
                battery_pct=device.battery_pct, battery_low=device.battery_low,
                last_seen=device.last_seen, problem=device.problem,
            )
        )  # fmt: skip

    def counts(self) -> dict[str, int]:
        """Totals for logs and tests."""
        return {
            "bad_payloads": sum(device.bad_payloads for device in self.devices.values()),
            "dropped": sum(device.dropped for device in self.devices.values()),
            "ignored": self.ignored,
            "bridge_bad_payloads": self.bridge_bad_payloads,
        }
