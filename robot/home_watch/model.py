"""What the home's behaviours read (device readings) and what they ask for (actions).

The behaviours never touch ROS: the home_watch node turns /devices/event messages
into `DeviceReading`s and the actions into /safety/check_in, /safety/alert and
/devices/command messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fleet.protocol import DevicesConfig, DeviceSpec
from robot.safety.guardian import RaiseAlert  # the same alert, whoever raises it

# Check-in triggers (a contract with the guardian, see CheckIn.msg).
NIGHT_BED_EXIT = "night_bed_exit"
DAYTIME_INACTIVITY = "inactivity"
NIGHT_DOOR = "night_door"


@dataclass(frozen=True)
class DeviceReading:
    """One normalised reading of the device link (a /devices/event)."""

    device: str
    role: str
    kind: str
    fields: Mapping[str, object] = field(default_factory=dict)

    def room(self, registry: DevicesConfig) -> str:
        """The registry's room for the device, else the one the device link sent."""
        spec = registry.devices.get(self.device)
        if spec is not None and spec.room:
            return spec.room
        room = self.fields.get("room")
        return room if isinstance(room, str) else ""

    def spec(self, registry: DevicesConfig) -> DeviceSpec | None:
        return registry.devices.get(self.device)


@dataclass(frozen=True)
class CheckIn:
    """Ask the guardian to check on the resident by voice (silence escalates)."""

    trigger: str
    details: dict[str, object]


@dataclass(frozen=True)
class SetDevice:
    """A Zigbee2MQTT `/set` payload for one device, e.g. {"state": "ON"}."""

    device: str
    payload: dict[str, object]


Action = CheckIn | RaiseAlert | SetDevice
