"""Moments in query strings: ISO 8601 or seconds since the epoch, both ways round.

The API answers with both forms (`ts` ISO 8601 UTC for people, `epoch` for charts), and
accepts either in filters such as `?since=`, so a client can hand back what it was given.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BeforeValidator

# Epoch seconds past this are almost certainly milliseconds (year 5138): say so.
_LARGEST_EPOCH_S = 1e11


def parse_moment(value: object) -> float:
    """Seconds since the epoch from ISO 8601 (no zone means UTC) or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a time, got a boolean")
    if isinstance(value, int | float):
        return _checked_epoch(float(value), str(value))
    text = str(value).strip()
    if _looks_numeric(text):
        return _checked_epoch(float(text), text)
    return _parse_iso(text)


def iso_utc(epoch_s: float) -> str:
    """`2026-11-23T09:00:00.250000Z`: ISO 8601 in UTC, microseconds only when there are any."""
    return datetime.fromtimestamp(epoch_s, UTC).isoformat().replace("+00:00", "Z")


def _parse_iso(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text[:40]!r} is neither ISO 8601 (e.g. 2026-11-23T09:00:00Z) "
            "nor seconds since the epoch (e.g. 1795424400)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _checked_epoch(seconds: float, text: str) -> float:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{text[:40]!r} must be a non-negative finite number of seconds")
    if seconds > _LARGEST_EPOCH_S:
        raise ValueError(f"{text[:40]!r} looks like milliseconds; give seconds since the epoch")
    return seconds


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# A query parameter typed `Moment` arrives as epoch seconds or fails with a 422 naming it.
Moment = Annotated[float, BeforeValidator(parse_moment)]
