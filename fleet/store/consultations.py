"""Video consultations: calls between a resident's robot and a specialist's browser.

A consultation is started by a specialist (`ringing`) or asked for by the resident by
voice (`requested`, turned into a call when someone calls back). The robot's signals
move it on (`accepted`, `connected`, `reconnecting`) until it is `declined` or `ended`,
both final: a late signal never brings an ended call back. Every change appends a
`consultation_events` row (state, reason, who, when) and an audit row in the same
transaction. A robot has at most one call in progress (a unique partial index, so
even two processes cannot ring it twice).

Times are UTC epoch seconds from the caller's injected clock (`now`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlite_utils

from fleet.store import audit
from fleet.store.appointments import get_appointment
from fleet.store.benefits import resident_at
from fleet.store.common import (
    ConflictError,
    InvalidChangeError,
    NotFoundError,
    clamp_limit,
    write_transaction,
)
from fleet.store.residents import get_resident

ACTIVE_STATES = ("requested", "ringing", "accepted", "connected", "reconnecting")
STATES = (*ACTIVE_STATES, "declined", "ended")
FINAL_STATES = ("declined", "ended")
# A call in progress holds the robot (`requested` is only a wish: no robot is busy).
IN_PROGRESS = ("ringing", "accepted", "connected", "reconnecting")
By = Literal["robot", "specialist", "fleet"]
Origin = Literal["staff", "voice"]
VoiceOutcome = Literal["stored", "duplicate", "no_rental", "already_requested"]

# Which state may follow which; anything else is refused (and the caller counts it).
_NEXT: dict[str, frozenset[str]] = {
    "requested": frozenset({"ringing", "ended"}),
    "ringing": frozenset({"accepted", "connected", "declined", "ended"}),
    "accepted": frozenset({"connected", "reconnecting", "ended"}),
    "connected": frozenset({"reconnecting", "ended"}),
    "reconnecting": frozenset({"connected", "ended"}),
    "declined": frozenset(),
    "ended": frozenset(),
}


@dataclass(frozen=True)
class Consultation:
    id: int
    agency_id: int
    resident_id: int
    resident_name: str
    robot_id: str
    appointment_id: int | None
    caller_user_id: int | None
    caller_name: str
    # The caller's role as the robot says it; for a voice request: whom the resident asked for.
    caller_role: str
    origin: str  # "staff" (a specialist called) | "voice" (the resident asked)
    state: str
    reason: str  # why declined/ended; "" otherwise
    created_at: float
    updated_at: float
    connected_at: float | None
    ended_at: float | None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


@dataclass(frozen=True)
class CallEvent:
    state: str
    reason: str
    by: str  # "robot" | "specialist" | "fleet"
    ts: float


@dataclass(frozen=True)
class StateChange:
    """What `change_state` did: `changed` False when the transition was refused."""

    consultation: Consultation
    changed: bool
    previous: str


_SELECT = (
    "SELECT c.id, c.agency_id, c.resident_id, r.full_name, c.robot_id, c.appointment_id,"
    " c.caller_user_id, c.caller_name, c.caller_role, c.origin, c.state, c.reason,"
    " c.created_at, c.updated_at, c.connected_at, c.ended_at FROM consultations c"
    " JOIN residents r ON r.id = c.resident_id AND r.erased_at IS NULL"
)


def _consultation(row: tuple[Any, ...]) -> Consultation:
    return Consultation(*row)


# reading


def get_consultation(
    db: sqlite_utils.Database, agency_id: int, consultation_id: int
) -> Consultation:
    """NotFoundError if absent or another agency's."""
    row = db.execute(
        f"{_SELECT} WHERE c.agency_id = ? AND c.id = ?", (agency_id, consultation_id)
    ).fetchone()
    if row is None:
        raise NotFoundError("consultation", consultation_id)
    return _consultation(row)


