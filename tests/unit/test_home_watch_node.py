"""The home_watch node on a LocalRuntime: device events and the registry in; device
commands, check-ins and alerts out (and, with the guardian, the whole night check)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from fleet.protocol import DevicesConfig, DeviceSpec
from homecare.clock import ManualClock
from homecare.errors import ConfigError
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from robot.local_launch import robot_runtime, start_nodes
from robot.runtime import CONFIG, EVENTS, LocalRuntime
from robot.runtime.local import LocalNode, LocalPublisher
from robot.runtime.stamps import header
from robot.safety.guardian_phrases import Phrase, phrase

HOME_WATCH = {"home_watch": "robot.nodes.home_watch_node:HomeWatchNode"}
GUARDIAN = {"guardian": "robot.nodes.guardian_node:GuardianNode"}
NIGHT = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)  # 23:00 in Yekaterinburg
REGISTRY = DevicesConfig(
    devices={
        "bedroom/bed": DeviceSpec(role="bed_sensor", room="bedroom"),
        "hall/lamp": DeviceSpec(role="light", room="hall", night_light=True),
        "front door": DeviceSpec(role="door_sensor", room="hall"),
        "hall/motion": DeviceSpec(role="motion_sensor", room="hall"),
    },
    notify_caregiver_on_night_door=True,
)


@dataclass
class Home:
    rt: LocalRuntime
    probe: LocalNode
    config: LocalPublisher
    events: LocalPublisher
    commands: list[Any] = field(default_factory=list)
    check_ins: list[Any] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)
    said: list[Any] = field(default_factory=list)

    def send_config(self, data: str, version: int = 1) -> None:
        types: Any = self.probe.types
        self.config.publish(
            types.ConfigUpdate(
                header=header(self.probe), kind="devices", version=version, json=data
            )
        )
        self.rt.run_until_idle()

    def device(self, device: str, role: str, kind: str, data: str = "{}") -> None:
        types: Any = self.probe.types
        self.events.publish(
            types.DeviceEvent(
                header=header(self.probe), device=device, role=role, kind=kind, json=data
            )
        )
        self.rt.run_until_idle()


def make_home(nodes: dict[str, str], **parameters: object) -> Home:
    overrides = {"home_watch": {"timezone": "Asia/Yekaterinburg", **parameters}}
    rt = robot_runtime(ManualClock(NIGHT), PACKAGED_ROBOT_PARAMETERS, "en", overrides)
    start_nodes(rt, nodes)
    probe = rt.node("probe")
    types: Any = probe.types
    home = Home(
        rt,
        probe,
        config=probe.publisher("/fleet/config", types.ConfigUpdate, CONFIG),
        events=probe.publisher("/devices/event", types.DeviceEvent, EVENTS),
    )
    probe.subscribe("/devices/command", types.DeviceEvent, home.commands.append, EVENTS)
    probe.subscribe("/safety/check_in", types.CheckIn, home.check_ins.append, EVENTS)
    probe.subscribe("/safety/alert", types.Alert, home.alerts.append, EVENTS)
    probe.subscribe("/speech/say", types.SayRequest, home.said.append, EVENTS)
    return home


@pytest.fixture
def home() -> Iterator[Home]:
    made = make_home(HOME_WATCH)
    made.send_config(REGISTRY.model_dump_json())
    yield made
    assert made.rt.callback_errors == {}


def test_night_bed_exit_lights_the_way_then_checks_in(home: Home) -> None:
    home.device("bedroom/bed", "bed_sensor", "vacated", '{"room": "bedroom"}')
    [command] = home.commands
    assert (command.device, command.role, command.kind) == ("hall/lamp", "light", "set")
    assert json.loads(command.json) == {"state": "ON"}

    home.rt.run_for(899)
    assert home.check_ins == []
    home.rt.run_for(1.5)
    [check_in] = home.check_ins
    assert check_in.trigger == "night_bed_exit"
    assert json.loads(check_in.details_json) == {
        "device": "bedroom/bed", "room": "bedroom", "minutes": 15,
    }  # fmt: skip


def test_front_door_at_night_checks_in_and_tells_the_caregiver(home: Home) -> None:
    home.device("front door", "door_sensor", "opened", '{"room": "hall"}')
    [check_in] = home.check_ins
    assert check_in.trigger == "night_door"
    [alert] = home.alerts
    assert (alert.kind, alert.severity, len(alert.alert_id)) == ("night_door", "warning", 36)
    assert json.loads(alert.details_json) == {
        "device": "front door", "room": "hall", "at": "2026-01-05T23:00:00+05:00",
    }  # fmt: skip


def test_a_bad_registry_is_refused_and_the_previous_one_stays(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="robot.home_watch"):
        home.send_config('{"devices": {"lamp": {"role": "toaster"}}}', version=2)
    [record] = [r for r in caplog.records if "devices config rejected" in r.getMessage()]
    assert "devices.lamp.role" in record.getMessage()
    home.device("bedroom/bed", "bed_sensor", "vacated")
    assert [c.device for c in home.commands] == ["hall/lamp"]  # the old registry still works


def test_an_empty_registry_forgets_the_devices(home: Home) -> None:
    home.send_config("{}", version=2)
    home.device("bedroom/bed", "bed_sensor", "vacated")
    home.device("front door", "door_sensor", "opened")
    assert home.commands == [] and home.alerts == []  # no night lights, no care plan notice
    assert [c.trigger for c in home.check_ins] == ["night_door"]  # the door still is one


@pytest.mark.parametrize("data", ["[1, 2]", "not json", '"text"'])
def test_an_event_whose_json_is_not_an_object_is_logged_and_ignored(
    home: Home, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="robot.home_watch"):
        home.device("front door", "door_sensor", "opened", data)
    assert home.check_ins == []
    assert any("json is not an object" in r.getMessage() for r in caplog.records)


def test_the_devices_parameter_serves_until_the_fleet_sends_a_registry() -> None:
    local = DevicesConfig(devices={"lamp": DeviceSpec(role="plug", night_light=True)})
    home = make_home(HOME_WATCH, devices=local.model_dump_json())
    home.device("bedroom/bed", "bed_sensor", "vacated")
    assert [c.device for c in home.commands] == ["lamp"]
    home.send_config(REGISTRY.model_dump_json())
    home.device("bedroom/bed", "bed_sensor", "occupied")
    home.rt.run_for(121)
    home.device("bedroom/bed", "bed_sensor", "vacated")
    assert [c.device for c in home.commands] == ["lamp", "lamp", "hall/lamp"]  # on, off, on


def test_a_bad_devices_parameter_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"node home_watch: parameter devices: devices\.x\.role"):
        make_home(HOME_WATCH, devices='{"devices": {"x": {"role": "kettle"}}}')


def test_a_bad_timezone_parameter_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="timezone 'Mars/Olympus' is not an IANA time zone"):
        make_home(HOME_WATCH, timezone="Mars/Olympus")


def test_with_the_guardian_an_unanswered_night_check_becomes_a_no_response_alert() -> None:
    home = make_home(HOME_WATCH | GUARDIAN)
    home.send_config(REGISTRY.model_dump_json())
    home.device("bedroom/bed", "bed_sensor", "vacated", '{"room": "bedroom"}')
    home.rt.run_for(901)
    [question] = home.said
    assert question.text == phrase(Phrase.ASK_NIGHT_BED_EXIT, "en")
    types: Any = home.probe.types
    assert question.priority == types.SayRequest.PRIORITY_URGENT
    home.rt.run_for(31)
    [alert] = home.alerts
    assert (alert.kind, alert.severity) == ("no_response", "critical")
    details = json.loads(alert.details_json)
    assert (details["trigger"], details["device"], details["room"], details["minutes"]) == (
        "night_bed_exit", "bedroom/bed", "bedroom", 15,
    )  # fmt: skip
    assert home.rt.callback_errors == {}
