"""`homecare interfaces ...`: the message and service types of the robot."""

from __future__ import annotations

from typing import Annotated

import typer

from robot.runtime.message_types import INTERFACE_PACKAGE, load_message_types

app = typer.Typer(help="Message and service types (from robot/interfaces).", no_args_is_help=True)


@app.command("list")
def list_types(
    all_types: Annotated[
        bool, typer.Option("--all", help="Also list the standard ROS 2 types.")
    ] = False,
) -> None:
    """List the project's message and service types."""
    types = load_message_types()
    for name in types.names():
        if all_types or name.startswith(INTERFACE_PACKAGE):
            typer.echo(name)
    for name in types.service_names():
        typer.echo(name)


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="e.g. Alert or sensor_msgs/msg/Image")]) -> None:
    """Print a message type's definition."""
    typer.echo(load_message_types().definition(name).rstrip("\n"))
