"""Reminder schedules as iCalendar (RFC 5545) text, for .ics upload and download.

One VEVENT per reminder: UID (the reminder id), SUMMARY (title), DTSTART with
a TZID (local start), RRULE, EXDATE, DESCRIPTION (notes). What iCalendar has
no words for travels in X- properties: X-HOMECARE-KIND (medication,
appointment, custom; default custom), X-HOMECARE-MEDICINE, X-HOMECARE-DOSE,
X-HOMECARE-ACTIVE ("FALSE" pauses a reminder). The calendar's
X-WR-TIMEZONE is the schedule's zone, and X-HOMECARE-MEDICINES (JSON) keeps
the medicine list with its spoken aliases.

Import rules: the schedule's zone is X-WR-TIMEZONE, else the first event's
TZID, else `default_timezone`. A DTSTART in another zone or in UTC is moved
to the schedule's zone; a floating DTSTART is taken as local. RRULE parts come
back in icalendar's canonical order (FREQ first, then COUNT/UNTIL, INTERVAL,
BY...): the same rule, possibly spelled in another order. Events that only
modify one occurrence (RECURRENCE-ID) and all-day events are refused with a
message, not silently dropped.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from icalendar.prop import vRecur
from pydantic import ValidationError

from homecare.errors import HomecareError
from reminders.model import REMINDER_ID_PATTERN, Medicine, ReminderSchedule, ReminderSpec
from reminders.recurrence import RecurrenceError, validate_rrule

PRODID = "-//homecare//reminders//EN"
KINDS = ("medication", "appointment", "custom")
_ID_CHARACTERS = re.compile(r"[^A-Za-z0-9_.:@-]")


class IcsError(HomecareError):
    """An .ics file that cannot become a schedule; the message names the event and the problem."""


def schedule_from_ics(text: str, default_timezone: str) -> ReminderSchedule:
    """The reminders in iCalendar `text`; raises `IcsError` naming the event that is wrong."""
    calendar = _parse_calendar(text)
    events = [event for event in calendar.walk("VEVENT") if isinstance(event, icalendar.Event)]
    zone_name = _schedule_zone(calendar, events, default_timezone)
    zone = _zone(zone_name, "the calendar")
    reminders = [_reminder(event, zone) for event in events]
    medicines = _medicines(calendar, reminders)
    try:
        return ReminderSchedule(timezone=zone_name, reminders=reminders, medicines=medicines)
    except ValidationError as error:
        raise IcsError(f"calendar: {_first_error(error)}") from None


def schedule_to_ics(schedule: ReminderSchedule) -> str:
    """`schedule` as an iCalendar text that `schedule_from_ics` reads back unchanged."""
    zone = schedule.zone
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-timezone", schedule.timezone)
    if schedule.medicines:
        medicines = [medicine.model_dump() for medicine in schedule.medicines]
        calendar.add("x-homecare-medicines", json.dumps(medicines, ensure_ascii=False))
    for reminder in schedule.reminders:
        event = icalendar.Event()
        event.add("uid", reminder.id)
        event.add("summary", reminder.title)
        start = reminder.start.replace(tzinfo=zone)
        event.add("dtstart", start)
        # DTSTAMP is required; the start in UTC keeps the export deterministic.
        event.add("dtstamp", start.astimezone(UTC))
        if reminder.rrule:
            event.add("rrule", vRecur.from_ical(reminder.rrule))
        if reminder.exdates:
            event.add("exdate", [moment.replace(tzinfo=zone) for moment in reminder.exdates])
        if reminder.notes:
            event.add("description", reminder.notes)
        event.add("x-homecare-kind", reminder.kind)
        if reminder.medicine:
            event.add("x-homecare-medicine", reminder.medicine)
        if reminder.dose:
            event.add("x-homecare-dose", reminder.dose)
        if not reminder.active:
            event.add("x-homecare-active", "FALSE")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return str(calendar.to_ical().decode("utf-8"))


def _parse_calendar(text: str) -> icalendar.Calendar:
    if not text.strip():
        raise IcsError("the file is empty: expected an iCalendar (BEGIN:VCALENDAR ...)")
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise IcsError("not an iCalendar file: it must start with BEGIN:VCALENDAR")
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as error:
        raise IcsError(f"not a valid iCalendar file: {error}") from None
    if not isinstance(calendar, icalendar.Calendar):
        raise IcsError("not an iCalendar file: no VCALENDAR at the top")
    return calendar


def _schedule_zone(
    calendar: icalendar.Calendar, events: list[icalendar.Event], default_timezone: str
) -> str:
    declared = calendar.get("X-WR-TIMEZONE")
    if declared:
        return str(declared)
    for event in events:
        start = event.get("DTSTART")
        tzid = start.params.get("TZID") if start is not None else None
        if tzid and _known_zone(str(tzid)):  # an unknown one is reported with its event
            return str(tzid)
    return default_timezone


def _reminder(event: icalendar.Event, zone: ZoneInfo) -> ReminderSpec:
    name = _event_name(event)
    if event.get("RECURRENCE-ID") is not None:
        raise IcsError(f"{name}: changes to single occurrences (RECURRENCE-ID) are not supported")
    uid = str(event.get("UID") or "").strip()
    if not uid:
        raise IcsError(f"{name}: UID is missing")
    title = str(event.get("SUMMARY") or "").strip()
    if not title:
        raise IcsError(f"{name}: SUMMARY (what to remind of) is missing")
    kind = str(event.get("X-HOMECARE-KIND") or "custom").strip().lower()
    if kind not in KINDS:
        raise IcsError(f"{name}: X-HOMECARE-KIND {kind!r} is not one of {', '.join(KINDS)}")
    medicine = str(event.get("X-HOMECARE-MEDICINE") or "").strip()
    if kind == "medication" and not medicine:
        raise IcsError(f"{name}: a medication reminder needs X-HOMECARE-MEDICINE (the medicine)")
    start = _local_start(event, zone, name)
    rule = _rrule_text(event, name)
    if rule:
        try:
            validate_rrule(rule, start, zone)
        except RecurrenceError as error:
            raise IcsError(f"{name}: invalid {error}") from None
    values: dict[str, Any] = {
        "id": _reminder_id(uid),
        "kind": kind,
        "title": title,
        "medicine": medicine,
        "dose": str(event.get("X-HOMECARE-DOSE") or "").strip(),
        "start": start,
        "rrule": rule,
        "exdates": _exdates(event, zone, name),
        "active": str(event.get("X-HOMECARE-ACTIVE") or "TRUE").strip().upper() != "FALSE",
        "notes": str(event.get("DESCRIPTION") or "").strip(),
    }
    try:
        return ReminderSpec(**values)
    except ValidationError as error:
        raise IcsError(f"{name}: {_first_error(error)}") from None


def _event_name(event: icalendar.Event) -> str:
    uid = str(event.get("UID") or "").strip()
    summary = str(event.get("SUMMARY") or "").strip()
    if uid and summary:
        return f"event {uid!r} ({summary!r})"
    if uid or summary:
        return f"event {uid or summary!r}"
    return "an event without UID or SUMMARY"


def _local_start(event: icalendar.Event, zone: ZoneInfo, name: str) -> datetime:
    start = event.get("DTSTART")
    if start is None:
        raise IcsError(f"{name}: DTSTART (when it starts) is missing")
    return _local_time(start, zone, f"{name}: DTSTART")


def _local_time(prop: Any, zone: ZoneInfo, where: str) -> datetime:
    """A DTSTART/EXDATE value as a naive local time in the schedule's zone."""
    moment = prop.dt
    if not isinstance(moment, datetime):
        if isinstance(moment, date):
            raise IcsError(f"{where} is a date without a time of day; a reminder needs a time")
        raise IcsError(f"{where} is not a date-time")
    tzid = prop.params.get("TZID")
    if moment.tzinfo is None and tzid:
        # icalendar leaves a TZID it does not know as a naive time: we refuse to guess.
        moment = moment.replace(tzinfo=_zone(str(tzid), where))
    if moment.tzinfo is None:
        return moment.replace(microsecond=0)  # floating: local in the schedule's zone
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def _rrule_text(event: icalendar.Event, name: str) -> str:
    rule = event.get("RRULE")
    if rule is None:
        return ""
    if isinstance(rule, list):
        raise IcsError(f"{name}: more than one RRULE; give one rule per event")
    if isinstance(rule, vRecur):
        return bytes(rule.to_ical()).decode("utf-8")  # type: ignore[no-untyped-call]
    return str(rule)  # icalendar keeps a rule it cannot parse as text; we report it


def _exdates(event: icalendar.Event, zone: ZoneInfo, name: str) -> list[datetime]:
    found = event.get("EXDATE")
    if found is None:
        return []
    groups = found if isinstance(found, list) else [found]
    result: list[datetime] = []
    for group in groups:
        for value in getattr(group, "dts", []):
            if value.params.get("TZID") is None and "TZID" in group.params:
                value.params["TZID"] = group.params["TZID"]
            result.append(_local_time(value, zone, f"{name}: EXDATE"))
    return result


def _medicines(calendar: icalendar.Calendar, reminders: list[ReminderSpec]) -> list[Medicine]:
    declared = calendar.get("X-HOMECARE-MEDICINES")
    if declared:
        try:
            data = json.loads(str(declared))
            return [Medicine.model_validate(item) for item in data]
        except (ValueError, TypeError) as error:
            raise IcsError(f"calendar: X-HOMECARE-MEDICINES is not a valid list: {error}") from None
    medicines: dict[str, Medicine] = {}
    for reminder in reminders:
        key = reminder.medicine.casefold()
        if reminder.medicine and key not in medicines:
            medicines[key] = Medicine(name=reminder.medicine, dose=reminder.dose)
    return list(medicines.values())


def _reminder_id(uid: str) -> str:
    """A UID as a reminder id: characters an id may not hold become '-'."""
    cleaned = _ID_CHARACTERS.sub("-", uid)[:128]
    if not re.match(REMINDER_ID_PATTERN, cleaned):
        cleaned = f"r{cleaned}"[:128]
    return cleaned


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _zone(name: str, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise IcsError(
            f"{where}: unknown time zone {name!r} (use an IANA name such as 'Europe/Berlin')"
        ) from None


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
