"""`homecare demo`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from homecare.cli.options import ConfigOption, RecordOption
from homecare.demo.run import DemoOptions, run_demo
from homecare.errors import HomecareError
from homecare.settings import load_settings


def demo(
    *,
    config: ConfigOption = None,
    headless: Annotated[
        bool, typer.Option("--headless", help="Run unattended for --duration, then exit.")
    ] = False,
    duration: Annotated[
        float | None,
        typer.Option(
            help="Wall-clock seconds to run (headless default: 60; otherwise until Ctrl+C)."
        ),
    ] = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per wall-clock second.")] = 60.0,
    record: RecordOption = None,
    fleet: Annotated[
        bool,
        typer.Option("--fleet/--no-fleet", help="Also run the fleet service and its dashboard."),
    ] = True,
) -> None:
    """Start a simulated robot at home and print a live timeline of what happens."""
    settings = load_settings(config)
    if headless and duration is None:
        duration = 60.0
    console = Console()
    result = run_demo(
        settings,
        DemoOptions(
            headless=headless, duration_s=duration, speed=speed, record=record, fleet=fleet
        ),
        console,
    )
    console.print(
        f"simulated {result.simulated_s / 60:.1f} min, {len(result.timeline)} timeline events"
    )
    if result.callback_errors:
        failures = ", ".join(f"{k} x{v}" for k, v in sorted(result.callback_errors.items()))
        raise HomecareError(f"nodes failed while handling messages: {failures} (see the log)")
