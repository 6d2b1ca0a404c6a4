"""Night lights: on for the way when the resident gets up at night, off again later.

Only lights the robot switched on are switched off again (a lamp the resident
had on stays on), and one the resident switches off is left alone. Light and
plug states come back from the devices as `on`/`off` readings.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleet.protocol import DevicesConfig
from homecare.clock import Clock
from robot.home_watch.model import DeviceReading, SetDevice
from robot.home_watch.params import NightLightParams

SWITCHED_ROLES = frozenset({"light", "plug"})


class NightLights:
    def __init__(self, params: NightLightParams, clock: Clock) -> None:
        self.params = params
        self.clock = clock
        self._reported_on: set[str] = set()
        self._ours: set[str] = set()  # switched on by us and not switched off since
        self._on_since: datetime | None = None
        self._off_at: datetime | None = None

    def on_reading(self, reading: DeviceReading) -> None:
        if reading.role not in SWITCHED_ROLES:
            return
        if reading.kind == "on":
            self._reported_on.add(reading.device)
        elif reading.kind == "off":
            self._reported_on.discard(reading.device)
            self._ours.discard(reading.device)  # off by hand (or by us): not ours to manage

    def switch_on(self, registry: DevicesConfig) -> list[SetDevice]:
        """Every night light of the home that is not on already (the home is small)."""
        self._off_at = None  # up again before the lights went off: keep them on
        actions: list[SetDevice] = []
        for name, spec in sorted(registry.devices.items()):
            if not spec.night_light or spec.role not in SWITCHED_ROLES:
                continue
            if name in self._ours or name in self._reported_on:
                continue
            payload: dict[str, object] = {"state": "ON"}
            if spec.role == "light" and self.params.night_light_brightness:
                payload["brightness"] = self.params.night_light_brightness
            actions.append(SetDevice(name, payload))
            self._ours.add(name)
        if actions and self._on_since is None:
            self._on_since = self.clock.now()
        return actions

    def switch_off_later(self) -> None:
        """The resident is back in bed: off after `lights_off_after_return_s`."""
        if self._ours:
            delay = timedelta(seconds=self.params.lights_off_after_return_s)
            self._off_at = self.clock.now() + delay

    def tick(self, night: bool) -> list[SetDevice]:
        """Off when due, when the night is over, or when on for `lights_max_on_s`."""
        if not self._ours:
            return []
        now = self.clock.now()
        too_long = self._on_since is not None and now - self._on_since >= timedelta(
            seconds=self.params.lights_max_on_s
        )
        due = self._off_at is not None and now >= self._off_at
        if not (due or too_long or not night):
            return []
        actions = [SetDevice(name, {"state": "OFF"}) for name in sorted(self._ours)]
        self._ours.clear()
        self._on_since = None
        self._off_at = None
        return actions
