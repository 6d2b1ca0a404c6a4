"""The registry in use: which paired device has which role, and which are unknown.

Two sources, the fleet first: `cfg/devices` (on /fleet/config, kind "devices") when the
fleet sent one, else the node's `devices` parameter (a JSON string, for a robot without a
fleet). An empty configuration from the fleet (`{}`, as a wipe sends) clears the fleet's
registry, and the parameter applies again.

A device that Zigbee2MQTT has paired (bridge/devices) or that publishes state, but that
no registry lists, is unknown: listed for the caregiver to assign a role, never guessed.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from fleet.protocol import DevicesConfig, DeviceSpec
from homecare.errors import ConfigError
from robot.devices.zigbee2mqtt import PairedDevice

CONFIG_KIND = "devices"  # its kind on /fleet/config
NO_DEVICES = DevicesConfig()
# Names of unknown devices we keep: a misbehaving bridge must not grow memory without end.
MAX_UNKNOWN_DEVICES = 256


def parse_devices_config(text: str, source: str = "devices config") -> DevicesConfig | None:
    """A DevicesConfig from JSON text; None for empty text or `{}`; ConfigError naming
    the field otherwise."""
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConfigError(f"{source} is not valid JSON: {error}") from None
    if data == {}:
        return None
    try:
        return DevicesConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{source}: {where}: {message}") from None


class DeviceRegistry:
    """The configured devices plus what the bridge says is paired."""

    def __init__(self, local: DevicesConfig | None = None) -> None:
        self._local = local
        self._from_fleet: DevicesConfig | None = None
        self.paired: dict[str, PairedDevice] = {}
        self._unknown: dict[str, PairedDevice | None] = {}
        self.version: int | None = None  # of the fleet's registry in use

    @property
    def config(self) -> DevicesConfig:
        return self._from_fleet or self._local or NO_DEVICES

    def update(self, version: int, text: str) -> DevicesConfig:
        """Apply the fleet's `cfg/devices` (JSON text; `{}` clears it). Raises `ConfigError`
        for an invalid or older one, keeping the registry in use; returns the one in use."""
        parsed = parse_devices_config(text)
        if parsed is not None and self.version is not None and version < self.version:
            raise ConfigError(
                f"devices config version {version} is older than the one in use ({self.version})"
            )
        self.use_fleet_config(parsed)
        self.version = version
        return self.config

    def use_fleet_config(self, config: DevicesConfig | None) -> None:
        """The fleet's registry (None: cleared); devices it now lists stop being unknown."""
        self._from_fleet = config
        for name in list(self._unknown):
            if self.spec(name) is not None:
                del self._unknown[name]

    def spec(self, name: str) -> DeviceSpec | None:
        return self.config.devices.get(name)

    def role_of(self, name: str) -> str:
        """The device's role, "" when no registry lists it."""
        spec = self.spec(name)
        return spec.role if spec else ""

    def names(self) -> list[str]:
        return sorted(self.config.devices)

    def note_paired(self, devices: list[PairedDevice]) -> list[PairedDevice]:
        """Take bridge/devices; returns the paired devices newly found unknown."""
        self.paired = {device.friendly_name: device for device in devices}
        found = []
        for device in devices:
            if self.spec(device.friendly_name) is None and self._remember(
                device.friendly_name, device
            ):
                found.append(device)
        return found

    def note_seen(self, name: str) -> bool:
        """A device published something; True when it is newly found unknown."""
        if self.spec(name) is not None:
            return False
        return self._remember(name, self.paired.get(name))

    def unknown_devices(self) -> list[str]:
        """Paired or publishing devices no registry lists, by name."""
        return sorted(name for name in self._unknown if self.spec(name) is None)

    def _remember(self, name: str, device: PairedDevice | None) -> bool:
        if name in self._unknown:
            if device is not None:
                self._unknown[name] = device
            return False
        if len(self._unknown) >= MAX_UNKNOWN_DEVICES:
            return False
        self._unknown[name] = device
        return True
