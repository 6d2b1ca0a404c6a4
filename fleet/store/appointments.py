"""Appointments: an agency's specialists and their free slots, residents' bookings (by a
social worker or by voice), ratings of the service after a visit, and complaints.

Booking takes a free slot in one write transaction: the unique index on a slot's
non-cancelled appointment makes a double booking impossible even between two
processes. The same transaction adds an `appointment` reminder (once, at the slot's
start in the resident's time zone) to the resident's reminder schedule, which gives
the schedule its next version; cancelling removes it. Callers then send the changed
`cfg/reminders` and `cfg/appointments` (`fleet.config_sync`).

Times are stored as UTC epoch seconds. Ratings are grouped by calendar month in UTC.
Complaints must be answered within 15 days (`ANSWER_DAYS`); the dashboard shows which
are overdue.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

import sqlite_utils

from fleet.store import audit
from fleet.store.benefits import get_catalog, resident_at
from fleet.store.common import ConflictError, InvalidChangeError, NotFoundError, write_transaction
from fleet.store.reminders import get_schedule
from fleet.store.residents import get_resident
from reminders.model import ReminderSchedule, ReminderSpec

Mode = Literal["in_person", "video"]
Status = Literal["booked", "cancelled", "done", "no_show"]
Ground = Literal["missed_deadline", "refusal", "extra_documents_or_fees", "rude_treatment", "other"]
ComplaintStatus = Literal["open", "answered", "overdue"]
Source = Literal["voice", "staff"]
CRITERIA = ("time_to_service", "waiting_time", "courtesy", "comfort", "information")
GROUNDS: tuple[str, ...] = get_args(Ground)
ANSWER_DAYS = 15
FREE_SLOT_DAYS = 14
MAX_FREE_SLOTS = 20
PAST_APPOINTMENT_DAYS = 30
MAX_SERIES = 200
DAY = 86400.0


@dataclass(frozen=True)
class Specialist:
    id: int
    name: str
    role: str
    benefits_agency_id: str | None
    active: bool
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Slot:
    id: int
    specialist_id: int
    starts_at: float
    duration_min: int
    mode: str
    place: str
    booked: bool


@dataclass(frozen=True)
class Appointment:
    id: int
    resident_id: int
    slot_id: int
    specialist_id: int
    specialist_name: str
    specialist_role: str
    starts_at: float
    duration_min: int
    mode: str
    place: str
    status: str
    source: str
    reminder_id: str
    rated: bool
    created_at: float


@dataclass(frozen=True)
class Refusal:
    id: int
    resident_id: int
    robot_id: str
    slot_id: str
    reason: str
    ts: float


@dataclass(frozen=True)
class Complaint:
    id: int
    resident_id: int | None
    resident_name: str
    appointment_id: int | None
    specialist_id: int | None
    ground: str
    text: str
    source: str
    filed_at: float
    due_at: float
    answer: str
    answered_at: float | None
    status: str


@dataclass(frozen=True)
class MonthRatings:
    month: str  # YYYY-MM (UTC)
    count: int
    averages: dict[str, float | None]  # criterion -> mean of the scores given (None: none)


# specialists


_SPECIALIST = ("SELECT id, name, role, benefits_agency_id, active, created_at, updated_at"
               " FROM specialists")  # fmt: skip


def _specialist(row: tuple[Any, ...]) -> Specialist:
    return Specialist(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6])


def list_specialists(
    db: sqlite_utils.Database, agency_id: int, *, active_only: bool = False
) -> list[Specialist]:
    condition = " AND active = 1" if active_only else ""
    rows = db.execute(
        f"{_SPECIALIST} WHERE agency_id = ?{condition} ORDER BY name, id", (agency_id,)
    ).fetchall()
    return [_specialist(row) for row in rows]


def get_specialist(db: sqlite_utils.Database, agency_id: int, specialist_id: int) -> Specialist:
    row = db.execute(
        f"{_SPECIALIST} WHERE agency_id = ? AND id = ?", (agency_id, specialist_id)
    ).fetchone()
    if row is None:
        raise NotFoundError("specialist", specialist_id)
    return _specialist(row)


def create_specialist(
    db: sqlite_utils.Database, agency_id: int, fields: Mapping[str, Any], *,
    user_id: int | None, now: float,
) -> Specialist:  # fmt: skip
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO specialists (agency_id, name, role, benefits_agency_id, active,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (agency_id, fields["name"], fields["role"], fields.get("benefits_agency_id"),
             int(fields.get("active", True)), now, now),
        )  # fmt: skip
        specialist_id = int(cursor.lastrowid or 0)
        _audit(db, agency_id, user_id, "specialist.create", {"specialist": [None, specialist_id]},
               now)  # fmt: skip
    return get_specialist(db, agency_id, specialist_id)


def update_specialist(
    db: sqlite_utils.Database, agency_id: int, specialist_id: int, fields: Mapping[str, Any], *,
    user_id: int | None, now: float,
) -> Specialist:  # fmt: skip
    allowed = {"name", "role", "benefits_agency_id", "active"}
    values = {key: value for key, value in fields.items() if key in allowed}
    with write_transaction(db):
        current = get_specialist(db, agency_id, specialist_id)
        if values:
            assignments = ", ".join(f"{key} = ?" for key in values)
            db.execute(
                f"UPDATE specialists SET {assignments}, updated_at = ? WHERE id = ?",
                (*[int(v) if isinstance(v, bool) else v for v in values.values()], now,
                 specialist_id),
            )  # fmt: skip
            old = {key: getattr(current, key) for key in values}
            _audit(db, agency_id, user_id, "specialist.update",
                   {"specialist": [specialist_id, specialist_id], **audit.diff(old, values)},
                   now)  # fmt: skip
    return get_specialist(db, agency_id, specialist_id)


def delete_specialist(
    db: sqlite_utils.Database, agency_id: int, specialist_id: int, *, user_id: int | None,
    now: float,
) -> None:  # fmt: skip
    """Remove a specialist who never had an appointment (else: deactivate them)."""
    with write_transaction(db):
        get_specialist(db, agency_id, specialist_id)
        used = db.execute(
            "SELECT COUNT(*) FROM appointments WHERE specialist_id = ?", (specialist_id,)
        ).fetchone()[0]
        if used:
            raise ConflictError(
                f"specialist {specialist_id} has {used} appointment(s) on record; "
                "set active to false instead of deleting"
            )
        db.execute("DELETE FROM appointment_slots WHERE specialist_id = ?", (specialist_id,))
        db.execute("DELETE FROM specialists WHERE id = ?", (specialist_id,))
        _audit(db, agency_id, user_id, "specialist.delete", {"specialist": [specialist_id, None]},
               now)  # fmt: skip


# slots


_SLOT = (
    "SELECT s.id, s.specialist_id, s.starts_at, s.duration_min, s.mode, s.place,"
    " EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status != 'cancelled')"
    " FROM appointment_slots s"
)


def _slot(row: tuple[Any, ...]) -> Slot:
    return Slot(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]))


def list_slots(
    db: sqlite_utils.Database, agency_id: int, specialist_id: int, *, since: float
) -> list[Slot]:
    get_specialist(db, agency_id, specialist_id)
    rows = db.execute(
        f"{_SLOT} WHERE s.agency_id = ? AND s.specialist_id = ? AND s.starts_at >= ?"
        " ORDER BY s.starts_at, s.id LIMIT 500",
        (agency_id, specialist_id, since),
    ).fetchall()
    return [_slot(row) for row in rows]


def series_starts(first: datetime, weeks: int) -> list[datetime]:
    """A weekly series: the same local wall-clock time each week (DST-safe)."""
    if not 1 <= weeks <= MAX_SERIES:
        raise InvalidChangeError(f"weeks must be 1-{MAX_SERIES}")
    zone = first.tzinfo
    local = first.replace(tzinfo=None)
    return [(local + timedelta(weeks=n)).replace(tzinfo=zone) for n in range(weeks)]


def create_slots(
    db: sqlite_utils.Database, agency_id: int, specialist_id: int, starts: Iterable[datetime], *,
    duration_min: int, mode: Mode, place: str, user_id: int | None, now: float,
) -> list[Slot]:  # fmt: skip
    """Add slots (all or none); refused for a start in the past or one overlapping another
    slot of the same specialist."""
    moments = sorted(start.timestamp() for start in starts)
    length = duration_min * 60.0
    with write_transaction(db):
        specialist = get_specialist(db, agency_id, specialist_id)
        if not specialist.active:
            raise ConflictError(f"specialist {specialist_id} is not active")
        for index, moment in enumerate(moments):
            if moment < now:
                raise InvalidChangeError(f"slot {_iso(moment)} starts in the past")
            if index and moment < moments[index - 1] + length:
                raise InvalidChangeError(f"slots {_iso(moments[index - 1])} and {_iso(moment)}"
                                         " overlap")  # fmt: skip
            clash = db.execute(
                "SELECT starts_at FROM appointment_slots WHERE specialist_id = ?"
                " AND starts_at < ? AND starts_at + duration_min * 60 > ? LIMIT 1",
                (specialist_id, moment + length, moment),
            ).fetchone()
            if clash is not None:
                raise ConflictError(
                    f"slot {_iso(moment)} overlaps the specialist's slot at {_iso(clash[0])}"
                )
        ids = [
            int(db.execute(
                "INSERT INTO appointment_slots (agency_id, specialist_id, starts_at,"
                " duration_min, mode, place, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (agency_id, specialist_id, moment, duration_min, mode, place, now),
            ).lastrowid or 0)
            for moment in moments
        ]  # fmt: skip
        _audit(db, agency_id, user_id, "slots.create",
               {"specialist": [specialist_id, specialist_id], "slots": [0, len(ids)]},
               now)  # fmt: skip
    return [get_slot(db, agency_id, slot_id) for slot_id in ids]


def get_slot(db: sqlite_utils.Database, agency_id: int, slot_id: int) -> Slot:
    row = db.execute(f"{_SLOT} WHERE s.agency_id = ? AND s.id = ?", (agency_id, slot_id)).fetchone()
    if row is None:
        raise NotFoundError("slot", slot_id)
    return _slot(row)


def delete_slot(
    db: sqlite_utils.Database, agency_id: int, specialist_id: int, slot_id: int, *,
    user_id: int | None, now: float,
) -> None:  # fmt: skip
    with write_transaction(db):
        slot = get_slot(db, agency_id, slot_id)  # first: the 404 names what the path ends with
        get_specialist(db, agency_id, specialist_id)
        if slot.specialist_id != specialist_id:
            raise NotFoundError("slot", slot_id)
        if slot.booked:
            raise ConflictError(f"slot {slot_id} is booked; cancel the appointment first")
        db.execute("DELETE FROM appointment_slots WHERE id = ?", (slot_id,))
        _audit(db, agency_id, user_id, "slots.delete", {"slot": [slot_id, None]}, now)


def free_slots(
    db: sqlite_utils.Database, agency_id: int, now: float, *,
    days: int = FREE_SLOT_DAYS, limit: int = MAX_FREE_SLOTS,
) -> list[Slot]:  # fmt: skip
    """Free slots of the agency's active specialists, soonest first."""
    rows = db.execute(
        f"{_SLOT} JOIN specialists p ON p.id = s.specialist_id AND p.active = 1"
        " WHERE s.agency_id = ? AND s.starts_at > ? AND s.starts_at < ?"
        " AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id"
        " AND a.status != 'cancelled') ORDER BY s.starts_at, s.id LIMIT ?",
        (agency_id, now, now + days * DAY, limit),
    ).fetchall()
    return [_slot(row) for row in rows]


