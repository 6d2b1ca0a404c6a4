"""Daytime inactivity: nothing moved anywhere at home for hours: check in.

Only counted inside the day window (by default 08:00-21:00): a night's sleep
and a late morning are not inactivity, so the silence is measured from the
later of the last activity and the start of today's window. One check-in per
silence: the next needs some activity first. Without a motion sensor in the
registry the robot cannot tell stillness from absence, so it does not guess.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleet.protocol import DevicesConfig
from homecare.clock import Clock
from robot.home_watch.daily_window import DailyWindow
from robot.home_watch.model import DAYTIME_INACTIVITY, Action, CheckIn, DeviceReading
from robot.home_watch.params import InactivityParams

# Readings that mean a person did something (a light may be switched by the robot itself).
ACTIVITY_KINDS = frozenset({"motion", "occupied", "vacated", "opened", "closed", "pressed"})
ACTIVITY_ROLES = frozenset(
    {"sos_button", "bed_sensor", "chair_sensor", "door_sensor", "motion_sensor", "pill_dispenser"}
)


class DaytimeInactivity:
    def __init__(self, params: InactivityParams, clock: Clock, day: DailyWindow) -> None:
        self.params = params
        self.clock = clock
        self.day = day
        self._last_activity: datetime = clock.now()
        self._checked_in = False

    def restart(self) -> None:
        """Count from now (motion sensors just appeared: what happened before is unknown)."""
        self._last_activity = self.clock.now()
        self._checked_in = False

    def on_reading(self, reading: DeviceReading) -> None:
        if reading.role in ACTIVITY_ROLES and reading.kind in ACTIVITY_KINDS:
            self._last_activity = self.clock.now()
            self._checked_in = False

    def tick(self, registry: DevicesConfig) -> list[Action]:
        if self._checked_in or not has_motion_sensor(registry):
            return []
        now = self.clock.now()
        day_began = self.day.started_at(now)
        if day_began is None:
            return []
        quiet_since = max(self._last_activity, day_began)
        quiet = now - quiet_since
        if quiet < timedelta(seconds=self.params.inactivity_s):
            return []
        self._checked_in = True
        hours = round(quiet.total_seconds() / 3600, 1)
        return [CheckIn(DAYTIME_INACTIVITY, {"hours": hours})]


def has_motion_sensor(registry: DevicesConfig) -> bool:
    return any(spec.role == "motion_sensor" for spec in registry.devices.values())
