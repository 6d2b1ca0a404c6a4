"""Residents' reminder schedules, the outcomes robots report, adherence, and what was sent.

A schedule (`reminders.model.ReminderSchedule`) is kept whole, as JSON, with a
`version` that grows on every change. Versions come from one sequence over all
residents, so a robot handed from one resident to the next still sees its
`cfg/reminders` version grow. A change is audited by field name only: medicines
are health data, and the audit log outlives an erasure (see `fleet.store.audit`).

Outcomes arrive from the robots (`reminder.outcome` events, QoS 1, so possibly
twice); each is kept once per robot and `event_id`, and linked to the resident
whose rental of that robot was active when the event happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlite_utils
from dateutil.rrule import rrulestr

from fleet.store import audit
from fleet.store.common import FieldProblem, InvalidFieldsError, write_transaction
from fleet.store.residents import get_resident
from reminders.model import ReminderOutcomeEvent, ReminderSchedule, ReminderSpec

OUTCOMES = ("taken", "snoozed", "missed")
MAX_ADHERENCE_DAYS = 366


@dataclass(frozen=True)
class StoredSchedule:
    resident_id: int
    version: int  # 0: never set (an empty schedule)
    schedule: ReminderSchedule
    updated_at: float | None
    updated_by: int | None


ScheduleProblem = FieldProblem


class InvalidScheduleError(InvalidFieldsError):
    """A schedule the store refuses, naming every problem."""


# schedules


def get_schedule(db: sqlite_utils.Database, agency_id: int, resident_id: int) -> StoredSchedule:
    """The resident's schedule (empty, version 0, if none was set); 404 if not the agency's."""
    get_resident(db, agency_id, resident_id)
    row = db.execute(
        "SELECT version, schedule, updated_at, updated_by FROM reminder_schedules"
        " WHERE agency_id = ? AND resident_id = ?",
        (agency_id, resident_id),
    ).fetchone()
    if row is None:
        return StoredSchedule(resident_id, 0, ReminderSchedule(), None, None)
    return StoredSchedule(
        resident_id, row[0], ReminderSchedule.model_validate_json(row[1]), row[2], row[3]
    )


def put_schedule(
    db: sqlite_utils.Database,
    agency_id: int,
    resident_id: int,
    schedule: ReminderSchedule,
    *,
    user_id: int | None,
    now: float,
) -> tuple[StoredSchedule, bool]:
    """Replace the resident's schedule after `check_schedule`; (stored, changed).

    Raises `InvalidScheduleError` naming every problem; an identical schedule is not
    written again (its version stays).
    """
    with write_transaction(db):
        current = get_schedule(db, agency_id, resident_id)
        problems = check_schedule(schedule, now, previous=current.schedule)
        if problems:
            raise InvalidScheduleError(problems)
        if current.version and current.schedule == schedule:
            return current, False
        version = _next_version(db)
        db.execute(
            "INSERT INTO reminder_schedules (resident_id, agency_id, version, schedule,"
            " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (resident_id)"
            " DO UPDATE SET version = excluded.version, schedule = excluded.schedule,"
            " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            (resident_id, agency_id, version, schedule.model_dump_json(), now, user_id),
        )
        changed = _changed_parts(current.schedule, schedule)
        audit.record(
            db,
            agency_id,
            user_id=user_id,
            action="update_reminders",
            object_type="resident",
            object_id=resident_id,
            # Names only: which parts changed, never the medicines themselves.
            changes={**audit.field_names(changed), "version": [current.version, version]},
            now=now,
        )
    return StoredSchedule(resident_id, version, schedule, now, user_id), True


def _next_version(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT COALESCE(MAX(version), 0) FROM reminder_schedules").fetchone()
    return int(row[0]) + 1


def _changed_parts(old: ReminderSchedule, new: ReminderSchedule) -> list[str]:
    parts = ("timezone", "reminders", "medicines")
    return [name for name in parts if getattr(old, name) != getattr(new, name)]


def check_schedule(
    schedule: ReminderSchedule, now: float, *, previous: ReminderSchedule | None = None
) -> list[ScheduleProblem]:
    """What the model alone cannot check: RRULEs that expand, nothing new entirely in the
    past, medicines that the schedule's list knows.

    A reminder kept unchanged from `previous` is not refused for being past: a
    caregiver editing another line must not have to delete yesterday's appointment.
    """
    problems: list[ScheduleProblem] = []
    kept = list(previous.reminders) if previous is not None else []
    now_local = datetime.fromtimestamp(now, schedule.zone).replace(tzinfo=None)
    known = _medicine_names(schedule)
    for index, reminder in enumerate(schedule.reminders):
        where: tuple[str | int, ...] = ("reminders", index)
        if reminder.rrule:
            try:
                rule = expand_rule(reminder)
            except ValueError as error:
                problems.append(ScheduleProblem((*where, "rrule"), f"invalid RRULE: {error}"))
                continue
            past = rule.after(now_local, inc=True) is None
            message = "every occurrence of this rule is in the past"
        else:
            past = reminder.start < now_local
            message = f"starts in the past ({reminder.start.isoformat()} in {schedule.timezone})"
        if past and reminder.active and reminder not in kept:
            problems.append(ScheduleProblem((*where, "start"), message))
        if reminder.kind == "medication" and known and reminder.medicine.casefold() not in known:
            problems.append(
                ScheduleProblem(
                    (*where, "medicine"),
                    f"unknown medicine {reminder.medicine!r}: add it to the schedule's medicines",
                )
            )
    return problems


def expand_rule(reminder: ReminderSpec) -> Any:
    """The reminder's RRULE as a dateutil rule over local wall-clock times; ValueError if bad.

    `start` is a local time without offset, so the rule is expanded without one; an
    UNTIL in UTC (what RFC 5545 asks for when DTSTART has a time zone) is taken as is.
    """
    text = reminder.rrule.strip()
    if text.upper().startswith("RRULE:"):
        raise ValueError("give the rule without the 'RRULE:' prefix")
    try:
        return rrulestr(f"RRULE:{text}", dtstart=reminder.start, forceset=False)
    except ValueError as naive_error:
        try:
            rule = rrulestr(f"RRULE:{text}", dtstart=reminder.start.replace(tzinfo=UTC))
        except ValueError:
            raise ValueError(str(naive_error) or "not an RFC 5545 rule") from None
        return _NaiveView(rule)
    except (TypeError, KeyError, IndexError) as error:  # dateutil's parser on odd input
        raise ValueError(f"not an RFC 5545 rule ({error})") from None


class _NaiveView:
    """A rule expanded with an aware start, asked with naive times (as local wall clock)."""

    def __init__(self, rule: Any) -> None:
        self.rule = rule

    def after(self, moment: datetime, inc: bool = False) -> datetime | None:
        found = self.rule.after(moment.replace(tzinfo=UTC), inc=inc)
        return None if found is None else found.replace(tzinfo=None)


def _medicine_names(schedule: ReminderSchedule) -> set[str]:
    return {
        name.casefold()
        for medicine in schedule.medicines
        for name in (medicine.name, *medicine.aliases)
    }


# outcomes (service side: keyed by the robot the broker authenticated)


@dataclass(frozen=True)
class StoredOutcome:
    created: bool
    resident_id: int | None


def record_outcome(
    db: sqlite_utils.Database, robot_id: str, event: ReminderOutcomeEvent, now: float
) -> StoredOutcome:
    """Keep one outcome once (per robot and event_id), linked through the robot's rental."""
    with write_transaction(db):
        # The rental active when it happened; else (a robot clock behind the fleet's, a
        # simulated day) the one active now: the robot was wiped between two residents.
        rental = _rental_at(db, robot_id, event.ts) or _rental_at(db, robot_id, now)
        rental_id, agency_id, resident_id = rental if rental is not None else (None, None, None)
        cursor = db.execute(
            "INSERT INTO reminder_outcomes (robot_id, event_id, agency_id, resident_id,"
            " rental_id, reminder_id, occurrence_id, kind, title, medicine, outcome, due,"
            " due_ts, ts, prompts, reason, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (robot_id, event_id) DO NOTHING",
            (
                robot_id, event.event_id, agency_id, resident_id, rental_id, event.reminder_id,
                event.occurrence_id, event.kind, event.title, event.medicine, event.outcome,
                event.due.isoformat(), event.due.timestamp(), event.ts, event.prompts,
                event.reason, now,
            ),
        )  # fmt: skip
    return StoredOutcome(created=cursor.rowcount == 1, resident_id=resident_id)


