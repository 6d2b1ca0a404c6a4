"""Scenario files: the shipped ones load, and each mistake names file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from simulations.scenario.loader import (
    ScenarioError,
    load_scenario,
    resolve_scenario,
    shipped_scenarios,
)
from simulations.scenario.times import (
    TimeFormatError,
    format_offset,
    parse_duration,
    parse_time_of_day,
)

GOOD = """\
description: a fall in the kitchen
home: two_room_flat
start: "10:00"
duration: 10m
resident: {room: living_room}
reminders:
  - {id: pill, time: "10:05", title: Pill, medicine: enalapril}
timeline:
  - {at: "10:01", action: walk_to, room: kitchen}
  - {at: "10:02", action: fall, direction: forward}
  - {at: "+20s", say: "помогите"}
expect:
  - {incident: fall, severity: critical, after: "10:02", within: 45s}
  - {reminder: pill, outcome: missed}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_issue_s_scenarios_are_shipped() -> None:
    assert {
        "fall_kitchen_silent", "medication_morning_taken", "medication_evening_ignored",
        "benefits_conversation", "broker_down_during_fall", "bed_and_chair_no_alert", "day_24h",
    } <= set(shipped_scenarios())  # fmt: skip


@pytest.mark.parametrize("name", shipped_scenarios())
def test_every_shipped_scenario_loads(name: str) -> None:
    loaded = load_scenario(resolve_scenario(name))
    assert loaded.name == name
    assert loaded.expectations
    assert all(0 <= t.offset_s <= loaded.duration_s for t in loaded.timeline)


def test_times_resolve_against_the_start_and_the_entry_before(tmp_path: Path) -> None:
    loaded = load_scenario(write(tmp_path, GOOD))
    assert [t.offset_s for t in loaded.timeline] == [60.0, 120.0, 140.0]
    fall = loaded.expectations[0]
    assert (fall.kind, fall.start_s, fall.end_s) == ("incident", 120.0, 165.0)
    assert (loaded.expectations[1].start_s, loaded.expectations[1].end_s) == (0.0, 600.0)
    assert loaded.expectations[1].name == "reminder pill"


BAD = [
    # (replace this, with this, line, field, message)
    ("room: kitchen}", "room: kitchn}", 9, "timeline[0].room", "unknown room 'kitchn'"),
    ("action: fall,", "action: jump,", 10, "timeline[1].action", "unknown action 'jump'"),
    ("direction: forward", "direction: from_chair", 10, "timeline[1].action",
     "needs the resident sitting"),
    ("direction: forward", "direction: upwards", 10, "timeline[1].direction",
     "unknown fall direction"),
    ("{incident: fall,", "{incidnet: fall,", 13, "expect[0].incidnet",
     "unknown expectation 'incidnet'"),
    ("reminder: pill,", "reminder: pil,", 14, "expect[1].reminder", "unknown reminder 'pil'"),
    ("within: 45s", "within: 45", 13, "expect[0].within", "has no unit"),
    ('at: "10:02"', 'at: "09:02"', 10, "timeline[1].at", "comes before the entry above"),
    ('at: "+20s"', 'at: "+2h"', 11, "timeline[2].at", "outside the scenario"),
    ("home: two_room_flat", "home: castle", 2, "home", "no home 'castle'"),
    ("resident: {room: living_room}", "resident: {room: attic}", 5, "resident.room",
     "unknown room 'attic'"),
    ('say: "помогите"', 'shout: "помогите"', 11, "timeline[2].shout", "unknown field"),
    ("duration: 10m", "duration: ten minutes", 4, "duration", "is not a duration"),
    ("{reminder: pill, outcome: missed}", "{reminder: pill, outcome: lost}", 14,
     "expect[1].outcome", "Input should be"),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD, ids=[case[4] for case in BAD])
