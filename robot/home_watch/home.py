"""`HomeWatch`: the home's behaviours on device readings, behind one small face.

The node feeds it readings (/devices/event), the registry (/fleet/config kind
"devices") and a periodic `tick`; it returns actions. Time is the injected
clock's wall time in the home's zone, since every rule here is about local
hours ("at night", "by day").
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fleet.protocol import DevicesConfig
from homecare.clock import Clock
from robot.devices.registry import NO_DEVICES
from robot.home_watch.daily_window import DailyWindow
from robot.home_watch.inactivity import DaytimeInactivity, has_motion_sensor
from robot.home_watch.model import Action, DeviceReading
from robot.home_watch.night_bed_exit import NightBedExit
from robot.home_watch.night_door import NightDoor
from robot.home_watch.night_lights import NightLights
from robot.home_watch.params import HomeWatchParams


class HomeWatch:
    def __init__(self, params: HomeWatchParams, clock: Clock, zone: ZoneInfo) -> None:
        self.params = params
        self.clock = clock
        self.registry: DevicesConfig = NO_DEVICES
        night = DailyWindow(params.night_start, params.night_end, zone)
        day = DailyWindow(params.day_start, params.day_end, zone)
        self.lights = NightLights(params, clock)
        self.bed_exit = NightBedExit(params, clock, night, self.lights)
        self.door = NightDoor(params, clock, night)
        self.inactivity = DaytimeInactivity(params, clock, day)

    def configure(self, registry: DevicesConfig) -> None:
        if has_motion_sensor(registry) and not has_motion_sensor(self.registry):
            self.inactivity.restart()
        self.registry = registry

    def on_reading(self, reading: DeviceReading) -> list[Action]:
        self.lights.on_reading(reading)
        self.inactivity.on_reading(reading)
        return [
            *self.bed_exit.on_reading(reading, self.registry),
            *self.door.on_reading(reading, self.registry),
        ]

    def tick(self) -> list[Action]:
        return [*self.bed_exit.tick(), *self.inactivity.tick(self.registry)]
