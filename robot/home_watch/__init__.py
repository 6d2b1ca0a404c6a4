"""The home's behaviours on its assistive devices (issue 9).

Plain classes on the injected `Clock`, fed normalised device readings, returning
actions (`CheckIn`, `RaiseAlert`, `SetDevice`); the home_watch node wires them
to topics. One module per behaviour: night_bed_exit (with night_lights),
night_door, inactivity. SOS buttons go straight to the guardian.
"""

from robot.home_watch.home import HomeWatch
from robot.home_watch.model import (
    DAYTIME_INACTIVITY,
    NIGHT_BED_EXIT,
    NIGHT_DOOR,
    Action,
    CheckIn,
    DeviceReading,
    SetDevice,
)
from robot.home_watch.params import HomeWatchParams
from robot.safety.guardian import RaiseAlert

__all__ = [
    "DAYTIME_INACTIVITY",
    "NIGHT_BED_EXIT",
    "NIGHT_DOOR",
    "Action",
    "CheckIn",
    "DeviceReading",
    "HomeWatch",
    "HomeWatchParams",
    "RaiseAlert",
    "SetDevice",
]