def find_consultation(db: sqlite_utils.Database, consultation_id: int) -> Consultation | None:
    """Any agency's consultation (for robot signals, which name no agency)."""
    row = db.execute(f"{_SELECT} WHERE c.id = ?", (consultation_id,)).fetchone()
    return None if row is None else _consultation(row)


def list_consultations(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    resident_id: int | None = None,
    active_only: bool = False,
    limit: int = 50,
) -> list[Consultation]:
    """The agency's consultations, newest first."""
    where: list[str] = ["c.agency_id = ?"]
    params: list[object] = [agency_id]
    if resident_id is not None:
        where.append("c.resident_id = ?")
        params.append(resident_id)
    if active_only:
        where.append(f"c.state IN ({', '.join('?' * len(ACTIVE_STATES))})")
        params.extend(ACTIVE_STATES)
    rows = db.execute(
        f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY c.id DESC LIMIT ?",
        [*params, clamp_limit(limit)],
    ).fetchall()
    return [_consultation(row) for row in rows]


def waiting_requests(db: sqlite_utils.Database, agency_id: int) -> int:
    """How many residents asked to be called and wait for someone to call back."""
    row = db.execute(
        "SELECT COUNT(*) FROM consultations WHERE agency_id = ? AND state = 'requested'",
        (agency_id,),
    ).fetchone()
    return int(row[0])


def consultation_events(
    db: sqlite_utils.Database, agency_id: int, consultation_id: int
) -> list[CallEvent]:
    """The consultation's changes, oldest first."""
    get_consultation(db, agency_id, consultation_id)
    rows = db.execute(
        "SELECT state, reason, by, ts FROM consultation_events WHERE consultation_id = ?"
        " ORDER BY id",
        (consultation_id,),
    ).fetchall()
    return [CallEvent(*row) for row in rows]


def latest_call_of_appointment(
    db: sqlite_utils.Database, agency_id: int, appointment_id: int
) -> Consultation | None:
    row = db.execute(
        f"{_SELECT} WHERE c.agency_id = ? AND c.appointment_id = ? ORDER BY c.id DESC LIMIT 1",
        (agency_id, appointment_id),
    ).fetchone()
    return None if row is None else _consultation(row)


def overdue_calls(
    db: sqlite_utils.Database, now: float, *, ring_timeout_s: float, connect_timeout_s: float
) -> list[tuple[Consultation, str]]:
    """Calls to end and why: ringing with no answer from the robot for `ring_timeout_s`;
    accepted or reconnecting without getting connected for `connect_timeout_s`."""
    rows = db.execute(
        f"{_SELECT} WHERE (c.state = 'ringing' AND c.updated_at <= ?)"
        " OR (c.state IN ('accepted', 'reconnecting') AND c.updated_at <= ?) ORDER BY c.id",
        (now - ring_timeout_s, now - connect_timeout_s),
    ).fetchall()
    found = [_consultation(row) for row in rows]
    return [
        (c, "the robot did not answer" if c.state == "ringing" else "the call never connected")
        for c in found
    ]


# changing


def robot_of_resident(db: sqlite_utils.Database, agency_id: int, resident_id: int) -> str:
    """The robot of the resident's active rental; ConflictError naming the resident if none."""
    row = db.execute(
        "SELECT robot_id FROM rentals WHERE agency_id = ? AND resident_id = ?"
        " AND status = 'active' ORDER BY handed_over_at DESC, id DESC LIMIT 1",
        (agency_id, resident_id),
    ).fetchone()
    if row is None:
        raise ConflictError(f"resident {resident_id} has no robot rented")
    return str(row[0])


