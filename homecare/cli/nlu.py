"""`homecare nlu ...`: try the intent parser from the command line."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from homecare.errors import UsageError

app = typer.Typer(
    help="Intent recognition (ru, en): parse what a resident said.", no_args_is_help=True
)


@app.callback()
def nlu() -> None:
    """Intent recognition (ru, en): parse what a resident said."""
    # A callback keeps `parse` a subcommand even while it is the only one.


@app.command("parse")
def parse(
    text: Annotated[
        str | None, typer.Argument(help="What the resident said (omit with --jsonl).")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language: ru or en.")] = "ru",
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"intent", "slots", "confidence"} as JSON.')
    ] = False,
    jsonl: Annotated[
        bool,
        typer.Option(
            "--jsonl",
            help="Read one text per line on stdin, print one JSON object per line "
            "(an empty line prints an `unknown` with confidence 0, so lines stay aligned).",
        ),
    ] = False,
    timezone: Annotated[
        str, typer.Option("--timezone", help="Resident's IANA time zone, for times and dates.")
    ] = "Europe/Moscow",
) -> None:
    """Print the intent, slots and confidence of TEXT (or of each stdin line with --jsonl)."""
    from homecare.clock import SystemClock
    from speech.nlu import IntentParser, NluError

    if jsonl and text is not None:
        raise UsageError("give either TEXT or --jsonl (texts on stdin), not both")
    clock = SystemClock()
    try:
        parser = IntentParser(lang)
        if jsonl:
            for line in sys.stdin:
                result = parser.parse(line.strip(), now=clock.now(), timezone=timezone)
                typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        if text is None or not text.strip():
            raise UsageError("nothing to parse: give the TEXT to parse, or --jsonl to read stdin")
        result = parser.parse(text, now=clock.now(), timezone=timezone)
    except NluError as error:
        raise UsageError(str(error)) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    slots = " ".join(f"{k}={v}" for k, v in result.slots.items())
    typer.echo(f"{result.name} ({result.confidence:.2f}){'  ' + slots if slots else ''}")
