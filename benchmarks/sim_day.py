"""A simulated day end to end: `python -m benchmarks.sim_day`.

Runs the shipped `day_24h` scenario (24 hours, 6 medication reminders, one of
them missed, ordinary activity and a fall in the kitchen with no answer) with
the real robot nodes, the fleet service, its broker and the physics world, as
`homecare sim run day_24h` does. Target (issue 7): under 3 minutes of wall
time on this machine.

Baseline, in the same run: the same 24 hours with nothing happening (no
reminders, no resident activity): the floor cost of the nodes' timers, the
fleet link's telemetry and the camera's idle frames. The ratio says how much
the day's events cost on top of an empty day, whatever the machine's speed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from pathlib import Path

from benchmarks.machine import describe_machine
from homecare.logs import configure_logging
from homecare.settings import load_settings
from simulations.scenario.loader import LoadedScenario, load_scenario, resolve_scenario
from simulations.scenario.runner import RunOptions, RunResult, run_scenario

TARGET_S = 180.0


def quiet_day(loaded: LoadedScenario) -> LoadedScenario:
    """The same scenario with nothing happening and a single expectation that holds."""
    scenario = loaded.scenario.model_copy(update={"reminders": [], "timeline": []})
    keep = [e for e in loaded.expectations if e.kind == "incident" and e.expectation.count]
    no_fall = dataclasses.replace(keep[0], expectation=keep[0].expectation.model_copy(
        update={"count": 0}), name="no fall incident on a quiet day")  # fmt: skip
    return dataclasses.replace(loaded, scenario=scenario, timeline=[], expectations=[no_fall])


def run(loaded: LoadedScenario, folder: Path, quiet_speed: float) -> RunResult:
    return run_scenario(
        loaded, load_settings(None), RunOptions(out=folder, quiet_speed=quiet_speed)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="day_24h", help="scenario to time")
    parser.add_argument("--quiet-speed", type=float, default=2000.0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    loaded = load_scenario(resolve_scenario(args.scenario))
    with tempfile.TemporaryDirectory(prefix="sim-day-") as tmp:
        baseline = run(quiet_day(loaded), Path(tmp) / "quiet", args.quiet_speed)
        day = run(loaded, Path(tmp) / "day", args.quiet_speed)
    figures = {
        "machine": describe_machine().as_dict(),
        "scenario": loaded.name,
        "sim_hours": round(day.record.sim_seconds / 3600, 2),
        "wall_s": round(day.record.wall_seconds, 1),
        "baseline_quiet_day_wall_s": round(baseline.record.wall_seconds, 1),
        "ratio_to_quiet_day": round(day.record.wall_seconds / baseline.record.wall_seconds, 2),
        "speed_up": round(day.record.sim_seconds / day.record.wall_seconds),
        "expectations_passed": day.record.passed,
        "target_s": TARGET_S,
        "target_met": day.record.wall_seconds < TARGET_S and day.record.passed,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"machine: {describe_machine().line()}")
    print(f"scenario {loaded.name}: {figures['sim_hours']} h simulated")
    print(f"  quiet day (baseline): {figures['baseline_quiet_day_wall_s']} s wall")
    print(
        f"  the day:              {figures['wall_s']} s wall "
        f"({figures['ratio_to_quiet_day']}x the quiet day, {figures['speed_up']}x real time)"
    )
    for expectation in day.record.expectations:
        print(f"  {'PASS' if expectation.passed else 'FAIL'} {expectation.name}")
    verdict = "PASS" if figures["target_met"] else "MISS"
    print(f"target: under {TARGET_S:.0f} s with every expectation met: {verdict}")


if __name__ == "__main__":
    main()
