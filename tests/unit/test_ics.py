"""iCalendar import and export of reminder schedules, and the `homecare reminders` CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from homecare.cli.reminders import app
from homecare.errors import HomecareError
from reminders.ics import IcsError, schedule_from_ics, schedule_to_ics
from reminders.model import Medicine, ReminderSchedule, ReminderSpec
from reminders.recurrence import occurrences

SCHEDULE = ReminderSchedule(
    timezone="Asia/Yekaterinburg",
    medicines=[
        Medicine(name="эналаприл", aliases=["от давления"], dose="одна таблетка"),
        Medicine(name="aspirin", dose="100 mg"),
    ],
    reminders=[
        ReminderSpec(
            id="med-morning", kind="medication", title="Давление; утром, с водой",
            medicine="эналаприл", dose="одна таблетка", start=datetime(2026, 3, 1, 8),
            rrule="FREQ=DAILY", exdates=[datetime(2026, 3, 8, 8), datetime(2026, 3, 9, 8)],
        ),
        ReminderSpec(
            id="aspirin", kind="medication", title="Aspirin", medicine="aspirin", dose="100 mg",
            start=datetime(2026, 3, 2, 6), rrule="FREQ=HOURLY;COUNT=30;INTERVAL=8",
        ),
        ReminderSpec(
            id="doctor", kind="appointment", title="Терапевт, кабинет 5",
            start=datetime(2026, 4, 6, 10, 30), notes="взять полис",
        ),
        ReminderSpec(
            id="call", kind="custom", title="Call Anna", start=datetime(2026, 3, 2, 18),
            rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR", active=False,
        ),
    ],
)  # fmt: skip

EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//test//EN
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260101T000000Z
SUMMARY:Pills
{lines}
END:VEVENT
END:VCALENDAR
"""


def one_event(lines: str, uid: str = "pills-1") -> str:
    return EVENT.format(uid=uid, lines=lines.strip())


def test_round_trip_keeps_every_field() -> None:
    text = schedule_to_ics(SCHEDULE)
    assert schedule_from_ics(text, "Europe/Moscow") == SCHEDULE


def test_a_rule_in_another_order_comes_back_as_the_same_rule() -> None:
    spec = SCHEDULE.reminders[1].model_copy(update={"rrule": "INTERVAL=8;COUNT=30;FREQ=HOURLY"})
    schedule = SCHEDULE.model_copy(update={"reminders": [spec]})
    [back] = schedule_from_ics(schedule_to_ics(schedule), "UTC").reminders
    assert back.rrule == "FREQ=HOURLY;COUNT=30;INTERVAL=8"
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    assert len(occurrences(back, schedule.zone, start, end)) == 30
    assert occurrences(back, schedule.zone, start, end) == occurrences(
        spec, schedule.zone, start, end
    )


def test_a_schedule_with_an_invalid_rule_is_refused_where_it_is_written() -> None:
    with pytest.raises(ValidationError, match="invalid RRULE 'FREQ=DAILY;BYDAY=XX'"):
        ReminderSpec(
            id="x",
            kind="custom",
            title="x",
            start=datetime(2026, 3, 1, 8),
            rrule="FREQ=DAILY;BYDAY=XX",
        )


def test_export_is_standard_icalendar_that_others_read() -> None:
    calendar = icalendar.Calendar.from_ical(schedule_to_ics(SCHEDULE))
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    morning: Any = events["med-morning"]
    assert morning["DTSTART"].params["TZID"] == "Asia/Yekaterinburg"
    assert morning["DTSTART"].dt.hour == 8
    assert morning["RRULE"].to_ical() == b"FREQ=DAILY"
    assert str(morning["X-HOMECARE-KIND"]) == "medication"
    assert str(morning["X-HOMECARE-MEDICINE"]) == "эналаприл"
    assert str(morning["X-HOMECARE-DOSE"]) == "одна таблетка"
    assert [value.dt.day for value in morning["EXDATE"].dts] == [8, 9]
    assert "DTSTAMP" in morning
    assert {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")} == {"Asia/Yekaterinburg"}


def test_import_of_a_foreign_calendar_uses_its_zone_and_defaults() -> None:
    text = one_event(
        "DTSTART;TZID=Europe/Berlin:20260301T080000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR\n"
        "EXDATE;TZID=Europe/Berlin:20260304T080000"
    )
    schedule = schedule_from_ics(text, "Europe/Moscow")
    assert schedule.timezone == "Europe/Berlin"
    [reminder] = schedule.reminders
    assert (reminder.id, reminder.kind, reminder.title) == ("pills-1", "custom", "Pills")
    assert reminder.start == datetime(2026, 3, 1, 8)
    assert reminder.exdates == [datetime(2026, 3, 4, 8)]


def test_utc_and_floating_starts_become_local_times() -> None:
    utc = schedule_from_ics(one_event("DTSTART:20260301T050000Z"), "Asia/Yekaterinburg")
    floating = schedule_from_ics(one_event("DTSTART:20260301T100000"), "Asia/Yekaterinburg")
    assert utc.timezone == "Asia/Yekaterinburg"
    assert utc.reminders[0].start == datetime(2026, 3, 1, 10)
    assert floating.reminders[0].start == datetime(2026, 3, 1, 10)


def test_medicines_come_from_the_reminders_when_the_calendar_has_no_list() -> None:
    text = one_event(
        "DTSTART;TZID=Europe/Berlin:20260301T080000\nX-HOMECARE-KIND:medication\n"
        "X-HOMECARE-MEDICINE:Aspirin\nX-HOMECARE-DOSE:one tablet"
    )
    assert schedule_from_ics(text, "UTC").medicines == [Medicine(name="Aspirin", dose="one tablet")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("hello, this is not a calendar", "not an iCalendar file"),
        ("BEGIN:VCALENDAR\nthis is broken", "not a valid iCalendar"),
        (
            one_event("DTSTART;TZID=Europe/Berlin:20260301T080000\nRRULE:FREQ=DAILY;BYDAY=XX"),
            "event 'pills-1' ('Pills'): invalid RRULE 'FREQ=DAILY;BYDAY=XX': invalid 'BYDAY': XX",
        ),
        (
            one_event("DTSTART;TZID=Europe/Berlin:20260301T080000\nRRULE:FREQ=SECONDLY"),
            "event 'pills-1' ('Pills'): invalid RRULE 'FREQ=SECONDLY'",
        ),
        (
            one_event("RRULE:FREQ=DAILY"),
            "event 'pills-1' ('Pills'): DTSTART (when it starts) is missing",
        ),
        (
            one_event("DTSTART;TZID=Mars/Olympus:20260301T080000"),
            "event 'pills-1' ('Pills'): DTSTART: unknown time zone 'Mars/Olympus'",
        ),
        (
            one_event("DTSTART;TZID=Europe/Berlin:20260301T080000\nX-HOMECARE-KIND:medication"),
            "event 'pills-1' ('Pills'): a medication reminder needs X-HOMECARE-MEDICINE",
        ),
        (
            one_event("DTSTART;TZID=Europe/Berlin:20260301T080000\nX-HOMECARE-KIND:party"),
            "X-HOMECARE-KIND 'party' is not one of",
        ),
        (one_event("DTSTART;VALUE=DATE:20260301"), "a date without a time of day"),
        (
            one_event("DTSTART;TZID=Europe/Berlin:20260301T080000\nRECURRENCE-ID:20260302T080000"),
            "RECURRENCE-ID",
        ),
        (
            EVENT.format(uid="x", lines="DTSTART:20260301T080000").replace("SUMMARY:Pills\n", ""),
            "event 'x': SUMMARY",
        ),
    ],
)
def test_bad_calendars_name_the_event_and_the_problem(text: str, expected: str) -> None:
    with pytest.raises(IcsError) as raised:
        schedule_from_ics(text, "Europe/Moscow")
    assert expected in str(raised.value)


def test_two_events_with_one_uid_are_refused() -> None:
    event = "BEGIN:VEVENT\nUID:same\nSUMMARY:A\nDTSTART:20260301T080000\nEND:VEVENT\n"
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n{event}{event}END:VCALENDAR\n"
    with pytest.raises(IcsError, match="two reminders share the id 'same'"):
        schedule_from_ics(text, "UTC")


def test_uids_with_odd_characters_become_valid_ids() -> None:
    text = one_event("DTSTART:20260301T080000", uid="abc def/ghi@example.com")
    assert schedule_from_ics(text, "UTC").reminders[0].id == "abc-def-ghi@example.com"


# -- the command line -------------------------------------------------------------------


def run(args: list[str]) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output, result.exception


def test_cli_table_and_json(tmp_path: Path) -> None:
    path = tmp_path / "s.ics"
    path.write_text(schedule_to_ics(SCHEDULE), encoding="utf-8")
    window = ["--start", "2026-03-07T00:00", "--end", "2026-03-10T00:00"]
    code, output, _ = run(["occurrences", "--ics", str(path), *window, "--json"])
    assert code == 0, output
    items = json.loads(output)
    morning = [item for item in items if item["reminder_id"] == "med-morning"]
    assert [item["due"] for item in morning] == ["2026-03-07T08:00:00+05:00"]  # 8th, 9th excluded
    assert set(items[0]) == {"reminder_id", "title", "kind", "medicine", "dose", "due"}
    assert not any(item["reminder_id"] == "call" for item in items)  # paused

    code, output, _ = run(["occurrences", "--ics", str(path), *window])
    assert code == 0
    assert "2026-03-07T08:00:00+05:00" in output and "эналаприл, одна таблетка" in output
    assert f"{len(items)} occurrence(s), times in Asia/Yekaterinburg" in output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--start", "yesterday", "--end", "2026-03-10"], "--start 'yesterday' is not an ISO 8601"),
        (["--start", "2026-03-10", "--end", "2026-03-01"], "must be after --start"),
        (["--start", "2026-01-01", "--end", "2028-01-01"], "longer than 400 days"),
    ],
)
def test_cli_bad_window_is_a_clear_error(tmp_path: Path, args: list[str], expected: str) -> None:
    path = tmp_path / "s.ics"
    path.write_text(schedule_to_ics(SCHEDULE), encoding="utf-8")
    _, _, error = run(["occurrences", "--ics", str(path), *args])
    assert isinstance(error, HomecareError) and expected in str(error)


def test_cli_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    window = ["--start", "2026-03-01", "--end", "2026-03-02"]
    _, _, missing = run(["occurrences", "--ics", str(tmp_path / "none.ics"), *window])
    assert isinstance(missing, HomecareError) and "no such file" in str(missing)
    bad = tmp_path / "bad.ics"
    bad.write_text(one_event("DTSTART:20260301T080000\nRRULE:FREQ=DAILY;BYDAY=XX"), "utf-8")
    _, _, invalid = run(["occurrences", "--ics", str(bad), *window])
    assert isinstance(invalid, HomecareError) and "invalid RRULE" in str(invalid)
    binary = tmp_path / "bin.ics"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    _, _, undecodable = run(["occurrences", "--ics", str(binary), *window])
    assert isinstance(undecodable, HomecareError) and "not a UTF-8 text file" in str(undecodable)
