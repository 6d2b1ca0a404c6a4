"""The home's behaviours on device readings (robot.home_watch), on a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from fleet.protocol import DevicesConfig, DeviceSpec
from homecare.clock import ManualClock
from homecare.errors import ConfigError
from robot.devices.registry import DeviceRegistry, parse_devices_config
from robot.home_watch import (
    Action,
    CheckIn,
    DeviceReading,
    HomeWatch,
    HomeWatchParams,
    RaiseAlert,
    SetDevice,
)
from robot.home_watch.daily_window import DailyWindow

ZONE = ZoneInfo("Asia/Yekaterinburg")  # UTC+5 all year
BED = "bedroom/bed"
REGISTRY = DevicesConfig(
    devices={
        BED: DeviceSpec(role="bed_sensor", room="bedroom"),
        "hall/motion": DeviceSpec(role="motion_sensor", room="hall"),
        "hall/lamp": DeviceSpec(role="light", room="hall", night_light=True),
        "bathroom/plug": DeviceSpec(role="plug", room="bathroom", night_light=True),
        "kitchen/lamp": DeviceSpec(role="light", room="kitchen"),
        "armchair": DeviceSpec(role="chair_sensor", room="living room"),
        "front door": DeviceSpec(role="door_sensor", room="hall"),
        "balcony door": DeviceSpec(role="door_sensor", room="living room", front_door=False),
    }
)
NIGHT_LIGHTS_ON = [
    SetDevice("bathroom/plug", {"state": "ON"}),
    SetDevice("hall/lamp", {"state": "ON"}),
]
NIGHT_LIGHTS_OFF = [
    SetDevice("bathroom/plug", {"state": "OFF"}),
    SetDevice("hall/lamp", {"state": "OFF"}),
]


def local(hour: int, minute: int = 0, day: int = 5) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=ZONE)


class Home:
    def __init__(
        self, start: datetime, registry: DevicesConfig = REGISTRY, **params: object
    ) -> None:
        self.clock = ManualClock(start.astimezone(UTC))
        self.watch = HomeWatch(HomeWatchParams.model_validate(params), self.clock, ZONE)
        self.watch.configure(registry)

    def see(self, device: str, kind: str, **fields: object) -> list[Action]:
        spec = self.watch.registry.devices.get(device)
        role = spec.role if spec else "door_sensor"
        return self.watch.on_reading(DeviceReading(device, role, kind, fields))

    def run(self, seconds: float, step: float = 1.0) -> list[Action]:
        """Tick every `step` seconds for `seconds`; everything the behaviours asked for."""
        actions: list[Action] = []
        for _ in range(round(seconds / step)):
            self.clock.advance(step)
            actions.extend(self.watch.tick())
        return actions


def check_ins(actions: list[Action]) -> list[CheckIn]:
    return [action for action in actions if isinstance(action, CheckIn)]


# -- night bed exit and night lights ----------------------------------------------------


def test_leaving_bed_at_night_lights_the_night_lights_only() -> None:
    home = Home(local(23))
    assert home.see(BED, "vacated") == NIGHT_LIGHTS_ON  # not the kitchen lamp
    assert home.see(BED, "vacated") == []  # a repeated report changes nothing


def test_night_light_brightness_is_set_on_lights_not_on_plugs() -> None:
    home = Home(local(23), night_light_brightness=60)
    assert home.see(BED, "vacated") == [
        SetDevice("bathroom/plug", {"state": "ON"}),
        SetDevice("hall/lamp", {"state": "ON", "brightness": 60}),
    ]


def test_back_in_bed_turns_the_lights_off_two_minutes_later_without_a_check_in() -> None:
    home = Home(local(23))
    home.see(BED, "vacated")
    assert home.run(300) == []
    assert home.see(BED, "occupied") == []
    assert home.run(119) == []
    assert home.run(1) == NIGHT_LIGHTS_OFF
    assert home.run(3600) == []


def test_not_back_within_the_timeout_checks_in_once_with_what_was_seen() -> None:
    home = Home(local(23))
    home.see(BED, "vacated")
    assert home.run(899) == []
    assert home.run(1) == [
        CheckIn("night_bed_exit", {"device": BED, "room": "bedroom", "minutes": 15})
    ]
    assert check_ins(home.run(1800)) == []


def test_motion_restarts_the_wait_once_but_a_second_full_wait_still_checks_in() -> None:
    home = Home(local(23))
    home.see(BED, "vacated")
    home.run(600)
    home.see("hall/motion", "motion")  # up and about: wait again from here
    assert check_ins(home.run(899)) == []
    home.see("hall/motion", "motion")  # does not restart it a second time
    assert check_ins(home.run(1)) == [
        CheckIn("night_bed_exit", {"device": BED, "room": "bedroom", "minutes": 25})
    ]


def test_sitting_in_the_armchair_counts_as_up_and_about() -> None:
    home = Home(local(23))
    home.see(BED, "vacated")
    home.run(600)
    home.see("armchair", "occupied")
    assert check_ins(home.run(899)) == []
    assert len(check_ins(home.run(1))) == 1


def test_leaving_bed_by_day_does_nothing() -> None:
    home = Home(local(14))
    assert home.see(BED, "vacated") == []
    assert home.run(3600, step=10) == []


def test_lights_go_off_when_the_night_ends_and_a_moving_resident_is_not_checked() -> None:
    home = Home(local(6, 50))
    assert home.see(BED, "vacated") == NIGHT_LIGHTS_ON
    home.see("hall/motion", "motion")
    assert home.run(599) == []
    assert home.run(1) == NIGHT_LIGHTS_OFF  # 07:00
    assert home.run(3600, step=10) == []  # up for the day


def test_after_the_night_a_resident_never_seen_moving_is_still_checked() -> None:
    home = Home(local(6, 50))
    home.see(BED, "vacated")
    actions = home.run(900)
    assert NIGHT_LIGHTS_OFF[0] in actions  # at 07:00
    assert check_ins(actions) == [
        CheckIn("night_bed_exit", {"device": BED, "room": "bedroom", "minutes": 15})
    ]


def test_lights_go_off_after_lights_max_on_s_even_if_not_back() -> None:
    home = Home(local(23), lights_max_on_s=1800)
    home.see(BED, "vacated")
    actions = home.run(1800)
    assert [a for a in actions if isinstance(a, SetDevice)] == NIGHT_LIGHTS_OFF


def test_a_lamp_already_on_is_left_alone_and_one_switched_off_by_hand_stays_off() -> None:
    home = Home(local(23))
    home.see("hall/lamp", "on")  # the resident's own lamp, on before the robot did anything
    assert home.see(BED, "vacated") == [SetDevice("bathroom/plug", {"state": "ON"})]
    home.see("bathroom/plug", "on")  # the plug reports the robot's command
    home.see("bathroom/plug", "off")  # and then the resident switches it off
    home.see(BED, "occupied")
    assert home.run(600) == []  # nothing of ours is still on: nothing to switch off


def test_getting_up_again_before_the_lights_went_off_keeps_them_on() -> None:
    home = Home(local(23))
    home.see(BED, "vacated")
    home.see(BED, "occupied")
    home.run(60)
    assert home.see(BED, "vacated") == []  # still on: nothing to switch
    assert home.run(119) == []
    home.see(BED, "occupied")
    assert home.run(120) == NIGHT_LIGHTS_OFF


# -- night door -------------------------------------------------------------------------


def test_front_door_at_night_checks_in_once_per_repeat_time() -> None:
    home = Home(local(23))
    assert home.see("front door", "opened") == [
        CheckIn("night_door", {"device": "front door", "room": "hall"})
    ]
    home.run(599)
    assert home.see("front door", "opened") == []
    home.run(1)
    assert len(home.see("front door", "opened")) == 1


def test_night_door_tells_the_caregiver_when_the_care_plan_says_so() -> None:
    registry = REGISTRY.model_copy(update={"notify_caregiver_on_night_door": True})
    home = Home(local(2, 30, day=6), registry)
    details: dict[str, object] = {"device": "front door", "room": "hall"}
    assert home.see("front door", "opened") == [
        CheckIn("night_door", details),
        RaiseAlert("night_door", "warning", {**details, "at": "2026-01-06T02:30:00+05:00"}),
    ]


@pytest.mark.parametrize(
    ("start", "device", "kind"),
    [
        (local(23), "balcony door", "opened"),  # not the way out of the home
        (local(23), "front door", "closed"),
        (local(12), "front door", "opened"),  # by day
    ],
)
def test_other_doors_closing_and_daytime_openings_are_not_checked(
    start: datetime, device: str, kind: str
) -> None:
    assert Home(start).see(device, kind) == []


# -- daytime inactivity -----------------------------------------------------------------


def test_no_movement_for_four_daytime_hours_checks_in_once_until_some_activity() -> None:
    home = Home(local(7, 30))  # the night's silence before 08:00 does not count
    assert home.run(4 * 3600 + 1740, step=60) == []  # to 11:59
    assert home.run(60, step=60) == [CheckIn("inactivity", {"hours": 4.0})]  # 12:00
    assert home.run(3600, step=60) == []
    home.see("hall/motion", "motion")
    assert home.run(4 * 3600 - 60, step=60) == []
    assert home.run(60, step=60) == [CheckIn("inactivity", {"hours": 4.0})]


def test_only_people_count_as_activity_not_lights() -> None:
    home = Home(local(8))
    home.run(3 * 3600, step=60)
    home.see("kitchen/lamp", "on")  # the robot or an automation may switch lights
    home.see("hall/motion", "still")
    assert check_ins(home.run(3600, step=60)) == [CheckIn("inactivity", {"hours": 4.0})]


def test_the_evening_is_not_counted_into_the_next_morning() -> None:
    home = Home(local(18))
    assert home.run(15 * 3600, step=60) == []  # 18:00 to 09:00: the watch stops at 21:00
    assert home.run(3 * 3600, step=60) == [CheckIn("inactivity", {"hours": 4.0})]  # 12:00


def test_without_a_motion_sensor_inactivity_is_not_guessed() -> None:
    no_motion = DevicesConfig(
        devices={name: spec for name, spec in REGISTRY.devices.items() if name != "hall/motion"}
    )
    home = Home(local(8), no_motion)
    assert home.run(12 * 3600, step=60) == []
    # A motion sensor paired at 20:00: the count starts then, not at 08:00.
    home.watch.configure(REGISTRY)
    assert home.run(12 * 3600 + 3 * 3600, step=60) == []  # to 11:00 next day
    assert home.run(3600, step=60) == [CheckIn("inactivity", {"hours": 4.0})]


# -- parts ------------------------------------------------------------------------------


def test_daily_window_across_midnight() -> None:
    night = DailyWindow("22:00", "07:00", ZONE)
    assert night.started_at(local(23, 30)) == local(22)
    assert night.started_at(local(3, day=6)) == local(22)
    assert night.started_at(local(7, day=6)) is None
    assert not night.contains(local(21, 59))
    assert DailyWindow("08:00", "21:00", ZONE).started_at(local(20, 59)) == local(8)
    assert not DailyWindow("22:00", "22:00", ZONE).contains(local(23))  # switched off


@pytest.mark.parametrize("field", ["night_start", "night_end", "day_start", "day_end"])
def test_a_bad_local_time_parameter_names_itself(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        HomeWatchParams.model_validate({field: "25:00"})


def test_the_registry_refuses_bad_and_older_updates_and_empty_clears_it() -> None:
    registry = DeviceRegistry()
    registry.update(3, REGISTRY.model_dump_json())
    with pytest.raises(ConfigError, match="older than the one in use"):
        registry.update(2, REGISTRY.model_dump_json())
    bad = '{"devices": {"lamp": {"role": "toaster"}}}'
    with pytest.raises(ConfigError, match=r"devices config: devices\.lamp\.role"):
        registry.update(4, bad)
    assert registry.config == REGISTRY and registry.version == 3
    assert registry.update(1, "{}").devices == {}  # a wipe wins whatever its version
    local = DevicesConfig(devices={"lamp": DeviceSpec(role="light", night_light=True)})
    with_local = DeviceRegistry(local)
    assert with_local.config == local  # until the fleet sends one
    assert with_local.update(1, REGISTRY.model_dump_json()) == REGISTRY
    assert with_local.update(2, "{}") == local  # the fleet's cleared: the local one again
    with pytest.raises(ConfigError, match="friendly name"):
        parse_devices_config('{"devices": {"bridge/x": {"role": "light"}}}')
    with pytest.raises(ConfigError, match="devices config"):
        parse_devices_config("not json")
