"""A readable live timeline of what happens on the robot's topics.

A runtime tap: it sees every published message and prints one line for the
ones a person cares about (speech, intents, alerts, battery changes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from rich.console import Console
from rich.text import Text

from homecare.clock import Clock
from robot.runtime.qos import QoS

Formatter = Callable[[Any], tuple[str, str, str] | None]
"""message -> (label, style, text), or None to stay quiet."""


class Timeline:
    def __init__(self, console: Console, clock: Clock, zone: tzinfo) -> None:
        self.console = console
        self.clock = clock
        self.zone = zone
        self.lines: list[str] = []
        self._battery: tuple[int, int] | None = None
        self._formatters: dict[str, Formatter] = {
            "/speech/heard": self._heard,
            "/speech/say": self._say,
            "/dialog/intent": self._intent,
            "/safety/alert": self._alert,
            "/safety/fall": self._fall,
            "/robot/battery": self._battery_state,
            "/reminders/due": self._reminder_due,
            "/reminders/outcome": self._reminder_outcome,
            "/devices/event": self._device_event,
            "/devices/command": self._device_command,
        }

    def __call__(self, topic: str, msgtype: str, message: Any, qos: QoS) -> None:
        formatter = self._formatters.get(topic)
        entry = formatter(message) if formatter else None
        if entry is not None:
            self.emit(*entry)

    def emit(self, label: str, style: str, text: str) -> None:
        stamp = self.clock.now().astimezone(self.zone).strftime("%H:%M:%S")
        line = Text.assemble((stamp, "dim"), "  ", (f"{label:<9}", style), " ", text)
        self.lines.append(line.plain)
        self.console.print(line, highlight=False, soft_wrap=True)

    # one formatter per topic

    def _heard(self, message: Any) -> tuple[str, str, str] | None:
        if not message.is_final:
            return None
        return "resident", "bold cyan", f"«{message.text}» ({message.lang})"

    def _say(self, message: Any) -> tuple[str, str, str]:
        return "robot", "bold green", f"«{message.text}» ({message.lang})"

    def _intent(self, message: Any) -> tuple[str, str, str]:
        return (
            "intent",
            "magenta",
            f"{message.name} {message.slots_json} ({message.confidence:.2f})",
        )

    def _alert(self, message: Any) -> tuple[str, str, str]:
        style = "bold red" if message.severity == "critical" else "yellow"
        details = _compact_json(message.details_json)
        return "ALERT", style, f"{message.kind} [{message.severity}] {details}"

    def _fall(self, message: Any) -> tuple[str, str, str]:
        return "fall", "red", f"{message.phase} (confidence {message.confidence:.2f})"

    def _battery_state(self, message: Any) -> tuple[str, str, str] | None:
        percent = round(float(message.percentage) * 100)
        status = int(message.power_supply_status)
        if self._battery == (percent, status):
            return None
        changed_status = self._battery is not None and self._battery[1] != status
        self._battery = (percent, status)
        charging = status == message.POWER_SUPPLY_STATUS_CHARGING
        state = "charging" if charging else "on battery"
        if changed_status:
            state = "docked, charging" if charging else "left the dock"
        return "battery", "blue", f"{percent}% {state}"

    def _reminder_due(self, message: Any) -> tuple[str, str, str]:
        what = message.medicine or message.title
        return "reminder", "bold yellow", f"{message.kind}: {what} (attempt {message.attempt + 1})"

    def _device_event(self, message: Any) -> tuple[str, str, str]:
        role = f" ({message.role})" if message.role else ""
        return "device", "blue", f"{message.device}{role}: {message.kind}"

    def _device_command(self, message: Any) -> tuple[str, str, str]:
        return "device", "blue", f"{message.device} <- {_compact_json(message.json)}"

    def _reminder_outcome(self, message: Any) -> tuple[str, str, str]:
        return "reminder", "yellow", f"{message.reminder_id}: {message.outcome}"


def _compact_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return text


def local_zone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from homecare.errors import ConfigError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"setting robot.timezone: unknown time zone {name!r}") from None


def local_morning(zone: tzinfo, clock: Clock, hour: int = 8) -> datetime:
    """Today's date in the home's zone at `hour`:00, where the demo's simulated day starts."""
    today = clock.now().astimezone(zone).date()
    return datetime(today.year, today.month, today.day, hour, tzinfo=zone)
