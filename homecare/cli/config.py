"""`homecare config ...`: see the effective settings."""

from __future__ import annotations

import typer
import yaml

from homecare.cli.options import ConfigOption
from homecare.settings import load_settings

app = typer.Typer(help="Settings (YAML file plus HOMECARE_* variables).", no_args_is_help=True)


@app.command("show")
def show(config: ConfigOption = None) -> None:
    """Print the effective settings as YAML."""
    settings = load_settings(config)
    typer.echo(
        yaml.safe_dump(settings.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    )