# appointments


_APPOINTMENT = (
    "SELECT a.id, a.resident_id, a.slot_id, a.specialist_id, p.name, p.role, a.starts_at,"
    " a.duration_min, a.mode, a.place, a.status, a.source, a.reminder_id,"
    " EXISTS (SELECT 1 FROM service_ratings r WHERE r.appointment_id = a.id), a.created_at"
    " FROM appointments a JOIN specialists p ON p.id = a.specialist_id"
)


def _appointment(row: tuple[Any, ...]) -> Appointment:
    return Appointment(
        id=row[0], resident_id=row[1], slot_id=row[2], specialist_id=row[3],
        specialist_name=row[4], specialist_role=row[5], starts_at=row[6], duration_min=row[7],
        mode=row[8], place=row[9], status=row[10], source=row[11], reminder_id=row[12],
        rated=bool(row[13]), created_at=row[14],
    )  # fmt: skip


def get_appointment(db: sqlite_utils.Database, agency_id: int, appointment_id: int) -> Appointment:
    row = db.execute(
        f"{_APPOINTMENT} JOIN residents r ON r.id = a.resident_id AND r.erased_at IS NULL"
        " WHERE a.agency_id = ? AND a.id = ?",
        (agency_id, appointment_id),
    ).fetchone()
    if row is None:
        raise NotFoundError("appointment", appointment_id)
    return _appointment(row)