def start_call(
    db: sqlite_utils.Database,
    agency_id: int,
    resident_id: int,
    *,
    caller_user_id: int,
    caller_name: str,
    caller_role: str,
    appointment_id: int | None = None,
    request_id: int | None = None,
    now: float,
) -> Consultation:
    """A new call (`ringing`) from a specialist to the resident's rented robot.

    With `request_id` (or when the resident has a voice request waiting) that request
    becomes the call. Refusals: NotFoundError (resident, appointment, request),
    ConflictError (no robot rented, the robot already in a call, a cancelled
    appointment, a request no longer waiting), InvalidChangeError (an appointment of
    another resident or in person).
    """
    with write_transaction(db):
        get_resident(db, agency_id, resident_id)
        if appointment_id is not None:
            _check_appointment(db, agency_id, resident_id, appointment_id)
        robot_id = robot_of_resident(db, agency_id, resident_id)
        busy = db.execute(
            f"SELECT id FROM consultations WHERE robot_id = ? AND state IN ({_marks(IN_PROGRESS)})",
            (robot_id, *IN_PROGRESS),
        ).fetchone()
        if busy is not None:
            raise ConflictError(f"robot {robot_id} is already in consultation {busy[0]}")
        request = _waiting_request(db, agency_id, resident_id, request_id)
        if request is None:
            cursor = db.execute(
                "INSERT INTO consultations (agency_id, resident_id, robot_id, appointment_id,"
                " caller_user_id, caller_name, caller_role, origin, state, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'staff', 'ringing', ?, ?)",
                (agency_id, resident_id, robot_id, appointment_id, caller_user_id, caller_name,
                 caller_role, now, now),
            )  # fmt: skip
            consultation_id = int(cursor.lastrowid or 0)
            previous = None
        else:
            consultation_id, previous = request, "requested"
            db.execute(
                "UPDATE consultations SET robot_id = ?, appointment_id = ?, caller_user_id = ?,"
                " caller_name = ?, caller_role = ?, state = 'ringing', updated_at = ?"
                " WHERE id = ?",
                (robot_id, appointment_id, caller_user_id, caller_name, caller_role, now,
                 consultation_id),
            )  # fmt: skip
        _log(db, agency_id, resident_id, consultation_id, previous, "ringing", "",
             by="specialist", user_id=caller_user_id, now=now)  # fmt: skip
    return get_consultation(db, agency_id, consultation_id)


def change_state(
    db: sqlite_utils.Database,
    consultation_id: int,
    state: str,
    *,
    reason: str = "",
    by: By,
    user_id: int | None = None,
    now: float,
) -> StateChange:
    """Move the consultation to `state` if that may follow its current one.

    A refused transition changes nothing (`changed` False): a `connected` for an
    ended call never resurrects it. NotFoundError if there is no such consultation.
    """
    if state not in STATES:
        raise InvalidChangeError(f"unknown consultation state {state!r}")
    with write_transaction(db):
        current = find_consultation(db, consultation_id)
        if current is None:
            raise NotFoundError("consultation", consultation_id)
        if state not in _NEXT[current.state]:
            return StateChange(current, changed=False, previous=current.state)
        final = state in FINAL_STATES
        db.execute(
            "UPDATE consultations SET state = ?, reason = ?, updated_at = ?,"
            " connected_at = CASE WHEN ? = 'connected' THEN COALESCE(connected_at, ?)"
            " ELSE connected_at END, ended_at = CASE WHEN ? THEN ? ELSE ended_at END"
            " WHERE id = ?",
            (state, reason if final else "", now, state, now, final, now, consultation_id),
        )
        _log(db, current.agency_id, current.resident_id, consultation_id, current.state, state,
             reason, by=by, user_id=user_id, now=now)  # fmt: skip
    changed = get_consultation(db, current.agency_id, consultation_id)
    return StateChange(changed, changed=True, previous=current.state)


def end_by_specialist(
    db: sqlite_utils.Database,
    agency_id: int,
    consultation_id: int,
    *,
    reason: str,
    user_id: int | None,
    now: float,
) -> StateChange:
    """Hang up (or dismiss a voice request); ConflictError if it already ended."""
    current = get_consultation(db, agency_id, consultation_id)
    if current.final:
        raise ConflictError(f"consultation {consultation_id} is already {current.state}")
    return change_state(db, consultation_id, "ended", reason=reason, by="specialist",
                        user_id=user_id, now=now)  # fmt: skip


