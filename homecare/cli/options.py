"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

RecordOption = Annotated[
    Path | None,
    typer.Option(help="Record every topic to a rosbag2 MCAP bag in this new folder."),
]

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML settings file (default: $HOMECARE_CONFIG, else built-in defaults).",
        dir_okay=False,
    ),
]
