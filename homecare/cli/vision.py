"""`homecare vision ...`: tools for the fall detector (needs the `vision` extra)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from homecare.errors import UsageError

if TYPE_CHECKING:  # the real import waits for the command: cv2 is an optional extra
    from robot.vision.evaluation import Evaluation

app = typer.Typer(help="Fall detector tools: evaluate it on labelled clips.", no_args_is_help=True)


@app.command("eval")
def evaluate_clips(
    clips: Annotated[Path, typer.Option("--clips", help="Folder holding the video clips.")],
    labels: Annotated[
        Path, typer.Option("--labels", help="CSV with a clip,label header; labels fall/no_fall.")
    ],
    crop: Annotated[
        str | None,
        typer.Option("--crop", help="X,Y,W,H in pixels of the part of each frame to use."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Run the fall detector over every labelled clip; print sensitivity, specificity, fps."""
    try:
        import cv2
    except ImportError:
        raise UsageError(
            "OpenCV is not installed: pip install 'homecare[vision]' (opencv-python-headless)"
        ) from None
    cv2.setNumThreads(1)  # fps is reported for one core, as the target is stated
    from robot.vision.evaluation import evaluate, read_labels
    from robot.vision.video import Crop

    region = Crop.parse(crop) if crop is not None else None
    result = evaluate(clips, read_labels(labels), region)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    _print_table(result)


def _print_table(result: Evaluation) -> None:
    typer.echo(f"{'clip':<28} {'label':<8} {'predicted':<9} first event (s)")
    for clip in result.per_clip:
        first = "-" if clip.first_event_s is None else f"{clip.first_event_s:.2f}"
        mark = "" if clip.label == clip.predicted else "  <- wrong"
        typer.echo(f"{clip.clip:<28} {clip.label:<8} {clip.predicted:<9} {first}{mark}")
    typer.echo(
        f"sensitivity {_share(result.sensitivity)}  specificity {_share(result.specificity)}  "
        f"clips {result.clips}  frames {result.frames}  detector {result.fps:.0f} frames/s"
    )


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