def list_appointments(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, *, since: float | None = None
) -> list[Appointment]:
    get_resident(db, agency_id, resident_id)
    rows = db.execute(
        f"{_APPOINTMENT} WHERE a.agency_id = ? AND a.resident_id = ? AND a.starts_at >= ?"
        " ORDER BY a.starts_at DESC, a.id DESC LIMIT 500",
        (agency_id, resident_id, since if since is not None else 0.0),
    ).fetchall()
    return [_appointment(row) for row in rows]


def book(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, slot_id: int, *,
    source: Source, user_id: int | None, robot_id: str | None, now: float,
) -> Appointment:  # fmt: skip
    """Book a free slot for the resident and add its reminder; ConflictError if taken."""
    with write_transaction(db):
        appointment_id = _book(db, agency_id, resident_id, slot_id, source=source,
                               user_id=user_id, robot_id=robot_id, now=now)  # fmt: skip
    return get_appointment(db, agency_id, appointment_id)


def _book(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, slot_id: int, *,
    source: Source, user_id: int | None, robot_id: str | None, now: float,
) -> int:  # fmt: skip
    resident = get_resident(db, agency_id, resident_id)
    slot = get_slot(db, agency_id, slot_id)
    specialist = get_specialist(db, agency_id, slot.specialist_id)
    if slot.booked:
        raise ConflictError(f"slot {slot_id} is already booked")
    if slot.starts_at <= now:
        raise ConflictError(f"slot {slot_id} has already started")
    if not specialist.active:
        raise ConflictError(f"specialist {specialist.id} is not active")
    cursor = db.execute(
        "INSERT INTO appointments (agency_id, resident_id, slot_id, specialist_id, starts_at,"
        " duration_min, mode, place, status, source, robot_id, booked_by, reminder_id,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'booked', ?, ?, ?, '', ?, ?)",
        (agency_id, resident_id, slot_id, specialist.id, slot.starts_at, slot.duration_min,
         slot.mode, slot.place, source, robot_id, user_id, now, now),
    )  # fmt: skip
    appointment_id = int(cursor.lastrowid or 0)
    reminder_id = f"appointment-{appointment_id}"
    db.execute(
        "UPDATE appointments SET reminder_id = ? WHERE id = ?", (reminder_id, appointment_id)
    )
    schedule = get_schedule(db, agency_id, resident_id).schedule
    local_start = datetime.fromtimestamp(slot.starts_at, schedule.zone).replace(tzinfo=None)
    reminder = ReminderSpec(
        id=reminder_id,
        kind="appointment",
        title=_reminder_title(resident.language, specialist)[:200],
        start=local_start,
        notes=slot.place[:1000],
    )
    others = [r for r in schedule.reminders if r.id != reminder_id]
    _write_schedule(db, agency_id, resident_id, schedule, [*others, reminder],
                    user_id=user_id, now=now)  # fmt: skip
    _audit(db, agency_id, user_id, "appointment.book",
           {"appointment": [None, appointment_id], "slot": [None, slot_id]}, now,
           resident_id=resident_id)  # fmt: skip
    return appointment_id


