"""Night bed exit: light the way, and check in if the resident does not come back.

- A bed sensor reports `vacated` at night: the night lights go on.
- `occupied` again: the lights go off a little later; nothing else happens.
- Not back within `bed_return_timeout_s`: a `night_bed_exit` check-in. Motion
  (a motion sensor, or a chair sat on) restarts the wait once, since the
  resident is up and about; a second full wait still checks in (someone who
  walks a few steps and then falls must not be missed).
- Morning: when the night ends, a wait with motion seen since the exit ends
  quietly (the resident is up for the day); one without any motion runs on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fleet.protocol import DevicesConfig
from homecare.clock import Clock
from robot.home_watch.daily_window import DailyWindow
from robot.home_watch.model import NIGHT_BED_EXIT, Action, CheckIn, DeviceReading
from robot.home_watch.night_lights import NightLights
from robot.home_watch.params import NightBedExitParams


@dataclass
class _OutOfBed:
    device: str
    room: str
    left_at: datetime
    deadline: datetime
    moved: bool = False
    wait_restarted: bool = False
    checked_in: bool = False


UP_AND_ABOUT = frozenset({("motion_sensor", "motion"), ("chair_sensor", "occupied")})


class NightBedExit:
    def __init__(
        self, params: NightBedExitParams, clock: Clock, night: DailyWindow, lights: NightLights
    ) -> None:
        self.params = params
        self.clock = clock
        self.night = night
        self.lights = lights
        self._out: _OutOfBed | None = None

    def on_reading(self, reading: DeviceReading, registry: DevicesConfig) -> list[Action]:
        now = self.clock.now()
        if reading.role == "bed_sensor" and reading.kind == "vacated":
            return self._left_bed(reading, registry, now)
        if reading.role == "bed_sensor" and reading.kind == "occupied":
            if self._out is not None:
                self._out = None
                self.lights.switch_off_later()
            return []
        out = self._out
        if (reading.role, reading.kind) in UP_AND_ABOUT and out is not None and not out.checked_in:
            out.moved = True
            if not out.wait_restarted:
                out.wait_restarted = True
                out.deadline = now + self._timeout
        return []

    def tick(self) -> list[Action]:
        now = self.clock.now()
        night = self.night.contains(now)
        actions: list[Action] = []
        out = self._out
        if out is not None and not out.checked_in:
            if not night and out.moved:
                self._out = None  # morning, and seen moving: up for the day
            elif now >= out.deadline:
                out.checked_in = True
                minutes = round((now - out.left_at).total_seconds() / 60)
                details: dict[str, object] = {
                    "device": out.device,
                    "room": out.room,
                    "minutes": minutes,
                }
                actions.append(CheckIn(NIGHT_BED_EXIT, details))
        actions.extend(self.lights.tick(night))
        return actions

    def _left_bed(
        self, reading: DeviceReading, registry: DevicesConfig, now: datetime
    ) -> list[Action]:
        if not self.night.contains(now):
            return []
        if self._out is not None and not self._out.checked_in:
            return []  # a repeated `vacated`: the first one counts
        self._out = _OutOfBed(reading.device, reading.room(registry), now, now + self._timeout)
        return list(self.lights.switch_on(registry))

    @property
    def _timeout(self) -> timedelta:
        return timedelta(seconds=self.params.bed_return_timeout_s)
