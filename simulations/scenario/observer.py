"""What happened on the robot during a run, as seen on its topics (a runtime tap).

It keeps the facts the expectations need (what the robot said, fall events,
alerts, reminder outcomes) and a readable timeline and battery curve for the
report, all on the simulated clock as seconds after the scenario's start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from homecare.clock import Clock
from robot.runtime.qos import QoS
from simulations.report import TimelineEntry

BATTERY_SAMPLE_S = 60.0  # one battery point a simulated minute is plenty for a day's plot


@dataclass(frozen=True)
class Said:
    t_s: float
    text: str


@dataclass(frozen=True)
class FallSeen:
    t_s: float
    phase: str
    confidence: float


@dataclass(frozen=True)
class AlertSeen:
    t_s: float
    kind: str
    severity: str


@dataclass(frozen=True)
class DeviceSet:
    t_s: float
    device: str
    state: str  # "ON", "OFF" or "" (a command without a state)


@dataclass(frozen=True)
class DeviceReport:
    """A `device.status` the robot sent the fleet."""

    t_s: float
    device: str
    online: bool
    battery_low: bool
    problem: str

    @property
    def problems(self) -> set[str]:
        found = {self.problem} if self.problem else set()
        return (
            found
            | ({"offline"} if not self.online else set())
            | ({"battery_low"} if self.battery_low else set())
        )


@dataclass
class RobotObserver:
    clock: Clock
    said: list[Said] = field(default_factory=list)
    falls: list[FallSeen] = field(default_factory=list)
    alerts: list[AlertSeen] = field(default_factory=list)
    outcomes: list[tuple[float, str, str]] = field(default_factory=list)  # (t, reminder, outcome)
    timeline: list[TimelineEntry] = field(default_factory=list)
    battery: list[tuple[float, float]] = field(default_factory=list)
    device_sets: list[DeviceSet] = field(default_factory=list)
    device_reports: list[DeviceReport] = field(default_factory=list)

    def __call__(self, topic: str, msgtype: str, message: Any, qos: QoS) -> None:
        handler = _HANDLERS.get(topic)
        if handler is not None:
            handler(self, self.clock.monotonic(), message)

    def note(self, source: str, text: str) -> None:
        """Something the simulation itself did (an action started, the uplink cut)."""
        self.timeline.append(TimelineEntry(self.clock.monotonic(), source, text))

    def _heard(self, t: float, message: Any) -> None:
        if message.is_final:
            self.timeline.append(TimelineEntry(t, "resident", message.text))

    def _say(self, t: float, message: Any) -> None:
        self.said.append(Said(t, message.text))
        self.timeline.append(TimelineEntry(t, "robot", message.text))

    def _fall(self, t: float, message: Any) -> None:
        self.falls.append(FallSeen(t, message.phase, float(message.confidence)))
        self.timeline.append(
            TimelineEntry(t, "fall", f"{message.phase} (confidence {message.confidence:.2f})")
        )

    def _alert(self, t: float, message: Any) -> None:
        self.alerts.append(AlertSeen(t, message.kind, message.severity))
        self.timeline.append(TimelineEntry(t, "alert", f"{message.kind} [{message.severity}]"))

    def _due(self, t: float, message: Any) -> None:
        what = message.medicine or message.title
        text = f"{message.kind}: {what} (attempt {message.attempt + 1})"
        self.timeline.append(TimelineEntry(t, "reminder", text))

    def _outcome(self, t: float, message: Any) -> None:
        self.outcomes.append((t, message.reminder_id, message.outcome))
        self.timeline.append(
            TimelineEntry(t, "reminder", f"{message.reminder_id}: {message.outcome}")
        )

    def _device_event(self, t: float, message: Any) -> None:
        self.timeline.append(TimelineEntry(t, "device", f"{message.device}: {message.kind}"))

    def _device_command(self, t: float, message: Any) -> None:
        try:
            payload = json.loads(message.json)
        except ValueError:
            payload = {}
        state = str(payload.get("state", "")) if isinstance(payload, dict) else ""
        self.device_sets.append(DeviceSet(t, message.device, state.upper()))
        self.timeline.append(TimelineEntry(t, "device", f"{message.device} <- {message.json}"))

    def _fleet_event(self, t: float, message: Any) -> None:
        if message.type != "device.status":
            return
        try:
            fields = json.loads(message.json)
        except ValueError:
            return
        report = DeviceReport(
            t, str(fields.get("device", "")), bool(fields.get("online", True)),
            bool(fields.get("battery_low", False)), str(fields.get("problem", "")),
        )  # fmt: skip
        self.device_reports.append(report)
        health = ", ".join(sorted(report.problems)) or "ok"
        self.timeline.append(TimelineEntry(t, "device", f"{report.device} health: {health}"))

    def _battery(self, t: float, message: Any) -> None:
        if self.battery and t - self.battery[-1][0] < BATTERY_SAMPLE_S:
            return
        self.battery.append((t, float(message.percentage) * 100.0))


_HANDLERS = {
    "/speech/heard": RobotObserver._heard,
    "/speech/say": RobotObserver._say,
    "/safety/fall": RobotObserver._fall,
    "/safety/alert": RobotObserver._alert,
    "/reminders/due": RobotObserver._due,
    "/reminders/outcome": RobotObserver._outcome,
    "/robot/battery": RobotObserver._battery,
    "/devices/event": RobotObserver._device_event,
    "/devices/command": RobotObserver._device_command,
    "/fleet/event": RobotObserver._fleet_event,
}
