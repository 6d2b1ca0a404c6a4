"""`homecare benefits ...`: what a resident may be entitled to, from a profile file."""

from __future__ import annotations

import json
from datetime import UTC, date
from pathlib import Path
from typing import Annotated

import typer

from benefits.catalog import Catalog, load_catalog, read_data_file
from benefits.engine import MeasureResult, check_all, questions_to_ask
from benefits.errors import ProfileError
from benefits.facts import FACTS, parse_profile
from benefits.wording import DISCLAIMER, STATUS_WORDS
from homecare.clock import SystemClock
from homecare.errors import UsageError

app = typer.Typer(
    help="Benefits and social services: check a profile against the catalog.",
    no_args_is_help=True,
)

CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", help="Catalog file or folder (default: the shipped seed catalog)."),
]
LangOption = Annotated[str, typer.Option("--lang", help="Language of the answer: ru or en.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
STATUS_MARK = {"eligible": "+", "not_eligible": "-", "unknown": "?"}


@app.callback()
def benefits() -> None:
    """Benefits and social services: check a profile against the catalog."""


@app.command("check")
def check(
    profile: Annotated[Path, typer.Option("--profile", help="Profile of facts, YAML or JSON.")],
    on: Annotated[
        str | None, typer.Option("--date", help="Check date, YYYY-MM-DD (default: today, UTC).")
    ] = None,
    lang: LangOption = "ru",
    catalog: CatalogOption = None,
    as_json: JsonOption = False,
) -> None:
    """Say for every measure: likely eligible, likely not, or what still needs checking."""
    language = _language(lang)
    day = _day(on)
    checked = load_catalog(catalog)
    person = parse_profile(read_data_file(profile, ProfileError), day, where=str(profile))
    results = check_all(checked, person, day)
    questions = questions_to_ask(checked, person, day)
    if as_json:
        document = {
            "date": day.isoformat(),
            "lang": language,
            "results": [result.as_dict(language) for result in results],
            "questions": questions,
            "disclaimer": DISCLAIMER.get(language),
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    _print_summary(results, questions, language, day)


@app.command("list")
def list_measures(
    lang: LangOption = "ru", catalog: CatalogOption = None, as_json: JsonOption = False
) -> None:
    """List the measures of the catalog."""
    language = _language(lang)
    checked = load_catalog(catalog)
    rows = [
        {
            "id": measure.id,
            "title": measure.title.get(language),
            "type": measure.type,
            "level": measure.level,
            "region": measure.region,
            "agency": measure.agency,
        }
        for measure in checked.measures.values()
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:<44} {row['level']:<9} {row['title']}")


@app.command("validate")
def validate(
    catalog: Annotated[Path, typer.Argument(help="Catalog file or folder to check.")],
) -> None:
    """Check a catalog: shape, references, parameters and every rule."""
    checked = load_catalog(catalog)
    typer.echo(_counts(checked))


def _counts(catalog: Catalog) -> str:
    document = catalog.document
    return (
        f"ok: {len(document.measures)} measures, {len(document.agencies)} agencies, "
        f"{len(document.parameters)} parameters, {len(document.rules)} shared rules"
    )


def _print_summary(
    results: list[MeasureResult], questions: list[str], lang: str, day: date
) -> None:
    heading = "Проверка на" if lang == "ru" else "Check on"
    typer.echo(f"{heading} {day.isoformat()}")
    for result in results:
        mark = STATUS_MARK[result.status]
        status = STATUS_WORDS[result.status].get(lang)
        typer.echo(f"\n[{mark}] {result.measure.title.get(lang)} ({result.measure.id}): {status}")
        for line in result.reason_lines(lang)[:-1]:  # the disclaimer is said once, at the end
            typer.echo(f"    {line}")
        typer.echo(f"    -> {result.agency.name.get(lang)}")
    if questions:
        ask = "Уточните, чтобы ответить точнее" if lang == "ru" else "To answer better, tell us"
        typer.echo(f"\n{ask}: {', '.join(FACTS[fact].label(lang) for fact in questions)}")
    typer.echo(f"\n{DISCLAIMER.get(lang)}")


def _language(lang: str) -> str:
    if lang not in ("ru", "en"):
        raise UsageError(f"--lang {lang!r}: use ru or en")
    return lang


def _day(on: str | None) -> date:
    if on is None:
        return SystemClock().now().astimezone(UTC).date()
    try:
        return date.fromisoformat(on)
    except ValueError:
        raise UsageError(f"--date {on!r} is not a date (use YYYY-MM-DD)") from None
