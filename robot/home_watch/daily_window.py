"""A daily stretch of local time ("22:00"-"07:00", "08:00"-"21:00"), in the home's zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from reminders.engine import parse_clock_time
from reminders.recurrence import place_in_zone


class DailyWindow:
    """From `start` to `end` every day, local; it crosses midnight when start > end.

    Equal start and end mean an empty window (the behaviour is switched off).
    """

    def __init__(self, start: str, end: str, zone: ZoneInfo) -> None:
        self.start: clock_time = parse_clock_time(start)
        self.end: clock_time = parse_clock_time(end)
        self.zone = zone

    def contains(self, moment: datetime) -> bool:
        return self.started_at(moment) is not None

    def started_at(self, moment: datetime) -> datetime | None:
        """When the window holding `moment` (aware) began; None outside the window."""
        if self.start == self.end:
            return None
        local = moment.astimezone(self.zone)
        clock = local.time().replace(tzinfo=None)
        day = local.date()
        if self.start < self.end:
            inside = self.start <= clock < self.end
        else:  # across midnight: the part after midnight began yesterday
            inside = clock >= self.start or clock < self.end
            if clock < self.end:
                day -= timedelta(days=1)
        if not inside:
            return None
        return place_in_zone(datetime.combine(day, self.start), self.zone)
