"""Read a scenario file and check it against its home and the world's vocabulary.

Every problem is one `ScenarioError` naming file, line and field, e.g.
`fall.yaml:12: timeline[1].room: unknown room 'kitchn' (rooms: hall, kitchen, ...)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from homecare.errors import HomecareError
from simulations.home import Home, HomeError, load_home, resolve_home
from simulations.scenario.model import (
    COMMON_EXPECTATION_KEYS,
    EXPECTATION_KINDS,
    Expectation,
    Scenario,
    TimelineEntry,
)
from simulations.scenario.posture import PostureTracker
from simulations.scenario.times import (
    TimeFormatError,
    parse_duration,
    parse_time_of_day,
    resolve_moment,
)
from simulations.yaml_source import (
    FieldPath,
    load_yaml_model,
    parse_yaml,
    resolve_shipped,
    shipped_names,
    where,
)

SCENARIOS_DIR = Path(__file__).parent.parent / "scenarios"
TIMELINE_KINDS = ("action", "say", "uplink", "device")
_ENTRY_KEYS = {
    "action": {"room", "furniture", "direction"},
    "say": {"lang"},
    "uplink": set(),
    "device": {"state", "availability", "raw", "repeat"},
}

_ENTRY_FIELDS = ("room", "furniture", "direction", "lang", "state", "availability", "raw", "repeat")


class ScenarioError(HomecareError):
    """A scenario file that is missing, malformed or impossible in its home."""


@dataclass(frozen=True)
class TimedEntry:
    offset_s: float  # simulated seconds after the start
    entry: TimelineEntry
    where: str  # "file:line: timeline[i]:" for errors found while running


@dataclass(frozen=True)
class TimedExpectation:
    expectation: Expectation
    kind: str
    name: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class LoadedScenario:
    name: str
    path: Path
    scenario: Scenario
    home: Home
    start_of_day_s: float  # the start's seconds after midnight
    duration_s: float
    timeline: list[TimedEntry]
    expectations: list[TimedExpectation]


def shipped_scenarios() -> list[str]:
    return shipped_names(SCENARIOS_DIR)


def resolve_scenario(name_or_path: str) -> Path:
    """A shipped scenario's name or a path to a scenario file."""
    return resolve_shipped(name_or_path, SCENARIOS_DIR, ScenarioError, "scenario")


def load_scenario(path: Path) -> LoadedScenario:
    homes: dict[str, Home] = {}

    def checks(scenario: Scenario) -> Iterator[tuple[FieldPath, str]]:
        try:
            homes["home"] = load_home(resolve_home(scenario.home))
        except HomeError as error:
            yield ("home",), str(error)
            return
        yield from check_scenario(scenario, homes["home"])

    scenario = load_yaml_model(path, Scenario, ScenarioError, "scenario", checks)
    _, lines = parse_yaml(path.read_text(encoding="utf-8"))
    start = parse_time_of_day(scenario.start)
    timeline, previous = [], 0.0
    for index, entry in enumerate(scenario.timeline):
        previous = resolve_moment(entry.at, start, previous)
        timeline.append(TimedEntry(previous, entry, where(path, lines, ("timeline", index))))
    duration = parse_duration(scenario.duration)
    return LoadedScenario(
        name=path.stem,
        path=path,
        scenario=scenario,
        home=homes["home"],
        start_of_day_s=start,
        duration_s=duration,
        timeline=timeline,
        expectations=[_timed(e, i, start, duration) for i, e in enumerate(scenario.expect)],
    )


def _timed(expectation: Expectation, index: int, start: float, duration: float) -> TimedExpectation:
    kind = _kinds(expectation)[0]
    begin = resolve_moment(expectation.after, start, 0.0) if expectation.after else 0.0
    end = begin + parse_duration(expectation.within) if expectation.within else duration
    value = getattr(expectation, kind)
    name = expectation.name or f"{kind} {value}"
    return TimedExpectation(expectation, kind, name or f"expectation {index + 1}", begin, end)


def check_scenario(scenario: Scenario, home: Home) -> Iterator[tuple[FieldPath, str]]:
    """Yield (field path, message) for each thing this scenario cannot mean in `home`."""
    try:
        start = parse_time_of_day(scenario.start)
    except TimeFormatError as error:
        yield ("start",), str(error)
        return
    try:
        duration = parse_duration(scenario.duration)
    except TimeFormatError as error:
        yield ("duration",), str(error)
        return
    if duration <= 0:
        yield ("duration",), "must be longer than 0s"
    rooms = [room.name for room in home.rooms]
    if scenario.resident.room is not None and scenario.resident.room not in rooms:
        yield ("resident", "room"), _unknown_room(scenario.resident.room, rooms)
    yield from _check_timeline(scenario, home, start, duration)
    yield from _check_expectations(scenario, start, duration)


def _check_timeline(
    scenario: Scenario, home: Home, start: float, duration: float
) -> Iterator[tuple[FieldPath, str]]:
    tracker = PostureTracker(home, scenario.resident.room)
    previous = 0.0
    for index, entry in enumerate(scenario.timeline):
        loc: FieldPath = ("timeline", index)
        try:
            moment = resolve_moment(entry.at, start, previous)
        except TimeFormatError as error:
            yield (*loc, "at"), str(error)
            return
        if moment < previous - 1e-9:
            yield (*loc, "at"), "comes before the entry above it: keep the timeline in order"
            return
        if not 0 <= moment <= duration:
            yield (*loc, "at"), "is outside the scenario (between its start and start + duration)"
            return
        previous = moment
        problem = _entry_problem(entry)
        if problem is not None:
            yield (*loc, problem[0]), problem[1]
            return
        if entry.action is not None:
            found = tracker.apply(entry)
            if found is not None:
                yield (*loc, found[0]), found[1]
                return
        if entry.say is not None and not entry.say.strip():
            yield (*loc, "say"), "is empty: write what the resident says"
        if entry.device is not None:
            found = _device_problem(entry, scenario)
            if found is not None:
                yield (*loc, found[0]), found[1]
                return