def _reminder_title(language: str, specialist: Specialist) -> str:
    if language == "en":
        return f"Appointment with {specialist.name} ({specialist.role})"
    return f"Приём: {specialist.name} ({specialist.role})"


def set_status(
    db: sqlite_utils.Database, agency_id: int, appointment_id: int, status: Status, *,
    user_id: int | None, now: float,
) -> Appointment:  # fmt: skip
    """Cancel (frees the slot, removes the reminder) or mark a booked appointment done or
    missed; only a booked appointment changes."""
    with write_transaction(db):
        current = get_appointment(db, agency_id, appointment_id)
        if current.status != "booked":
            raise ConflictError(f"appointment {appointment_id} is {current.status}, not booked")
        db.execute(
            "UPDATE appointments SET status = ?, updated_at = ? WHERE id = ?",
            (status, now, appointment_id),
        )
        if status == "cancelled":
            stored = get_schedule(db, agency_id, current.resident_id).schedule
            kept = [r for r in stored.reminders if r.id != current.reminder_id]
            if len(kept) != len(stored.reminders):
                _write_schedule(db, agency_id, current.resident_id, stored, kept,
                                user_id=user_id, now=now)  # fmt: skip
        _audit(db, agency_id, user_id, f"appointment.{status}",
               {"appointment": [appointment_id, appointment_id],
                "status": [current.status, status]}, now,
               resident_id=current.resident_id)  # fmt: skip
    return get_appointment(db, agency_id, appointment_id)


