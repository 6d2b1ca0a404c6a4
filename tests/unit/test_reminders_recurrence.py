"""Recurrence in the resident's zone, checked against an independent RRULE expansion.

`recurring_ical_events` (its own expansion of iCalendar, not our code) is the
reference: for each rule and zone, our CLI's JSON must list the same instants.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import takewhile
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events  # type: ignore[import-untyped]
from typer.testing import CliRunner

from homecare.cli.reminders import app
from reminders.model import ReminderSchedule, ReminderSpec
from reminders.recurrence import (
    RecurrenceError,
    iter_occurrences,
    occurrences,
    schedule_occurrences,
    validate_rrule,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
PERM = ZoneInfo("Asia/Yekaterinburg")


def calendar_text(zone: str, start: str, rule: str, exdates: str = "") -> str:
    """An .ics written by hand (not by our exporter), so the reference sees foreign input."""
    exdate = f"EXDATE;TZID={zone}:{exdates}\r\n" if exdates else ""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:rem-1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Enalapril\r\n"
        f"DTSTART;TZID={zone}:{start}\r\nRRULE:{rule}\r\n{exdate}"
        "X-HOMECARE-KIND:medication\r\nX-HOMECARE-MEDICINE:enalapril\r\n"
        "X-HOMECARE-DOSE:one tablet\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def reference_instants(text: str, start: datetime, end: datetime) -> list[datetime]:
    calendar = icalendar.Calendar.from_ical(text)
    events = recurring_ical_events.of(calendar).between(start, end)
    return sorted(event["DTSTART"].dt.astimezone(UTC) for event in events)


def cli_occurrences(
    tmp_path: Path, text: str, start: datetime, end: datetime
) -> list[dict[str, str]]:
    path = tmp_path / "schedule.ics"
    path.write_text(text, encoding="utf-8")
    args = ["occurrences", "--ics", str(path), "--start", start.isoformat()]
    result = CliRunner().invoke(app, [*args, "--end", end.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    parsed: list[dict[str, str]] = json.loads(result.output)
    return parsed


BER, NYC, YEK = "Europe/Berlin", "America/New_York", "Asia/Yekaterinburg"
CASES = [
    # (zone, DTSTART, RRULE, (window start, window end) local): each window spans a DST change.
    (BER, "20260301T080000", "FREQ=DAILY", ((2026, 3, 25), (2026, 4, 2))),
    (BER, "20260301T080000", "FREQ=DAILY", ((2026, 10, 20), (2026, 10, 30))),
    (BER, "20260302T090000", "FREQ=WEEKLY;BYDAY=MO,WE,FR", ((2026, 3, 16), (2026, 4, 14))),
    (BER, "20260115T100000", "FREQ=MONTHLY;BYMONTHDAY=15", ((2026, 1, 1), (2026, 12, 1))),
    (BER, "20260105T110000", "FREQ=MONTHLY;BYDAY=1MO", ((2026, 1, 1), (2026, 12, 1))),
    (BER, "20260320T060000", "FREQ=HOURLY;INTERVAL=8", ((2026, 3, 27), (2026, 4, 1))),
    (BER, "20261020T060000", "FREQ=HOURLY;INTERVAL=8", ((2026, 10, 23), (2026, 10, 28))),
    (NYC, "20260301T080000", "FREQ=DAILY", ((2026, 3, 5), (2026, 3, 12))),
    (NYC, "20260302T090000", "FREQ=WEEKLY;BYDAY=MO,WE,FR", ((2026, 10, 26), (2026, 11, 9))),
    (NYC, "20260301T070000", "FREQ=HOURLY;INTERVAL=8", ((2026, 3, 6), (2026, 3, 11))),
    # Perm has no daylight-saving time: +05:00 all year.
    (YEK, "20260301T080000", "FREQ=DAILY", ((2026, 3, 25), (2026, 4, 2))),
    (YEK, "20260302T090000", "FREQ=WEEKLY;BYDAY=MO,WE,FR", ((2026, 10, 20), (2026, 11, 3))),
    (YEK, "20260115T100000", "FREQ=MONTHLY;BYMONTHDAY=15", ((2026, 1, 1), (2026, 12, 1))),
    (YEK, "20260105T110000", "FREQ=MONTHLY;BYDAY=1MO", ((2026, 1, 1), (2026, 12, 1))),
    (YEK, "20260320T060000", "FREQ=HOURLY;INTERVAL=8", ((2026, 3, 27), (2026, 4, 1))),
]  # fmt: skip


Day = tuple[int, int, int]


@pytest.mark.parametrize(("zone_name", "dtstart", "rule", "window"), CASES)
def test_cli_agrees_with_an_independent_expansion(
    tmp_path: Path, zone_name: str, dtstart: str, rule: str, window: tuple[Day, Day]
) -> None:
    window_from, window_to = window
    zone = ZoneInfo(zone_name)
    start = datetime(*window_from, tzinfo=zone)
    end = datetime(*window_to, tzinfo=zone)
    text = calendar_text(zone_name, dtstart, rule)

    ours = cli_occurrences(tmp_path, text, start, end)
    expected = reference_instants(text, start, end)

    assert len(expected) >= 3  # the case really exercises the rule
    assert [datetime.fromisoformat(item["due"]) for item in ours] == expected
    # Wall-clock time stays put across the change: every due is at DTSTART's local time
    # (or, for "every 8 hours", on its 8-hour grid).
    local_hours = {datetime.fromisoformat(item["due"]).hour for item in ours}
    first_hour = int(dtstart[9:11])
    allowed = {(first_hour + 8 * k) % 24 for k in range(3)} if "HOURLY" in rule else {first_hour}
    assert local_hours <= allowed
    assert all(item["kind"] == "medication" and item["medicine"] == "enalapril" for item in ours)


def test_dst_change_moves_the_utc_offset_not_the_local_time() -> None:
    spec = ReminderSpec(
        id="r", kind="custom", title="x", start=datetime(2026, 3, 1, 8), rrule="FREQ=DAILY"
    )
    found = occurrences(
        spec, BERLIN, datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)
    )
    assert [due.isoformat() for due in found] == [
        "2026-03-28T08:00:00+01:00",
        "2026-03-29T08:00:00+02:00",
        "2026-03-30T08:00:00+02:00",
    ]


def test_nonexistent_and_ambiguous_local_times_follow_rfc_5545(tmp_path: Path) -> None:
    # 02:30 does not exist in Berlin on 2026-03-29 (02:00 -> 03:00): read with the offset
    # from before the gap, i.e. 01:30 UTC = 03:30 summer time. 02:30 exists twice on
    # 2026-10-25: the first one (summer time, +02:00) is meant.
    spec = ReminderSpec(
        id="r", kind="custom", title="x", start=datetime(2026, 3, 1, 2, 30), rrule="FREQ=DAILY"
    )
    spring = occurrences(
        spec, BERLIN, datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC)
    )
    autumn = occurrences(
        spec, BERLIN, datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 25, 12, tzinfo=UTC)
    )
    assert [due.isoformat() for due in spring] == ["2026-03-29T03:30:00+02:00"]
    assert [due.isoformat() for due in autumn] == ["2026-10-25T02:30:00+02:00"]
    # ... which is what the independent expansion means as well.
    text = calendar_text("Europe/Berlin", "20260301T023000", "FREQ=DAILY")
    start, end = datetime(2026, 3, 28, tzinfo=BERLIN), datetime(2026, 10, 27, tzinfo=BERLIN)
    window = [due.astimezone(UTC) for due in occurrences(spec, BERLIN, start, end)]
    assert window == reference_instants(text, start, end)


def test_exdates_are_skipped_like_the_reference(tmp_path: Path) -> None:
    text = calendar_text(
        "Europe/Berlin", "20260301T080000", "FREQ=DAILY", "20260329T080000,20260331T080000"
    )
    start, end = datetime(2026, 3, 27, tzinfo=BERLIN), datetime(2026, 4, 2, tzinfo=BERLIN)
    ours = cli_occurrences(tmp_path, text, start, end)
    assert [datetime.fromisoformat(item["due"]) for item in ours] == reference_instants(
        text, start, end
    )
    assert len(ours) == 4


def test_iterating_gives_the_same_times_as_the_window_function() -> None:
    spec = ReminderSpec(
        id="r", kind="custom", title="x", start=datetime(2026, 3, 1, 2, 0),
        rrule="FREQ=HOURLY;INTERVAL=1", exdates=[datetime(2026, 3, 29, 5, 0)],
    )  # fmt: skip
    start, end = datetime(2026, 3, 28, 20, tzinfo=UTC), datetime(2026, 3, 29, 8, tzinfo=UTC)
    lazy = list(takewhile(lambda due: due < end, iter_occurrences(spec, BERLIN, start)))
    assert lazy == occurrences(spec, BERLIN, start, end)
    assert len(lazy) == 11  # 12 hours, less one excluded; 02:00 (gap) folds onto 03:00


def test_window_is_half_open_and_a_single_reminder_has_no_rule() -> None:
    once = ReminderSpec(
        id="once", kind="appointment", title="doctor", start=datetime(2026, 5, 4, 10)
    )
    due = datetime(2026, 5, 4, 10, tzinfo=PERM)
    assert occurrences(once, PERM, due, due.replace(hour=11)) == [due]
    assert occurrences(once, PERM, due.replace(hour=9), due) == []


def test_schedule_occurrences_orders_all_reminders_and_names_each_occurrence() -> None:
    schedule = ReminderSchedule(
        timezone="Asia/Yekaterinburg",
        reminders=[
            ReminderSpec(
                id=name, kind="custom", title=name, start=datetime(2026, 1, 1, 8),
                rrule="FREQ=DAILY",
            )
            for name in ("b", "a")
        ]
        + [
            ReminderSpec(
                id="off", kind="custom", title="paused", start=datetime(2026, 1, 1, 7),
                rrule="FREQ=DAILY", active=False,
            )
        ],
    )  # fmt: skip
    found = schedule_occurrences(
        schedule, datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)
    )
    assert [item.occurrence_id for item in found] == [
        "a@2026-01-02T03:00:00Z",
        "b@2026-01-02T03:00:00Z",
    ]
    assert found[0].due.isoformat() == "2026-01-02T08:00:00+05:00"


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("FREQ=DAILY;BYDAY=XX", "BYDAY"),
        ("BYHOUR=8", "FREQ is missing"),
        ("FREQ=MINUTELY", "not allowed"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20260101T000000Z", "COUNT and UNTIL"),
        ("FREQ=DAILY;INTERVAL=x", "FREQ=DAILY;INTERVAL=x"),
        ("FREQ=DAILY;UNTIL=20261399T000000Z", "UNTIL"),
        ("", "empty"),
    ],
)
def test_invalid_rules_are_named_with_the_problem(rule: str, problem: str) -> None:
    with pytest.raises(RecurrenceError) as raised:
        validate_rrule(rule, datetime(2026, 1, 1, 8), BERLIN)
    assert problem in str(raised.value)


def test_utc_until_is_honoured_in_local_time() -> None:
    # UNTIL 2026-03-31T06:00Z is 08:00 in Berlin summer time: that day's 08:00 is the last.
    spec = ReminderSpec(
        id="r", kind="custom", title="x", start=datetime(2026, 3, 28, 8),
        rrule="FREQ=DAILY;UNTIL=20260331T060000Z",
    )  # fmt: skip
    found = occurrences(
        spec, BERLIN, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    )
    assert [due.day for due in found] == [28, 29, 30, 31]


def test_new_york_spring_forward_keeps_8_am() -> None:
    spec = ReminderSpec(
        id="r", kind="custom", title="x", start=datetime(2026, 3, 7, 8), rrule="FREQ=DAILY"
    )
    found = occurrences(
        spec, NEW_YORK, datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
    )
    assert [(due.hour, due.utcoffset()) for due in found] == [
        (8, NEW_YORK.utcoffset(datetime(2026, 3, 7))),
        (8, NEW_YORK.utcoffset(datetime(2026, 3, 8, 12))),
        (8, NEW_YORK.utcoffset(datetime(2026, 3, 9))),
    ]
    assert found[0].utcoffset() != found[1].utcoffset()
