"""`homecare bag ...`: look inside recordings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from robot.runtime.recorder import read_bag_summary

app = typer.Typer(help="Inspect rosbag2 recordings made with --record.", no_args_is_help=True)


@app.command("info")
def info(path: Annotated[Path, typer.Argument(help="The recording folder.")]) -> None:
    """Topics, message types and counts of a recording."""
    for topic, (msgtype, count) in sorted(read_bag_summary(path).items()):
        typer.echo(f"{topic}\t{msgtype}\t{count}")
