"""`homecare sim ...`: the simulated home (home descriptions, Gazebo worlds)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulations.gazebo.export import export_world
from simulations.home import load_home, resolve_home, shipped_homes

app = typer.Typer(help="The simulated home: homes and Gazebo worlds.", no_args_is_help=True)


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
