"""`homecare demo`."""

from __future__ import annotations

from pathlib import Path
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
    speed: Annotated[
        float | None,
        typer.Option(
            help="Simulated seconds per wall-clock second (default 60; 1 with --camera, "
            "since video plays at its own rate)."
        ),
    ] = None,
    record: RecordOption = None,
    camera: Annotated[
        Path | None,
        typer.Option(help="Play this video as the robot's camera (e.g. a fall).", dir_okay=False),
    ] = None,
    camera_crop: Annotated[
        str,
        typer.Option(help="Part of each video frame to use: X,Y,W,H in pixels."),
    ] = "",
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
            headless=headless,
            duration_s=duration,
            speed=speed if speed is not None else (1.0 if camera else 60.0),
            record=record,
            fleet=fleet,
            camera=camera,
            camera_crop=camera_crop,
        ),
        console,
    )
    console.print(
        f"simulated {result.simulated_s / 60:.1f} min, {len(result.timeline)} timeline events"
    )
    if result.callback_errors:
        failures = ", ".join(f"{k} x{v}" for k, v in sorted(result.callback_errors.items()))
        raise HomecareError(f"nodes failed while handling messages: {failures} (see the log)")