def _rental_at(db: sqlite_utils.Database, robot_id: str, ts: float) -> tuple[int, int, int] | None:
    row = db.execute(
        "SELECT id, agency_id, resident_id FROM rentals WHERE robot_id = ?"
        " AND handed_over_at IS NOT NULL AND handed_over_at <= ?"
        " AND (returned_at IS NULL OR returned_at > ?) ORDER BY handed_over_at DESC LIMIT 1",
        (robot_id, ts, ts),
    ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]), int(row[2]))


# adherence


@dataclass(frozen=True)
class Counts:
    taken: int = 0
    snoozed: int = 0
    missed: int = 0

    @property
    def taken_ratio(self) -> float | None:
        """Taken among the occurrences that ended (taken or missed); a snooze is not an end."""
        ended = self.taken + self.missed
        return None if ended == 0 else round(self.taken / ended, 4)

    def plus(self, outcome: str) -> Counts:
        values = {name: getattr(self, name) for name in OUTCOMES}
        values[outcome] += 1
        return Counts(**values)


@dataclass(frozen=True)
class DayAdherence:
    day: date
    counts: Counts


@dataclass(frozen=True)
class ReminderAdherence:
    reminder_id: str
    title: str
    kind: str
    counts: Counts


@dataclass(frozen=True)
class Adherence:
    timezone: str
    first_day: date
    last_day: date
    days: list[DayAdherence]  # every day of the window, oldest first, zeros included
    reminders: list[ReminderAdherence]
    total: Counts


