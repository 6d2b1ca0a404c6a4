"""Times and durations as scenario authors write them: "10:15", "day 2 07:30", "+30s", "1h30m"."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")
_CLOCK = re.compile(r"^(?:day\s+(\d+)\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class TimeFormatError(ValueError):
    """Not a time or duration this file format knows."""


def parse_duration(text: str | int | float) -> float:
    """Seconds of "45s", "10m", "1h30m", "24h" (a bare number is refused: say the unit)."""
    if isinstance(text, bool) or not isinstance(text, str):
        raise TimeFormatError(f"{text!r} has no unit: write e.g. '45s', '10m' or '1h30m'")
    match = _DURATION.match(text.strip())
    if not text.strip() or match is None:
        raise TimeFormatError(f"{text!r} is not a duration: write e.g. '45s', '10m' or '1h30m'")
    hours, minutes, seconds = (float(part) if part else 0.0 for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_time_of_day(text: str) -> float:
    """Seconds after midnight of the scenario's first day: "10:15", "10:15:30", "day 2 07:30"."""
    match = _CLOCK.match(str(text).strip())
    if match is None:
        raise TimeFormatError(f"{text!r} is not a time: write 'HH:MM', 'HH:MM:SS' or 'day 2 HH:MM'")
    day, hours, minutes, seconds = match.groups()
    day_index = int(day) - 1 if day else 0
    if day is not None and day_index < 0:
        raise TimeFormatError(f"{text!r}: days count from 1")
    if int(hours) > 23 or int(minutes) > 59 or int(seconds or 0) > 59:
        raise TimeFormatError(f"{text!r} is not a time of day")
    return day_index * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)


def resolve_moment(text: str, start_of_day_s: float, previous_s: float) -> float:
    """Seconds after the scenario's start: a time of day, or "+duration" after `previous_s`."""
    text = str(text).strip()
    if text.startswith("+"):
        return previous_s + parse_duration(text[1:])
    return parse_time_of_day(text) - start_of_day_s


def format_offset(offset_s: float, start_of_day_s: float) -> str:
    """The local clock time of an offset from the start, as in the scenario ("day 2 07:30:05")."""
    total = round(start_of_day_s + offset_s)
    day, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return clock if day == 0 else f"day {day + 1} {clock}"