def test_each_mistake_names_file_line_and_field(
    tmp_path: Path, case: tuple[str, str, int, str, str]
) -> None:
    old, new, line, field, message = case
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:{line}: {field}:"), text
    assert message in text


def test_lying_down_needs_a_bed_in_the_room(tmp_path: Path) -> None:
    text = GOOD.replace("action: fall, direction: forward", "action: lie_down")
    with pytest.raises(ScenarioError, match="there is no bed in room 'kitchen'"):
        load_scenario(write(tmp_path, text))


def test_an_expectation_names_one_kind_with_its_own_keys(tmp_path: Path) -> None:
    two = GOOD.replace("{incident: fall,", "{no_fall_event: true, incident: fall,")
    with pytest.raises(ScenarioError, match="one expectation per entry"):
        load_scenario(write(tmp_path, two))
    stray = GOOD.replace("{reminder: pill, outcome: missed}", "{robot_says: hi, outcome: missed}")
    with pytest.raises(ScenarioError, match=r"expect\[1\]\.outcome: does not go with robot_says"):
        load_scenario(write(tmp_path, stray))


def test_a_missing_or_unknown_scenario_is_named() -> None:
    with pytest.raises(ScenarioError, match="no scenario 'nope'"):
        resolve_scenario("nope")


def test_times_and_durations() -> None:
    assert parse_duration("1h30m") == 5400
    assert parse_duration("45s") == 45
    assert parse_time_of_day("day 2 07:30") == 86400 + 7.5 * 3600
    assert format_offset(3605, 7 * 3600) == "08:00:05"
    assert format_offset(86400, 7 * 3600) == "day 2 07:00:00"
    for bad in ("", "5", "1d", "m"):
        with pytest.raises(TimeFormatError):
            parse_duration(bad)
    with pytest.raises(TimeFormatError):
        parse_time_of_day("25:00")


def test_the_loader_knows_the_world_s_actions_and_fall_directions() -> None:
    from simulations import world
    from simulations.scenario import posture

    assert set(posture.ACTIONS) == set(world.ACTIONS)
    assert set(posture.FALL_DIRECTIONS) == set(world.FALL_DIRECTIONS)


DEVICES = """\
description: the SOS button in the hall
home: two_room_flat
start: "10:00"
duration: 5m
devices:
  sos_hall: {role: sos_button, room: hall}
  lamp: {role: light, night_light: true}
timeline:
  - {at: "10:01", device: sos_hall, state: {action: single, battery: 97}}
  - {at: "10:02", device: sos_hall, availability: offline}
expect:
  - {incident: sos, count: 1}
  - {device_set: lamp, set_state: "ON"}
"""


def test_devices_and_their_events_load(tmp_path: Path) -> None:
    loaded = load_scenario(write(tmp_path, DEVICES))
    assert loaded.scenario.devices["sos_hall"].role == "sos_button"
    first, second = (t.entry for t in loaded.timeline)
    assert (first.device, first.state) == ("sos_hall", {"action": "single", "battery": 97})
    assert (second.device, second.availability) == ("sos_hall", "offline")


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("device: sos_hall, state", "device: sos_hal, state", "timeline[0].device",
         "unknown device 'sos_hal'"),
        ("availability: offline}", "availability: offline, state: {}}", "timeline[1].device",
         "one of a state"),
        ("sos_hall, state: {action: single, battery: 97}}", "sos_hall, room: hall}",
         "timeline[0].room", "does not go with device"),
        ("role: sos_button", "role: panic_button", "devices.sos_hall.role", "Input should be"),
        ("device_set: lamp", "device_set: sos_hall", "expect[1].device_set",
         "not one of the scenario's lights or plugs"),
    ],
)  # fmt: skip
def test_device_mistakes_are_named(
    tmp_path: Path, old: str, new: str, field: str, message: str
) -> None:
    assert old in DEVICES
    path = write(tmp_path, DEVICES.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert f": {field}:" in str(caught.value) and message in str(caught.value), caught.value
