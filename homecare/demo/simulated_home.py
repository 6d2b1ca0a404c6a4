"""The demo in the simulated home: the `demo` scenario, run with a live timeline and dashboard.

The same runner as `homecare sim run` (real robot nodes, fleet service,
broker, the physics world's camera); the demo adds the banner with the
dashboard's login, the timeline on the terminal and where the report is.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from homecare.demo.fleet import DemoLogin
from homecare.errors import UsageError
from homecare.settings import Settings
from simulations.scenario.loader import load_scenario, resolve_scenario
from simulations.scenario.runner import RunOptions, RunResult, run_scenario

DEMO_SCENARIOS = {"ru": "demo", "en": "demo_en"}


@dataclass(frozen=True)
class SimulatedDemoOptions:
    speed: float  # simulated seconds per wall second while nothing happens
    duration_s: float | None  # wall seconds; None: the whole scenario
    record: Path | None
    scenario: str | None = None  # a shipped scenario or file instead of the demo's morning


def run_simulated_demo(
    settings: Settings, options: SimulatedDemoOptions, console: Console
) -> RunResult:
    if not 0 < options.speed < float("inf"):
        raise UsageError(f"--speed must be a positive number, got {options.speed:g}")
    if options.duration_s is not None and options.duration_s <= 0:
        raise UsageError(f"--duration must be positive, got {options.duration_s}")
    name = options.scenario or DEMO_SCENARIOS[settings.robot.language]
    loaded = load_scenario(resolve_scenario(name))
    # The demo happens in the configured home's time zone.
    scenario = loaded.scenario.model_copy(update={"timezone": settings.robot.timezone})
    loaded = dataclasses.replace(loaded, scenario=scenario)
    folder = settings.data_dir / "demo"
    shutil.rmtree(folder, ignore_errors=True)  # a fresh demo each run, so the login works

    def banner(login: DemoLogin) -> None:
        length = "" if options.duration_s is None else f", for {options.duration_s:g} s"
        console.print(
            f"[bold]homecare demo[/bold]: {loaded.scenario.description} "
            f"(simulated home {loaded.home.name}, up to {options.speed:g}x real time{length})."
        )
        console.print(
            f"fleet dashboard: [bold]{login.url}[/bold]  login [bold]{login.email}[/bold] "
            f"password [bold]{login.password}[/bold]  (API docs {login.url}/api/v1/docs)",
            soft_wrap=True,
        )

    return run_scenario(
        loaded,
        settings,
        RunOptions(
            out=folder,
            quiet_speed=options.speed,
            active_speed=min(options.speed, 30.0),
            bag=options.record,
            live=console,
            wall_limit_s=options.duration_s,
            on_fleet_ready=banner,
            log_level=settings.log_level,
        ),
    )
