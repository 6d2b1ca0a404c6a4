"""The `homecare` command line: a thin layer over the library.

User mistakes (bad options, files, settings) end as one line `error: ...` and
exit status 2; bugs still show their traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from homecare import __version__
from homecare.cli import bag, config, demo, interfaces, robot
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


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    try:
        app(standalone_mode=False)
    except HomecareError as error:
        Console(stderr=True).print(f"[bold red]error:[/bold red] {error}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except typer.Abort:
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as error:  # click's usage errors arrive here in non-standalone mode
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise
