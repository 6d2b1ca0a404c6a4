"""`homecare sim ...`: the simulated home (homes, scenarios and their runs, Gazebo worlds)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from homecare.cli.options import ConfigOption
from homecare.clock import SystemClock
from homecare.errors import UsageError
from homecare.settings import load_settings
from simulations.gazebo.export import export_world
from simulations.home import load_home, resolve_home, shipped_homes
from simulations.scenario.loader import load_scenario, resolve_scenario, shipped_scenarios
from simulations.scenario.runner import RunOptions, RunResult, run_scenario

app = typer.Typer(
    help="The simulated home: homes, scenario runs and Gazebo worlds.", no_args_is_help=True
)


@app.command("homes")
def homes() -> None:
    """List the shipped homes (simulations/homes/*.yaml)."""
    for name in shipped_homes():
        typer.echo(name)


@app.command("export-gazebo")
def export_gazebo(
    home: Annotated[str, typer.Argument(help="A shipped home's name or a home YAML file.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the .sdf world.")],
) -> None:
    """Write an SDF world for Gazebo Harmonic from a home description."""
    path = export_world(load_home(resolve_home(home)), out)
    typer.echo(str(path))


@app.command("list")
def list_scenarios() -> None:
    """List the shipped scenarios (simulations/scenarios/*.yaml) with their descriptions."""
    for name in shipped_scenarios():
        loaded = load_scenario(resolve_scenario(name))
        typer.echo(f"{name:<32} {loaded.scenario.description}")


@app.command("check")
def check(
    scenario: Annotated[str, typer.Argument(help="A shipped scenario's name or a YAML file.")],
) -> None:
    """Check a scenario file against its home without running it."""
    loaded = load_scenario(resolve_scenario(scenario))
    typer.echo(
        f"{loaded.path}: ok ({len(loaded.timeline)} timeline entries, "
        f"{len(loaded.expectations)} expectations, {loaded.duration_s / 3600:.2f} h)"
    )


@app.command("run")
def run(
    scenario: Annotated[str, typer.Argument(help="A shipped scenario's name or a YAML file.")],
    *,
    config: ConfigOption = None,
    headless: Annotated[
        bool, typer.Option("--headless", help="No live timeline: just run and report.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON on stdout.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Run folder (new or empty; default: data_dir/sim-runs/NAME-TIME)."),
    ] = None,
    quiet_speed: Annotated[
        float, typer.Option(help="Most simulated seconds per wall second while nothing happens.")
    ] = 2000.0,
    active_speed: Annotated[
        float, typer.Option(help="Most simulated seconds per wall second around speech.")
    ] = 30.0,
    home_broker: Annotated[
        str | None,
        typer.Option(
            help="The home's MQTT broker for the devices (mqtt://host:port, e.g. a mosquitto; "
            "default: an embedded one)."
        ),
    ] = None,
) -> None:
    """Run a scenario end to end (robot nodes, fleet service, broker, simulated home).

    Exits 1 if an expectation fails, 2 on bad input.
    """
    settings = load_settings(config)
    loaded = load_scenario(resolve_scenario(scenario))
    for name, value in (("--quiet-speed", quiet_speed), ("--active-speed", active_speed)):
        if not value > 0:
            raise UsageError(f"{name} must be positive, got {value:g}")
    stamp = SystemClock().now().strftime("%Y%m%d-%H%M%S")
    folder = out or settings.data_dir / "sim-runs" / f"{loaded.name}-{stamp}"
    console = Console(stderr=as_json)
    live = None if headless or as_json else console
    result = run_scenario(
        loaded,
        settings,
        RunOptions(
            out=folder,
            quiet_speed=quiet_speed,
            active_speed=active_speed,
            live=live,
            log_level=settings.log_level,
            home_broker_url=home_broker,
        ),
    )
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        _print_result(console, result)
    if not result.record.passed:
        raise typer.Exit(1)


def _print_result(console: Console, result: RunResult) -> None:
    record = result.record
    for expectation in record.expectations:
        mark = "[green]PASS[/green]" if expectation.passed else "[bold red]FAIL[/bold red]"
        text = escape(f"{expectation.name}: {expectation.detail}")
        console.print(f"{mark} {text}", highlight=False)
    verdict = "[green]passed[/green]" if record.passed else "[bold red]FAILED[/bold red]"
    console.print(
        f"{escape(record.scenario)} {verdict}: {record.sim_seconds / 3600:.2f} h simulated in "
        f"{record.wall_seconds:.0f} s; report: {escape(str(result.report))}",
        highlight=False,
        soft_wrap=True,
    )