def record_voice_request(
    db: sqlite_utils.Database, robot_id: str, event_id: str, *, asked_for: str, now: float
) -> tuple[VoiceOutcome, Consultation | None]:
    """`call.request`: the robot's resident asked to be called, kept once per event_id as a
    `requested` consultation (one waiting per resident: another ask changes nothing)."""
    with write_transaction(db):
        owner = resident_at(db, robot_id, now)
        if owner is None:
            return "no_rental", None
        seen = db.execute(
            "SELECT id FROM consultations WHERE robot_id = ? AND event_id = ?", (robot_id, event_id)
        ).fetchone()
        if seen is not None:
            return "duplicate", find_consultation(db, int(seen[0]))
        waiting = db.execute(
            "SELECT id FROM consultations WHERE agency_id = ? AND resident_id = ?"
            " AND state = 'requested'",
            (owner.agency_id, owner.resident_id),
        ).fetchone()
        if waiting is not None:
            return "already_requested", find_consultation(db, int(waiting[0]))
        cursor = db.execute(
            "INSERT INTO consultations (agency_id, resident_id, robot_id, caller_role, origin,"
            " state, event_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'voice', 'requested', ?, ?, ?)",
            (owner.agency_id, owner.resident_id, robot_id, asked_for[:120], event_id, now, now),
        )
        consultation_id = int(cursor.lastrowid or 0)
        _log(db, owner.agency_id, owner.resident_id, consultation_id, None, "requested", "",
             by="robot", user_id=None, now=now)  # fmt: skip
    return "stored", find_consultation(db, consultation_id)


# helpers


def _check_appointment(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, appointment_id: int
) -> None:
    appointment = get_appointment(db, agency_id, appointment_id)
    if appointment.resident_id != resident_id:
        raise InvalidChangeError(f"appointment {appointment_id} is not resident {resident_id}'s")
    if appointment.status == "cancelled":
        raise ConflictError(f"appointment {appointment_id} is cancelled")
    if appointment.mode != "video":
        raise InvalidChangeError(
            f"appointment {appointment_id} is in person, not a video consultation"
        )


def _waiting_request(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, request_id: int | None
) -> int | None:
    """The voice request this call answers: the one named, or the resident's waiting one."""
    if request_id is None:
        row = db.execute(
            "SELECT id FROM consultations WHERE agency_id = ? AND resident_id = ?"
            " AND state = 'requested' ORDER BY id LIMIT 1",
            (agency_id, resident_id),
        ).fetchone()
        return None if row is None else int(row[0])
    request = get_consultation(db, agency_id, request_id)
    if request.resident_id != resident_id:
        raise InvalidChangeError(f"request {request_id} is not resident {resident_id}'s")
    if request.state != "requested":
        raise ConflictError(f"request {request_id} is no longer waiting: it is {request.state}")
    return request_id


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" * len(values))


def _log(  # noqa: PLR0917 (one line per call site matters more here)
    db: sqlite_utils.Database, agency_id: int, resident_id: int, consultation_id: int,
    previous: str | None, state: str, reason: str, *, by: By, user_id: int | None, now: float,
) -> None:  # fmt: skip
    db.execute(
        "INSERT INTO consultation_events (consultation_id, state, reason, by, ts)"
        " VALUES (?, ?, ?, ?, ?)",
        (consultation_id, state, reason, by, now),
    )
    # Ids and states only: who the resident talks to is in the consultation row itself.
    audit.record(db, agency_id, user_id=user_id, action=f"consultation.{state}",
                 object_type="resident", object_id=resident_id,
                 changes={"consultation": [consultation_id, consultation_id],
                          "state": [previous, state]}, now=now)  # fmt: skip
