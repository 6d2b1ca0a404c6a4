"""home_watch: /devices/event and /fleet/config (kind "devices") in; /safety/check_in,
/safety/alert and /devices/command out.

Thin wiring of `robot.home_watch.HomeWatch`: night lights and the night bed-exit
check, the night front-door check, the daytime inactivity check. The registry
(rooms, night lights, the front door, the caregiver notice) comes from the
fleet, else from the `devices` parameter; a bad update is logged and the
registry in use kept, `{}` clears the fleet's.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from homecare.errors import ConfigError
from homecare.settings import get_settings
from robot.devices.registry import CONFIG_KIND, DeviceRegistry, parse_devices_config
from robot.home_watch import (
    Action,
    CheckIn,
    DeviceReading,
    HomeWatch,
    HomeWatchParams,
    RaiseAlert,
    SetDevice,
)
from robot.runtime import CONFIG, EVENTS, Runtime, load_params
from robot.runtime.stamps import header, new_id


class HomeWatchNodeParams(HomeWatchParams):
    timezone: str = Field(default="", description="IANA zone of the home; empty: the settings'.")
    devices: str = Field(
        default="", description="The registry as JSON (cfg/devices data) until the fleet sends one."
    )
    tick_period_s: float = Field(default=1.0, gt=0, description="How often deadlines are checked.")


class HomeWatchNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = load_params(rt, HomeWatchNodeParams)
        zone = home_zone(self.params.timezone or get_settings().robot.timezone)
        self.home = HomeWatch(self.params, rt.clock, zone)
        self.registry = DeviceRegistry(
            parse_devices_config(self.params.devices, f"node {rt.name}: parameter devices")
        )
        self.home.configure(self.registry.config)
        types = rt.types
        self.check_ins = rt.publisher("/safety/check_in", types.CheckIn, EVENTS)
        self.alerts = rt.publisher("/safety/alert", types.Alert, EVENTS)
        self.commands = rt.publisher("/devices/command", types.DeviceEvent, EVENTS)
        rt.subscribe("/fleet/config", types.ConfigUpdate, self.on_config, CONFIG)
        rt.subscribe("/devices/event", types.DeviceEvent, self.on_device_event, EVENTS)
        rt.timer(self.params.tick_period_s, self.tick)

    def on_config(self, update: Any) -> None:
        if update.kind != CONFIG_KIND:
            return
        try:
            registry = self.registry.update(int(update.version), update.json)
        except ConfigError as error:
            self.rt.log.error(
                "devices config rejected; the previous registry stays",
                version=int(update.version),
                problem=str(error),
            )
            return
        self.home.configure(registry)
        self.rt.log.info(
            "devices registry loaded", version=self.registry.version, devices=len(registry.devices)
        )

    def on_device_event(self, event: Any) -> None:
        reading = device_reading(event)
        if reading is None:
            self.rt.log.warning("device event ignored: json is not an object", device=event.device)
            return
        self.perform(self.home.on_reading(reading))

    def tick(self) -> None:
        self.perform(self.home.tick())

    def perform(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, CheckIn):
                self.check_in(action)
            elif isinstance(action, RaiseAlert):
                self.raise_alert(action)
            else:
                self.set_device(action)

    def check_in(self, check_in: CheckIn) -> None:
        self.check_ins.publish(
            self.rt.types.CheckIn(
                header=header(self.rt),
                trigger=check_in.trigger,
                details_json=json.dumps(check_in.details, ensure_ascii=False),
            )
        )
        self.rt.log.info("home check-in asked", trigger=check_in.trigger)

    def raise_alert(self, alert: RaiseAlert) -> None:
        alert_id = new_id()
        self.alerts.publish(
            self.rt.types.Alert(
                header=header(self.rt),
                alert_id=alert_id,
                kind=alert.kind,
                severity=alert.severity,
                details_json=json.dumps(alert.details, ensure_ascii=False),
            )
        )
        self.rt.log.warning("home alert raised", alert_id=alert_id, kind=alert.kind)

    def set_device(self, command: SetDevice) -> None:
        spec = self.home.registry.devices.get(command.device)
        self.commands.publish(
            self.rt.types.DeviceEvent(
                header=header(self.rt),
                device=command.device,
                role=spec.role if spec else "",
                kind="set",
                json=json.dumps(command.payload),
            )
        )
        state = command.payload.get("state")
        self.rt.log.info("device command", device=command.device, state=state)


def device_reading(event: Any) -> DeviceReading | None:
    """The reading in a DeviceEvent; None when its json is not a JSON object."""
    try:
        fields = json.loads(event.json) if event.json.strip() else {}
    except ValueError:
        return None
    if not isinstance(fields, dict):
        return None
    return DeviceReading(str(event.device), str(event.role), str(event.kind), fields)


def home_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"node home_watch: timezone {name!r} is not an IANA time zone (e.g. Europe/Moscow)"
        ) from None


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(HomeWatchNode, "home_watch", args)