def _write_schedule(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, old: ReminderSchedule,
    reminders: list[ReminderSpec], *, user_id: int | None, now: float,
) -> None:  # fmt: skip
    """The resident's schedule with `reminders`, as the next version, inside the caller's
    transaction (`fleet.store.reminders.put_schedule` opens its own)."""
    schedule = ReminderSchedule(timezone=old.timezone, reminders=reminders,
                                medicines=old.medicines)  # fmt: skip
    version = int(db.execute(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM reminder_schedules").fetchone()[0])  # fmt: skip
    db.execute(
        "INSERT INTO reminder_schedules (resident_id, agency_id, version, schedule,"
        " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (resident_id)"
        " DO UPDATE SET version = excluded.version, schedule = excluded.schedule,"
        " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        (resident_id, agency_id, version, schedule.model_dump_json(), now, user_id),
    )
    audit.record(db, agency_id, user_id=user_id, action="update_reminders",
                 object_type="resident", object_id=resident_id,
                 changes={"reminders": None, "version": [None, version]}, now=now)  # fmt: skip


def list_refusals(db: sqlite_utils.Database, agency_id: int, resident_id: int) -> list[Refusal]:
    get_resident(db, agency_id, resident_id)
    rows = db.execute(
        "SELECT id, resident_id, robot_id, slot_id, reason, ts FROM appointment_refusals"
        " WHERE agency_id = ? AND resident_id = ? ORDER BY id DESC LIMIT 100",
        (agency_id, resident_id),
    ).fetchall()
    return [Refusal(*row) for row in rows]


# ratings


def ratings_by_month(
    db: sqlite_utils.Database, agency_id: int, specialist_id: int, *, months: int, now: float
) -> list[MonthRatings]:
    """Every month of the last `months` (this one included, UTC), oldest first."""
    get_specialist(db, agency_id, specialist_id)
    if not 1 <= months <= 120:
        raise InvalidChangeError("months must be 1-120")
    today = datetime.fromtimestamp(now, UTC)
    first = _month_start(today.year, today.month - (months - 1))
    averages = ", ".join(f"AVG({name})" for name in CRITERIA)
    rows = db.execute(
        f"SELECT strftime('%Y-%m', rated_at, 'unixepoch') AS month, COUNT(*), {averages}"
        " FROM service_ratings WHERE agency_id = ? AND specialist_id = ? AND rated_at >= ?"
        " GROUP BY month",
        (agency_id, specialist_id, first.timestamp()),
    ).fetchall()
    found = {row[0]: row for row in rows}
    result = []
    for n in range(months):
        start = _month_start(first.year, first.month + n)
        key = start.strftime("%Y-%m")
        row = found.get(key)
        result.append(MonthRatings(
            key, int(row[1]) if row else 0,
            {name: (round(row[2 + i], 2) if row and row[2 + i] is not None else None)
             for i, name in enumerate(CRITERIA)},
        ))  # fmt: skip
    return result


@dataclass(frozen=True)
class RatingComment:
    rated_at: float
    text: str


def recent_comments(
    db: sqlite_utils.Database, agency_id: int, specialist_id: int, *, limit: int = 20
) -> list[RatingComment]:
    """What residents added to their scores, newest first (erased residents' are gone)."""
    get_specialist(db, agency_id, specialist_id)
    rows = db.execute(
        "SELECT rated_at, comment FROM service_ratings WHERE agency_id = ? AND specialist_id = ?"
        " AND comment != '' ORDER BY rated_at DESC, id DESC LIMIT ?",
        (agency_id, specialist_id, limit),
    ).fetchall()
    return [RatingComment(row[0], row[1]) for row in rows]


def _month_start(year: int, month: int) -> datetime:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=UTC)


# complaints


_COMPLAINT = (
    "SELECT c.id, c.resident_id, COALESCE(r.full_name, ''), c.appointment_id, c.specialist_id,"
    " c.ground, c.text, c.source, c.filed_at, c.due_at, c.answer, c.answered_at"
    " FROM complaints c LEFT JOIN residents r ON r.id = c.resident_id"
)


def _complaint(row: tuple[Any, ...], now: float) -> Complaint:
    status = "answered" if row[11] is not None else "overdue" if now > row[9] else "open"
    return Complaint(
        id=row[0], resident_id=row[1], resident_name=row[2], appointment_id=row[3],
        specialist_id=row[4], ground=row[5], text=row[6], source=row[7], filed_at=row[8],
        due_at=row[9], answer=row[10], answered_at=row[11], status=status,
    )  # fmt: skip


def list_complaints(
    db: sqlite_utils.Database, agency_id: int, *, status: ComplaintStatus | None, now: float
) -> list[Complaint]:
    """Unanswered first (soonest due first), then answered (newest first)."""
    conditions = {
        None: "",
        "answered": " AND c.answered_at IS NOT NULL",
        "open": " AND c.answered_at IS NULL AND c.due_at >= ?",
        "overdue": " AND c.answered_at IS NULL AND c.due_at < ?",
    }
    params: tuple[Any, ...] = (agency_id, now) if status in ("open", "overdue") else (agency_id,)
    rows = db.execute(
        f"{_COMPLAINT} WHERE c.agency_id = ?{conditions[status]}"
        " ORDER BY c.answered_at IS NOT NULL, CASE WHEN c.answered_at IS NULL THEN c.due_at"
        " ELSE -c.answered_at END, c.id LIMIT 500",
        params,
    ).fetchall()
    return [_complaint(row, now) for row in rows]


def get_complaint(
    db: sqlite_utils.Database, agency_id: int, complaint_id: int, now: float
) -> Complaint:
    row = db.execute(
        f"{_COMPLAINT} WHERE c.agency_id = ? AND c.id = ?", (agency_id, complaint_id)
    ).fetchone()
    if row is None:
        raise NotFoundError("complaint", complaint_id)
    return _complaint(row, now)


def file_complaint(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, *, ground: Ground, text: str,
    appointment_id: int | None, source: Source, user_id: int | None, robot_id: str | None,
    filed_at: float, now: float,
) -> int:  # fmt: skip
    with write_transaction(db):
        return _file_complaint(db, agency_id, resident_id, ground=ground, text=text,
                               appointment_id=appointment_id, source=source, user_id=user_id,
                               robot_id=robot_id, filed_at=filed_at, now=now)  # fmt: skip


def _file_complaint(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, *, ground: Ground, text: str,
    appointment_id: int | None, source: Source, user_id: int | None, robot_id: str | None,
    filed_at: float, now: float,
) -> int:  # fmt: skip
    get_resident(db, agency_id, resident_id)
    specialist_id = None
    if appointment_id is not None:
        appointment = get_appointment(db, agency_id, appointment_id)
        if appointment.resident_id != resident_id:
            raise NotFoundError("appointment", appointment_id)
        specialist_id = appointment.specialist_id
    cursor = db.execute(
        "INSERT INTO complaints (agency_id, resident_id, appointment_id, specialist_id, ground,"
        " text, source, robot_id, filed_by, filed_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, ?)",
        (agency_id, resident_id, appointment_id, specialist_id, ground, text, source, robot_id,
         user_id, filed_at, filed_at + ANSWER_DAYS * DAY),
    )  # fmt: skip
    complaint_id = int(cursor.lastrowid or 0)
    _audit(db, agency_id, user_id, "complaint.file",
           {"complaint": [None, complaint_id], "ground": [None, ground]}, now,
           resident_id=resident_id)  # fmt: skip
    return complaint_id


def answer_complaint(
    db: sqlite_utils.Database, agency_id: int, complaint_id: int, text: str, *,
    user_id: int | None, now: float,
) -> Complaint:  # fmt: skip
    with write_transaction(db):
        current = get_complaint(db, agency_id, complaint_id, now)
        if current.answered_at is not None:
            raise ConflictError(f"complaint {complaint_id} was already answered")
        db.execute(
            "UPDATE complaints SET answer = ?, answered_at = ?, answered_by = ? WHERE id = ?",
            (text, now, user_id, complaint_id),
        )
        _audit(db, agency_id, user_id, "complaint.answer",
               {"complaint": [complaint_id, complaint_id], "answer": None}, now,
               resident_id=current.resident_id)  # fmt: skip
    return get_complaint(db, agency_id, complaint_id, now)


# events from the robots (service side: keyed by the robot the broker authenticated)

EventOutcome = Literal["stored", "duplicate", "no_rental", "refused", "ignored"]


def _first_time(db: sqlite_utils.Database, robot_id: str, event_id: str, kind: str,
                now: float) -> bool:  # fmt: skip
    cursor = db.execute(
        "INSERT INTO appointment_events (robot_id, event_id, type, received_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (robot_id, event_id, kind, now),
    )
    return cursor.rowcount == 1


def book_by_voice(
    db: sqlite_utils.Database, robot_id: str, event_id: str, slot_id: str, *, ts: float,
    now: float,
) -> tuple[EventOutcome, int | None]:  # fmt: skip
    """`appointment.book`: the slot for the robot's resident, or a refusal kept for the
    dashboard (the next `cfg/appointments` shows the slot not booked)."""
    with write_transaction(db):
        owner = resident_at(db, robot_id, now)
        if owner is None:
            return "no_rental", None
        if not _first_time(db, robot_id, event_id, "appointment.book", now):
            return "duplicate", owner.resident_id
        reason = ""
        if not slot_id.isdigit():
            reason = f"slot {slot_id} not found"
        else:
            db.execute("SAVEPOINT book")
            try:
                _book(db, owner.agency_id, owner.resident_id, int(slot_id), source="voice",
                      user_id=None, robot_id=robot_id, now=now)  # fmt: skip
            except (ConflictError, NotFoundError) as error:
                db.execute("ROLLBACK TO book")
                reason = str(error)
            db.execute("RELEASE book")
        if reason:
            db.execute(
                "INSERT INTO appointment_refusals (agency_id, resident_id, robot_id, slot_id,"
                " reason, ts, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (owner.agency_id, owner.resident_id, robot_id, slot_id, reason, ts, now),
            )
            return "refused", owner.resident_id
    return "stored", owner.resident_id


def rate_by_voice(
    db: sqlite_utils.Database, robot_id: str, event_id: str, appointment_id: str, *,
    scores: Mapping[str, int], comment: str, ts: float, now: float,
) -> tuple[EventOutcome, int | None]:  # fmt: skip
    """`service.rating`: one rating per appointment of the robot's resident; a second one,
    or one for an appointment not theirs, is ignored."""
    with write_transaction(db):
        owner = resident_at(db, robot_id, ts) or resident_at(db, robot_id, now)
        if owner is None:
            return "no_rental", None
        if not _first_time(db, robot_id, event_id, "service.rating", now):
            return "duplicate", owner.resident_id
        row = db.execute(
            "SELECT specialist_id FROM appointments WHERE id = ? AND agency_id = ?"
            " AND resident_id = ?",
            (int(appointment_id) if appointment_id.isdigit() else -1, owner.agency_id,
             owner.resident_id),
        ).fetchone()  # fmt: skip
        if row is None:
            return "ignored", owner.resident_id
        cursor = db.execute(
            "INSERT INTO service_ratings (agency_id, appointment_id, specialist_id, resident_id,"
            " time_to_service, waiting_time, courtesy, comfort, information, comment, robot_id,"
            " rated_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (appointment_id) DO NOTHING",
            (owner.agency_id, int(appointment_id), row[0], owner.resident_id,
             *[scores.get(name) for name in CRITERIA], comment, robot_id, min(ts, now), now),
        )  # fmt: skip
    return ("stored" if cursor.rowcount == 1 else "ignored"), owner.resident_id


def complain_by_voice(
    db: sqlite_utils.Database, robot_id: str, event_id: str, *, ground: Ground, text: str,
    appointment_id: str | None, ts: float, now: float,
) -> tuple[EventOutcome, int | None]:  # fmt: skip
    with write_transaction(db):
        owner = resident_at(db, robot_id, ts) or resident_at(db, robot_id, now)
        if owner is None:
            return "no_rental", None
        if not _first_time(db, robot_id, event_id, "complaint.filed", now):
            return "duplicate", owner.resident_id
        linked: int | None = None
        if appointment_id is not None and appointment_id.isdigit():
            found = db.execute(
                "SELECT id FROM appointments WHERE id = ? AND resident_id = ?",
                (int(appointment_id), owner.resident_id),
            ).fetchone()
            linked = None if found is None else int(found[0])  # an unknown one: unlinked
        _file_complaint(db, owner.agency_id, owner.resident_id, ground=ground, text=text,
                        appointment_id=linked, source="voice", user_id=None, robot_id=robot_id,
                        filed_at=min(ts, now), now=now)  # fmt: skip
    return "stored", owner.resident_id


# what a robot should hold (`fleet.config_sync`)


def config_data(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, now: float
) -> dict[str, Any]:
    """`cfg/appointments` data: the agency's free slots for the next 14 days (at most 20)
    and the resident's appointments from 30 days ago on, times in the resident's zone."""
    schedule = get_schedule(db, agency_id, resident_id).schedule
    zone = schedule.zone
    specialists = {s.id: s for s in list_specialists(db, agency_id)}
    agency_names = _agency_names(db, agency_id, resident_id, specialists.values(), now)

    def common(specialist_id: int, starts_at: float, duration: int, mode: str,
               place: str) -> dict[str, Any]:  # fmt: skip
        who = specialists[specialist_id]
        return {
            "specialist": {"id": str(who.id), "name": who.name, "role": who.role},
            "agency": agency_names.get(who.benefits_agency_id, agency_names[None]),
            "starts_at": _local_iso(starts_at, zone),
            "duration_min": duration,
            "mode": mode,
            "place": place,
        }

    slots = [
        {"slot_id": str(s.id), **common(s.specialist_id, s.starts_at, s.duration_min, s.mode,
                                        s.place)}
        for s in free_slots(db, agency_id, now)
    ]  # fmt: skip
    appointments = [
        {"appointment_id": str(a.id), "slot_id": str(a.slot_id),
         **common(a.specialist_id, a.starts_at, a.duration_min, a.mode, a.place),
         "status": a.status, "rated": a.rated}
        for a in reversed(list_appointments(db, agency_id, resident_id,
                                            since=now - PAST_APPOINTMENT_DAYS * DAY))
    ]  # fmt: skip
    return {"timezone": schedule.timezone, "free_slots": slots, "appointments": appointments}


def _agency_names(
    db: sqlite_utils.Database,
    agency_id: int,
    resident_id: int,
    specialists: Iterable[Specialist],
    now: float,
) -> dict[str | None, str]:
    """Where each specialist works, as the resident hears it: the catalog agency (unit) they
    belong to, in the resident's language, else the fleet agency's own name."""
    row = db.execute("SELECT name FROM agencies WHERE id = ?", (agency_id,)).fetchone()
    names: dict[str | None, str] = {None: str(row[0])}
    if any(s.benefits_agency_id for s in specialists):
        lang = get_resident(db, agency_id, resident_id).language
        for item in get_catalog(db, agency_id, now).items("agencies"):
            name = item.get("name") or {}
            names[str(item["id"])] = str(name.get(lang) or name.get("ru") or item["id"])
    return names


def stamp_of(data: Mapping[str, Any]) -> str:
    """Equal for equal content: the free-slot window moves with time, so the content is
    the only honest stamp."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _local_iso(ts: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).isoformat()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _audit(  # noqa: PLR0917 (one line per call site matters more here)
    db: sqlite_utils.Database, agency_id: int, user_id: int | None, action: str,
    changes: audit.Changes, now: float, *, resident_id: int | None = None,
) -> None:  # fmt: skip
    # Ids and kinds only: what a resident said or was booked for is not kept in the log.
    audit.record(db, agency_id, user_id=user_id, action=action,
                 object_type="resident" if resident_id is not None else "agency",
                 object_id=resident_id if resident_id is not None else agency_id,
                 changes=changes, now=now)  # fmt: skip
