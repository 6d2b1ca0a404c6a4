"""The `homecare` command line: a thin layer over the library.

User mistakes (bad options, files, settings) end as one line `error: ...` and
exit status 2; bugs still show their traceback.
"""

from __future__ import annotations

import sys

import typer

from homecare import __version__
from homecare.cli import (
    bag,
    benefits,
    config,
    demo,
    fleet,
    interfaces,
    models,
    nlu,
    reminders,
    robot,
    sim,
    speech,
    vision,
)
from homecare.errors import HomecareError

app = typer.Typer(
    name="homecare",
    help="Controller for rentable home-care robots: the robot, its simulation and tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("demo")(demo.demo)
app.add_typer(robot.app, name="robot")
app.add_typer(interfaces.app, name="interfaces")
app.add_typer(bag.app, name="bag")
app.add_typer(config.app, name="config")
app.add_typer(fleet.app, name="fleet")
app.add_typer(vision.app, name="vision")
app.command("say")(speech.say)
app.add_typer(nlu.app, name="nlu")
app.add_typer(models.app, name="models")
app.add_typer(benefits.app, name="benefits")
app.add_typer(reminders.app, name="reminders")
app.add_typer(sim.app, name="sim")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    try:
        app()
    except HomecareError as error:
        # One plain line, never wrapped: scripts and people both read it.
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
