"""Expectations are checked against what the robot did and what the fleet stored, in windows."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from homecare.clock import ManualClock
from simulations.scenario.expectations import evaluate
from simulations.scenario.fleet_facts import FleetFacts, FleetIncident, FleetOutcome
from simulations.scenario.loader import LoadedScenario, load_scenario
from simulations.scenario.observer import AlertSeen, FallSeen, RobotObserver, Said

SCENARIO = """\
home: two_room_flat
start: "10:00"
duration: 10m
reminders:
  - {id: pill, time: "10:01", title: Pill, medicine: enalapril}
timeline:
  - {at: "10:02", action: fall}
expect:
  - {name: incident in time, incident: fall, severity: critical, after: "10:02", within: 45s}
  - {name: one incident, incident: fall, count: 1}
  - {name: no missed pill, no_incident: missed_medication}
  - {name: pill taken, reminder: pill, outcome: taken}
  - {name: asked, robot_says: нужна помощь, after: "10:02", within: 20s}
  - {name: fell, fall_event: falling, after: "10:02", within: 5s}
  - {name: quiet before, no_fall_event: true, within: 2m}
"""


@pytest.fixture
def loaded(tmp_path: Path) -> LoadedScenario:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(SCENARIO), encoding="utf-8")
    return load_scenario(path)


def robot_seeing(falls: list[FallSeen], said: list[Said]) -> RobotObserver:
    observer = RobotObserver(ManualClock())
    observer.falls.extend(falls)
    observer.said.extend(said)
    observer.alerts.append(AlertSeen(155.0, "fall", "critical"))
    return observer


def test_everything_as_expected_passes_with_what_was_seen(loaded: LoadedScenario) -> None:
    robot = robot_seeing([FallSeen(121.0, "falling", 0.8)], [Said(122.0, "Вам нужна помощь?")])
    fleet = FleetFacts([FleetIncident(156.0, "fall", "critical")],
                       [FleetOutcome(90.0, "pill", "taken")])  # fmt: skip
    results = evaluate(loaded.expectations, robot, fleet, loaded.start_of_day_s)
    assert [r.passed for r in results] == [True] * 7, results
    assert results[0].detail.startswith("critical fall incident received 36.0 s after 10:02:00")
    assert "10:01:30" in results[3].detail


def test_failures_say_what_was_expected_and_what_was_seen(loaded: LoadedScenario) -> None:
    robot = robot_seeing([FallSeen(60.0, "falling", 0.6)], [Said(130.0, "Доброе утро")])
    fleet = FleetFacts(
        [FleetIncident(200.0, "fall", "critical"), FleetIncident(201.0, "fall", "critical"),
         FleetIncident(300.0, "missed_medication", "warning")],
        [FleetOutcome(400.0, "pill", "missed")],
    )  # fmt: skip
    results = {r.name: r for r in evaluate(loaded.expectations, robot, fleet, 36000.0)}
    assert not any(r.passed for r in results.values())
    assert results["incident in time"].detail == (
        "no critical fall incident(s) between 10:02:00 and 10:02:45; the fleet got: "
        "fall [critical] at 10:03:20, fall [critical] at 10:03:21, "
        "missed_medication [warning] at 10:05:00"
    )
    assert "2 fall incident(s) between 10:00:00 and 10:10:00 (expected 1)" in (
        results["one incident"].detail
    )
    assert results["no missed pill"].detail == (
        "unexpected: missed_medication [warning] at 10:05:00"
    )
    assert "expected pill: taken" in results["pill taken"].detail
    assert "the fleet got missed at 10:06:40" in results["pill taken"].detail
    assert "«Доброе утро» at 10:02:10" in results["asked"].detail
    assert results["fell"].detail == (
        "no falling event between 10:02:00 and 10:02:05; seen: falling at 10:01:00"
    )
    assert results["quiet before"].detail == "unexpected fall events: falling (0.60) at 10:01:00"
