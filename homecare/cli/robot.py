"""`homecare robot ...`: run the robot's nodes without ROS 2."""

from __future__ import annotations

import typer
from rich.console import Console

from homecare.cli.options import ConfigOption, RecordOption
from homecare.clock import SystemClock
from homecare.demo.timeline import Timeline, local_zone
from homecare.logs import configure_logging
from homecare.settings import load_settings
from robot.local_launch import robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.runtime.recorder import record_runtime

app = typer.Typer(
    help="Run the robot's nodes on this machine (no ROS 2 needed).", no_args_is_help=True
)


@app.command("run")
def run(
    config: ConfigOption = None,
    record: RecordOption = None,
) -> None:
    """Run every robot node in one process on the real clock until Ctrl+C."""
    settings = load_settings(config)
    settings.require("robot.id")
    configure_logging(settings.log_level)
    clock = SystemClock()
    runtime = robot_runtime(clock, settings.robot.parameters_file, settings.robot.language)
    console = Console()
    runtime.add_tap(Timeline(console, clock, local_zone(settings.robot.timezone)))
    recorder = record_runtime(runtime, record) if record else None
    start_nodes(runtime)
    console.print(f"robot {settings.robot.id}: {', '.join(runtime.nodes)} running; Ctrl+C stops")
    try:
        runtime.spin()
    except KeyboardInterrupt:
        pass
    finally:
        if recorder:
            recorder.close()


@app.command("nodes")
def nodes() -> None:
    """List the robot's nodes and the class each one runs."""
    for name, target in ROBOT_NODES.items():
        typer.echo(f"{name}\t{target}")