def _device_problem(entry: TimelineEntry, scenario: Scenario) -> tuple[str, str] | None:
    if entry.device not in scenario.devices:
        known = ", ".join(sorted(scenario.devices)) or "none: add a devices section"
        return "device", f"unknown device {entry.device!r} (the scenario's devices: {known})"
    given = [v for v in (entry.state, entry.availability, entry.raw) if v is not None]
    if len(given) != 1:
        return "device", "give the device one of a state (its JSON), an availability or raw text"
    return None


def _entry_problem(entry: TimelineEntry) -> tuple[str, str] | None:
    kinds = [kind for kind in TIMELINE_KINDS if getattr(entry, kind) is not None]
    extras = sorted(entry.model_extra or {})
    if len(kinds) != 1:
        if extras:
            kinds_text = ", ".join(TIMELINE_KINDS)
            return extras[0], f"unknown field (a timeline entry has one of {kinds_text})"
        return "at", f"name exactly one of {', '.join(TIMELINE_KINDS)} in each timeline entry"
    allowed = _ENTRY_KEYS[kinds[0]]
    if extras:
        return extras[0], f"unknown field for {kinds[0]} (allowed: {', '.join(sorted(allowed))})"
    used = {key for key in _ENTRY_FIELDS if getattr(entry, key) is not None}
    stray = sorted(used - allowed)
    if stray:
        return stray[0], f"does not go with {kinds[0]} (allowed: {', '.join(sorted(allowed))})"
    return None


def _check_expectations(
    scenario: Scenario, start: float, duration: float
) -> Iterator[tuple[FieldPath, str]]:
    reminder_ids = [reminder.id for reminder in scenario.reminders]
    for index, expectation in enumerate(scenario.expect):
        problem = _expectation_problem(expectation, reminder_ids, start, duration)
        if problem is None and expectation.device_set is not None:
            problem = _device_set_problem(expectation.device_set, scenario)
        if problem is None and expectation.device_problem is not None:
            problem = _device_problem_problem(expectation, scenario)
        if problem is not None:
            field, message = problem
            yield ("expect", index, *field), message
            return


def _device_set_problem(device: str, scenario: Scenario) -> tuple[FieldPath, str] | None:
    switchable = [n for n, d in scenario.devices.items() if d.role in ("light", "plug")]
    if device in switchable:
        return None
    names = ", ".join(sorted(switchable)) or "none"
    return ("device_set",), f"{device!r} is not one of the scenario's lights or plugs ({names})"


def _device_problem_problem(
    expectation: Expectation, scenario: Scenario
) -> tuple[FieldPath, str] | None:
    if expectation.device_problem not in scenario.devices:
        names = ", ".join(sorted(scenario.devices)) or "none"
        return ("device_problem",), (
            f"unknown device {expectation.device_problem!r} (the scenario's devices: {names})"
        )
    if expectation.problem is None:
        return ("problem",), "say which problem: offline, battery_low, garbage or flooding"
    return None


def _expectation_problem(
    expectation: Expectation, reminder_ids: list[str], start: float, duration: float
) -> tuple[FieldPath, str] | None:
    extras = sorted(expectation.model_extra or {})
    kinds = _kinds(expectation)
    known = ", ".join(EXPECTATION_KINDS)
    if not kinds:
        if extras:
            return (extras[0],), f"unknown expectation {extras[0]!r} (known: {known})"
        return (), f"name what to expect: one of {known}"
    if len(kinds) > 1:
        return (kinds[1],), f"one expectation per entry: {kinds[0]} and {kinds[1]} given"
    kind = kinds[0]
    allowed = EXPECTATION_KINDS[kind][0] | COMMON_EXPECTATION_KEYS | {kind}
    stray = sorted(({k for k, v in expectation if v is not None} | set(extras)) - allowed)
    if stray:
        return (stray[0],), f"does not go with {kind} (allowed: {', '.join(sorted(allowed))})"
    if kind == "reminder":
        problem = _reminder_problem(expectation, reminder_ids)
        if problem is not None:
            return problem
    return _window_problem(expectation, start, duration)


def _reminder_problem(
    expectation: Expectation, reminder_ids: list[str]
) -> tuple[FieldPath, str] | None:
    if expectation.reminder not in reminder_ids:
        ids = ", ".join(reminder_ids) or "none in this scenario's reminders"
        return ("reminder",), f"unknown reminder {expectation.reminder!r} ({ids})"
    if expectation.outcome is None:
        return ("outcome",), "say which outcome: taken, snoozed or missed"
    return None


def _window_problem(
    expectation: Expectation, start: float, duration: float
) -> tuple[FieldPath, str] | None:
    try:
        after = expectation.after
        if after is not None and not 0 <= resolve_moment(after, start, 0.0) <= duration:
            return ("after",), "is outside the scenario"
    except TimeFormatError as error:
        return ("after",), str(error)
    try:
        if expectation.within is not None:
            parse_duration(expectation.within)
    except TimeFormatError as error:
        return ("within",), str(error)
    return None


def _kinds(expectation: Expectation) -> list[str]:
    return [kind for kind in EXPECTATION_KINDS if getattr(expectation, kind) is not None]


def _unknown_room(name: str, rooms: list[str]) -> str:
    return f"unknown room {name!r} (rooms: {', '.join(rooms)})"
