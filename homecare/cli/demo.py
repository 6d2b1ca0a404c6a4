"""`homecare demo`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from homecare.cli.options import ConfigOption, RecordOption
from homecare.demo.run import DemoOptions, run_demo
from homecare.errors import HomecareError, UsageError
from homecare.settings import Settings, load_settings

if TYPE_CHECKING:
    from homecare.demo.simulated_home import SimulatedDemoOptions


def demo(
    *,
    config: ConfigOption = None,
    headless: Annotated[
        bool, typer.Option("--headless", help="Run unattended for --duration, then exit.")
    ] = False,
    duration: Annotated[
        float | None,
        typer.Option(
            help="Wall-clock seconds to run (default: the whole simulated morning; with "
            "--camera or --no-fleet headless 60, otherwise until Ctrl+C)."
        ),
    ] = None,
    speed: Annotated[
        float | None,
        typer.Option(
            help="Simulated seconds per wall-clock second (default 60, slower while the "
            "resident talks or moves; 1 with --camera, since video plays at its own rate)."
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
    scenario: Annotated[
        str | None,
        typer.Option(
            help="Play this scenario instead of the morning (a name from `homecare sim list`, "
            "e.g. sos_button or night_bed_exit, or a file)."
        ),
    ] = None,
    consultation: Annotated[
        bool,
        typer.Option(
            "--consultation",
            help="Video consultation: call the simulated resident from your browser "
            "(runs until Ctrl+C or --duration).",
        ),
    ] = False,
    answer: Annotated[
        str | None,
        typer.Option(
            help='With --consultation: what the resident says to "accept the call?" '
            '(default yes in their language; "нет"/"no" declines, "" stays silent).'
        ),
    ] = None,
) -> None:
    """Start a simulated robot at home and print a live timeline of what happens.

    By default the robot lives in the simulated home (a morning: reminders, a
    benefits question, a booking, a fall with no answer) with the fleet's
    dashboard live, and a report at the end. With --camera or --no-fleet, the
    robot runs on its own with a video as its camera.
    """
    settings = load_settings(config)
    console = Console()
    if consultation:
        _consultation_demo(settings, console, duration, answer)
        return
    if camera is None and fleet:
        from homecare.demo.simulated_home import SimulatedDemoOptions

        options = SimulatedDemoOptions(
            speed=speed or 60.0, duration_s=duration, record=record, scenario=scenario
        )
        _simulated_home_demo(settings, console, options)
        return
    if scenario is not None:
        raise UsageError("--scenario plays in the simulated home: leave out --camera/--no-fleet")
    if headless and duration is None:
        duration = 60.0
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


def _simulated_home_demo(
    settings: Settings, console: Console, options: SimulatedDemoOptions
) -> None:
    from homecare.demo.simulated_home import run_simulated_demo

    result = run_simulated_demo(settings, options, console)
    record_ = result.record
    for expectation in record_.expectations:
        mark = "[green]✓[/green]" if expectation.passed else "[yellow]✗[/yellow]"
        console.print(f"{mark} {escape(expectation.name)}", highlight=False)
    stopped = " (stopped early)" if result.interrupted else ""
    console.print(
        f"simulated {record_.sim_seconds / 60:.1f} min in {record_.wall_seconds:.0f} s{stopped}, "
        f"{len(record_.timeline)} timeline events; report: {escape(str(result.report))}",
        highlight=False,
        soft_wrap=True,
    )
    if result.callback_errors:
        failures = ", ".join(f"{k} x{v}" for k, v in sorted(result.callback_errors.items()))
        raise HomecareError(f"nodes failed while handling messages: {failures} (see the log)")


def _consultation_demo(
    settings: Settings, console: Console, duration: float | None, answer: str | None
) -> None:
    from homecare.demo.consultation import ConsultationDemo, ConsultationDemoOptions

    if duration is not None and duration <= 0:
        raise HomecareError(f"--duration must be positive, got {duration:g}")
    demo = ConsultationDemo(
        settings, settings.data_dir / "demo-consultation", ConsultationDemoOptions(answer=answer)
    )
    login = demo.start()
    try:
        console.print(
            "[bold]homecare demo --consultation[/bold]: the simulated resident's robot waits "
            "for your call.",
            highlight=False,
        )
        console.print(
            f"1. open [bold]{login.url}/login[/bold] and sign in as [bold]{login.email}[/bold] "
            f"password [bold]{login.password}[/bold]\n"
            f"2. on [bold]{login.url}/residents/{demo.resident_id}[/bold] press "
            "[bold]Video call[/bold] (allow the camera and microphone)\n"
            "3. the robot asks the resident, who says yes; you see the living room.\n"
            "Ctrl+C stops the demo.",
            soft_wrap=True,
            highlight=False,
        )
        demo.wait(duration)
    except KeyboardInterrupt:
        pass
    finally:
        demo.stop()
