"""Night door: the front door opening at night gets a gentle voice check.

If the resident's care plan asks for it (`notify_caregiver_on_night_door`, for
example with dementia), a caregiver is also told at once, without waiting for
the answer. Door sensors not marked `front_door` (a balcony, a cupboard) are
ignored. At most one check (and alert) per `door_repeat_s`: going out and
coming back in is one event, not two.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleet.protocol import DevicesConfig
from homecare.clock import Clock
from robot.home_watch.daily_window import DailyWindow
from robot.home_watch.model import NIGHT_DOOR, Action, CheckIn, DeviceReading
from robot.home_watch.params import NightDoorParams
from robot.safety.guardian import RaiseAlert

WARNING = "warning"


class NightDoor:
    def __init__(self, params: NightDoorParams, clock: Clock, night: DailyWindow) -> None:
        self.params = params
        self.clock = clock
        self.night = night
        self._last_check: datetime | None = None

    def on_reading(self, reading: DeviceReading, registry: DevicesConfig) -> list[Action]:
        if (reading.role, reading.kind) != ("door_sensor", "opened"):
            return []
        spec = reading.spec(registry)
        if spec is not None and not spec.front_door:
            return []
        now = self.clock.now()
        if not self.night.contains(now):
            return []
        repeat = timedelta(seconds=self.params.door_repeat_s)
        if self._last_check is not None and now - self._last_check < repeat:
            return []
        self._last_check = now
        details: dict[str, object] = {"device": reading.device, "room": reading.room(registry)}
        actions: list[Action] = [CheckIn(NIGHT_DOOR, details)]
        if registry.notify_caregiver_on_night_door:
            at = now.astimezone(self.night.zone).isoformat(timespec="seconds")
            actions.append(RaiseAlert(NIGHT_DOOR, WARNING, {**details, "at": at}))
        return actions
