"""When reminders fall due: RFC 5545 recurrence (dateutil's rrule) in the resident's time zone.

Rules are expanded on local wall-clock times, then placed in the zone, so
"08:00 daily" stays 08:00 local across a daylight-saving change, and "every 8
hours" from 06:00 stays 06:00, 14:00, 22:00 local (as `recurring-ical-events`
expands a DTSTART with a TZID).

Local times that do not exist or exist twice follow RFC 5545 section 3.3.5
(PEP 495 `fold=0` gives exactly this):

- in the spring-forward gap, a time is read with the UTC offset from before
  the gap, so 02:30 on the night clocks jump from 02:00 to 03:00 is due 03:30;
- in the autumn overlap, a time means its first occurrence (summer time).

Windows are half-open: `start <= due < end`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from homecare.errors import HomecareError
from reminders.model import ReminderSchedule, ReminderSpec

# Frequencies a spoken reminder can sensibly have; a minutely rule would flood the resident.
ALLOWED_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
# How far a gap or overlap can move a local time: expand a little wider, then filter exactly.
_ZONE_SLACK = timedelta(hours=3)
_UTC_UNTIL = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)


class RecurrenceError(HomecareError):
    """A recurrence rule that cannot be expanded; the message names the rule and the problem."""


@dataclass(slots=True)
class Occurrence:
    """One time a reminder falls due (read-only by convention; not frozen, for speed)."""

    reminder: ReminderSpec
    due: datetime  # aware, in the schedule's zone
    occurrence_id: str

    @property
    def due_utc(self) -> datetime:
        return self.due.astimezone(UTC)


def occurrence_id(reminder_id: str, due: datetime) -> str:
    """`{reminder_id}@{due in UTC, ISO 8601}`: stable across restarts and schedule reloads."""
    utc = due.astimezone(UTC).replace(tzinfo=None)
    return f"{reminder_id}@{utc.isoformat(timespec='seconds')}Z"


def validate_rrule(rule: str, start: datetime, zone: ZoneInfo) -> None:
    """Raise `RecurrenceError` if `rule` (without "RRULE:") cannot be expanded from `start`."""
    _compiled(rule, start.replace(tzinfo=None), zone.key)


def occurrences(
    spec: ReminderSpec, zone: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    """Due times of `spec` with `start <= due < end`, aware in `zone`, in order."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return []
    local_from = start.astimezone(zone).replace(tzinfo=None) - _ZONE_SLACK
    local_to = end.astimezone(zone).replace(tzinfo=None) + _ZONE_SLACK
    if not spec.rrule:
        naive_times: list[datetime] = [spec.start] if local_from <= spec.start <= local_to else []
    else:
        rule = _compiled(spec.rrule, spec.start, zone.key)
        naive_times = rule.between(local_from, local_to, inc=True)
    excluded = set(spec.exdates)
    result: list[datetime] = []
    seen: set[datetime] = set()
    for naive in naive_times:
        if naive in excluded:
            continue
        due = place_in_zone(naive, zone)
        # Two local times in a gap can land on the same instant (HOURLY at 02:00 and 03:00).
        if start <= due < end and due not in seen:
            seen.add(due)
            result.append(due)
    return result


def iter_occurrences(spec: ReminderSpec, zone: ZoneInfo, start: datetime) -> Iterator[datetime]:
    """Due times of `spec` from `start` on, in order, lazily (the engine's rolling window).

    The same times as `occurrences` (tests hold them together); a generator, so the
    engine walks a rule once instead of re-expanding it from DTSTART for every window.
    """
    for due, _ in iter_occurrence_times(spec, zone, start):
        yield due


def iter_occurrence_times(
    spec: ReminderSpec, zone: ZoneInfo, start: datetime
) -> Iterator[tuple[datetime, float]]:
    """`iter_occurrences` with each due time's POSIX timestamp (the engine's hot path)."""
    _require_aware(start, "start")
    start_ts = start.timestamp()
    local_from = start.astimezone(zone).replace(tzinfo=None) - _ZONE_SLACK
    if not spec.rrule:
        naive_times: Iterable[datetime] = [spec.start]
    else:
        # Plain iteration: dateutil's xafter walks from DTSTART as well, only slower.
        naive_times = _compiled(spec.rrule, spec.start, zone.key)
    excluded = set(spec.exdates)
    last_ts = float("-inf")
    for naive in naive_times:
        if naive < local_from or naive in excluded:
            continue
        # The timestamp of a fold=0 local time is the RFC 5545 reading (see place_in_zone).
        timestamp = naive.replace(tzinfo=zone).timestamp()
        if timestamp >= start_ts and timestamp > last_ts:
            last_ts = timestamp
            yield datetime.fromtimestamp(timestamp, zone), timestamp


def schedule_occurrences(
    schedule: ReminderSchedule, start: datetime, end: datetime
) -> list[Occurrence]:
    """Every active reminder's occurrences in the window, by due time then reminder id."""
    zone = schedule.zone
    found: list[Occurrence] = []
    for reminder in schedule.reminders:
        if not reminder.active:
            continue
        for due in occurrences(reminder, zone, start, end):
            found.append(Occurrence(reminder, due, occurrence_id(reminder.id, due)))
    found.sort(key=lambda occurrence: (occurrence.due_utc, occurrence.reminder.id))
    return found


def place_in_zone(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local time as an aware one in `zone`, by the RFC 5545 rule (see module doc)."""
    # fold=0 reads a gap time with the offset from before the gap; the round trip through
    # UTC turns 02:30+01:00 into the wall time that really exists then (03:30+02:00).
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


@lru_cache(maxsize=4096)
def _compiled(rule: str, local_start: datetime, zone_key: str) -> rrule:
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text:
        raise RecurrenceError("empty RRULE: give at least FREQ, e.g. 'FREQ=DAILY'")
    parts = {part.partition("=")[0].upper() for part in text.split(";") if part}
    frequency = re.search(r"FREQ=([A-Z]+)", text, re.IGNORECASE)
    if frequency is None:
        raise RecurrenceError(f"RRULE {rule!r}: FREQ is missing (e.g. 'FREQ=DAILY')")
    if frequency.group(1).upper() not in ALLOWED_FREQUENCIES:
        raise RecurrenceError(
            f"RRULE {rule!r}: FREQ={frequency.group(1)} is not allowed for a reminder "
            f"(use one of {', '.join(ALLOWED_FREQUENCIES)})"
        )
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError(f"RRULE {rule!r}: COUNT and UNTIL must not both be given")
    # dateutil refuses a UTC UNTIL with a local start; RFC 5545 allows it: make UNTIL local.
    try:
        text = _UTC_UNTIL.sub(lambda m: f"UNTIL={_local_until(m.group(1), zone_key)}", text)
        compiled = rrulestr(f"RRULE:{text}", dtstart=local_start)
    except (ValueError, TypeError, OverflowError) as error:
        raise RecurrenceError(f"RRULE {rule!r}: {error}") from None
    if not isinstance(compiled, rrule):  # pragma: no cover - one RRULE line gives one rrule
        raise RecurrenceError(f"RRULE {rule!r}: give exactly one rule")
    return compiled


def _local_until(utc_text: str, zone_key: str) -> str:
    until = datetime.strptime(utc_text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return until.astimezone(ZoneInfo(zone_key)).strftime("%Y%m%dT%H%M%S")


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None:
        raise RecurrenceError(f"{name} must be an aware time (with an offset), got {moment}")
