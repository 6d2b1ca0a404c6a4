"""`homecare reminders ...`: look at reminder schedules (iCalendar files) from the command line."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from homecare.errors import UsageError
from reminders.ics import schedule_from_ics
from reminders.recurrence import Occurrence, place_in_zone, schedule_occurrences

MAX_WINDOW = timedelta(days=400)

app = typer.Typer(help="Reminder schedules: expand iCalendar files.", no_args_is_help=True)


@app.callback()
def reminders() -> None:
    """Reminder schedules: expand iCalendar files."""


@app.command("occurrences")
def list_occurrences(
    ics: Annotated[Path, typer.Option("--ics", help="The schedule as an iCalendar (.ics) file.")],
    start: Annotated[
        str,
        typer.Option("--start", help="Window start, ISO 8601 (no offset: the schedule's zone)."),
    ],
    end: Annotated[str, typer.Option("--end", help="Window end (exclusive), ISO 8601.")],
    timezone: Annotated[
        str,
        typer.Option("--timezone", help="Zone of a calendar that names none (IANA name)."),
    ] = "Europe/Moscow",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Print when every reminder in the file falls due in [start, end), with UTC offsets."""
    schedule = schedule_from_ics(_read(ics), _zone_name(timezone))
    zone = schedule.zone
    window_start = _moment(start, "--start", zone)
    window_end = _moment(end, "--end", zone)
    if window_end <= window_start:
        raise UsageError(f"--end {end} must be after --start {start}")
    if window_end - window_start > MAX_WINDOW:
        raise UsageError(f"the window from {start} to {end} is longer than {MAX_WINDOW.days} days")
    found = schedule_occurrences(schedule, window_start, window_end)
    if as_json:
        typer.echo(json.dumps([_as_dict(item) for item in found], ensure_ascii=False, indent=2))
        return
    _print_table(found, schedule.timezone)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--ics {path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"--ics {path}: not a UTF-8 text file (expected iCalendar)") from None
    except OSError as error:
        raise UsageError(f"--ics {path}: cannot read it: {error.strerror}") from None


def _zone_name(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise UsageError(f"--timezone {name!r}: unknown time zone (use an IANA name)") from None
    return name


def _moment(text: str, option: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date or date-time; one without an offset is local in the schedule's zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not an ISO 8601 date-time (e.g. 2026-03-29T00:00+02:00)"
        ) from None
    if moment.tzinfo is None:
        return place_in_zone(moment, zone)
    return moment


def _as_dict(occurrence: Occurrence) -> dict[str, str]:
    reminder = occurrence.reminder
    return {
        "reminder_id": reminder.id,
        "title": reminder.title,
        "kind": reminder.kind,
        "medicine": reminder.medicine,
        "dose": reminder.dose,
        "due": occurrence.due.isoformat(),
    }


def _print_table(found: list[Occurrence], zone_name: str) -> None:
    typer.echo(f"{'due':<25}  {'kind':<11}  {'reminder':<20}  what")
    for occurrence in found:
        reminder = occurrence.reminder
        what = reminder.title
        if reminder.medicine:
            dose = f", {reminder.dose}" if reminder.dose else ""
            what = f"{reminder.title} ({reminder.medicine}{dose})"
        typer.echo(
            f"{occurrence.due.isoformat():<25}  {reminder.kind:<11}  {reminder.id:<20}  {what}"
        )
    typer.echo(f"{len(found)} occurrence(s), times in {zone_name}")