def adherence(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, days: int, now: float
) -> Adherence:
    """Outcomes of the last `days` days (today included), by the day they were due in the
    resident's time zone, and by reminder."""
    if not 1 <= days <= MAX_ADHERENCE_DAYS:
        raise ValueError(f"days must be 1-{MAX_ADHERENCE_DAYS}")
    stored = get_schedule(db, agency_id, resident_id)
    zone = stored.schedule.zone
    last_day = datetime.fromtimestamp(now, zone).date()
    first_day = last_day - timedelta(days=days - 1)
    start = datetime.combine(first_day, time(), zone).timestamp()
    end = datetime.combine(last_day + timedelta(days=1), time(), zone).timestamp()
    rows = db.execute(
        "SELECT reminder_id, kind, title, outcome, due_ts FROM reminder_outcomes"
        " WHERE agency_id = ? AND resident_id = ? AND due_ts >= ? AND due_ts < ?"
        " ORDER BY due_ts, id",
        (agency_id, resident_id, start, end),
    ).fetchall()
    per_day = {first_day + timedelta(days=n): Counts() for n in range(days)}
    titles = {r.id: (r.title, r.kind) for r in stored.schedule.reminders}
    per_reminder: dict[str, Counts] = {}
    total = Counts()
    for reminder_id, kind, title, outcome, due_ts in rows:
        day = datetime.fromtimestamp(due_ts, zone).date()
        if day in per_day:
            per_day[day] = per_day[day].plus(outcome)
        per_reminder[reminder_id] = per_reminder.get(reminder_id, Counts()).plus(outcome)
        titles.setdefault(reminder_id, (title or reminder_id, kind))
        total = total.plus(outcome)
    return Adherence(
        timezone=stored.schedule.timezone,
        first_day=first_day,
        last_day=last_day,
        days=[DayAdherence(day, counts) for day, counts in per_day.items()],
        reminders=[
            ReminderAdherence(rid, titles[rid][0], titles[rid][1], counts)
            for rid, counts in sorted(per_reminder.items(), key=lambda item: titles[item[0]][0])
        ],
        total=total,
    )


# what each robot was sent (service side)


@dataclass(frozen=True)
class Assignment:
    """The schedule a robot should hold now: its active rental's resident's, if any."""

    robot_id: str
    resident_id: int | None
    version: int  # 0: nothing to hold
    schedule: ReminderSchedule | None


@dataclass(frozen=True)
class Publication:
    robot_id: str
    resident_id: int
    version: int


def assignment(db: sqlite_utils.Database, robot_id: str) -> Assignment:
    row = db.execute(
        "SELECT r.resident_id, s.version, s.schedule FROM rentals r"
        " JOIN residents p ON p.id = r.resident_id AND p.erased_at IS NULL"
        " LEFT JOIN reminder_schedules s ON s.resident_id = r.resident_id"
        " WHERE r.robot_id = ? AND r.status = 'active'",
        (robot_id,),
    ).fetchone()
    if row is None:
        return Assignment(robot_id, None, 0, None)
    if row[1] is None:
        return Assignment(robot_id, int(row[0]), 0, None)
    return Assignment(robot_id, int(row[0]), int(row[1]),
                      ReminderSchedule.model_validate_json(row[2]))  # fmt: skip


def robots_of_resident(db: sqlite_utils.Database, resident_id: int) -> list[str]:
    rows = db.execute(
        "SELECT robot_id FROM rentals WHERE resident_id = ? AND status = 'active'",
        (resident_id,),
    ).fetchall()
    return [str(row[0]) for row in rows]


def robots_to_sync(db: sqlite_utils.Database) -> list[str]:
    """Robots that hold, or should hold, a schedule."""
    rows = db.execute(
        "SELECT robot_id FROM rentals WHERE status = 'active'"
        " UNION SELECT robot_id FROM reminder_publications ORDER BY 1"
    ).fetchall()
    return [str(row[0]) for row in rows]


def publication(db: sqlite_utils.Database, robot_id: str) -> Publication | None:
    row = db.execute(
        "SELECT resident_id, version FROM reminder_publications WHERE robot_id = ?", (robot_id,)
    ).fetchone()
    return None if row is None else Publication(robot_id, int(row[0]), int(row[1]))


def mark_published(
    db: sqlite_utils.Database, robot_id: str, resident_id: int, version: int, now: float
) -> None:
    db.execute(
        "INSERT INTO reminder_publications (robot_id, resident_id, version, published_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (robot_id) DO UPDATE SET"
        " resident_id = excluded.resident_id, version = excluded.version,"
        " published_at = excluded.published_at",
        (robot_id, resident_id, version, now),
    )


def forget_published(db: sqlite_utils.Database, robot_id: str) -> None:
    db.execute("DELETE FROM reminder_publications WHERE robot_id = ?", (robot_id,))


def outcome_rows(db: sqlite_utils.Database, robot_id: str) -> list[dict[str, Any]]:
    """Every stored outcome of a robot (tests and support)."""
    cursor = db.execute(
        "SELECT event_id, resident_id, reminder_id, outcome, due FROM reminder_outcomes"
        " WHERE robot_id = ? ORDER BY id",
        (robot_id,),
    )
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
