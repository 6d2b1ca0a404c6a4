"""Rentals: a robot of the agency lent to one of its residents, through a fixed lifecycle.

    planned --handover--> active --return--> returned      planned --cancel--> cancelled

Handing over marks the robot `rented`; returning marks it `maintenance` and asks the
robot to wipe the resident's data (a `wipe` command with a fresh `req_id`). The wipe
is `pending` until the command is published, `requested` until the robot answers,
then `confirmed` or `failed` (see `confirm_wipe`, called by the MQTT ingest).
A robot has at most one open (planned or active) rental; the database enforces it.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlite_utils

from fleet.store import audit
from fleet.store.common import (
    DEFAULT_LIMIT,
    ConflictError,
    InvalidChangeError,
    NotFoundError,
    Page,
    clamp_limit,
    write_transaction,
)
from fleet.store.residents import get_resident
from fleet.store.robots import robot_status, set_robot_status

RentalStatus = Literal["planned", "active", "returned", "cancelled"]
RENTAL_STATUSES: tuple[RentalStatus, ...] = ("planned", "active", "returned", "cancelled")
WipeStatus = Literal["none", "pending", "requested", "confirmed", "failed"]
OPEN_STATUSES = ("planned", "active")


@dataclass(frozen=True)
class Rental:
    """A rental; dates are ISO strings (`ends_on` may be None), times epoch seconds."""

    id: int
    agency_id: int
    robot_id: str
    resident_id: int
    starts_on: str
    ends_on: str | None
    status: RentalStatus
    created_at: float
    handed_over_at: float | None
    returned_at: float | None
    wipe: WipeStatus
    wipe_req_id: str | None
    wipe_requested_at: float | None
    wipe_confirmed_at: float | None
    wipe_failed_at: float | None
    wipe_detail: str


@dataclass(frozen=True)
class PendingWipe:
    robot_id: str
    req_id: str


def new_wipe_req_id() -> str:
    return f"wipe-{secrets.token_hex(8)}"


def create_rental(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    robot_id: str,
    resident_id: int,
    starts_on: str,
    ends_on: str | None = None,
    user_id: int | None,
    now: float,
) -> int:
    """Plan a rental of an in-stock robot without another open rental; returns its id."""
    _check_dates(starts_on, ends_on)
    with write_transaction(db):
        status = robot_status(db, agency_id, robot_id)
        get_resident(db, agency_id, resident_id)
        if status != "in_stock":
            raise ConflictError(f"robot {robot_id} is {status}, not in_stock")
        _refuse_second_open_rental(db, agency_id, robot_id)
        values = {
            "robot_id": robot_id,
            "resident_id": resident_id,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "status": "planned",
        }
        try:
            cursor = db.execute(
                "INSERT INTO rentals (agency_id, robot_id, resident_id, starts_on, ends_on,"
                " status, created_at) VALUES (?, ?, ?, ?, ?, 'planned', ?)",
                (agency_id, robot_id, resident_id, starts_on, ends_on, now),
            )
        except sqlite3.IntegrityError:
            raise ConflictError(f"robot {robot_id} already has an open rental") from None
        rental_id = int(cursor.lastrowid or 0)
        _audit(db, agency_id, rental_id, "create", audit.diff({}, values), user_id=user_id, now=now)
    return rental_id


def get_rental(db: sqlite_utils.Database, agency_id: int, rental_id: int) -> Rental:
    row = db.execute(f"{_SELECT} WHERE agency_id = ? AND id = ?", (agency_id, rental_id)).fetchone()
    if row is None:
        raise NotFoundError("rental", rental_id)
    return _rental(row)


def list_rentals(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    status: str | None = None,
    robot_id: str | None = None,
    resident_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[Rental]:
    """The agency's rentals, newest first, optionally by status, robot or resident."""
    where: list[str] = ["agency_id = ?"]
    params: list[Any] = [agency_id]
    for column, value in (("status", status), ("robot_id", robot_id), ("resident_id", resident_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    condition = " AND ".join(where)
    limit = clamp_limit(limit)
    total = db.execute(f"SELECT COUNT(*) FROM rentals WHERE {condition}", params).fetchone()[0]
    rows = db.execute(
        f"{_SELECT} WHERE {condition} ORDER BY id DESC LIMIT ? OFFSET ?", [*params, limit, offset]
    ).fetchall()
    return Page([_rental(row) for row in rows], total=int(total), limit=limit, offset=offset)


def update_rental(
    db: sqlite_utils.Database,
    agency_id: int,
    rental_id: int,
    changes: Mapping[str, str | None],
    *,
    user_id: int | None,
    now: float,
) -> None:
    """Move the dates: `starts_on` while planned, `ends_on` while planned or active."""
    unknown = set(changes) - {"starts_on", "ends_on"}
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with write_transaction(db):
        rental = get_rental(db, agency_id, rental_id)
        if "starts_on" in changes:
            _require_status(rental, ("planned",), "move its start")
        else:
            _require_status(rental, OPEN_STATUSES, "move its end")
        current = {"starts_on": rental.starts_on, "ends_on": rental.ends_on}
        changed = audit.diff(current, changes)
        if not changed:
            return
        new = {**current, **changes}
        starts_on = new["starts_on"]
        assert starts_on is not None  # the request model refuses a null start
        _check_dates(starts_on, new["ends_on"])
        db.execute(
            "UPDATE rentals SET starts_on = ?, ends_on = ? WHERE agency_id = ? AND id = ?",
            (starts_on, new["ends_on"], agency_id, rental_id),
        )
        _audit(db, agency_id, rental_id, "update", changed, user_id=user_id, now=now)


def hand_over(
    db: sqlite_utils.Database, agency_id: int, rental_id: int, *, user_id: int | None, now: float
) -> None:
    """planned -> active; the robot (which must still be in stock) becomes rented."""
    with write_transaction(db):
        rental = get_rental(db, agency_id, rental_id)
        _require_status(rental, ("planned",), "hand it over")
        status = robot_status(db, agency_id, rental.robot_id)
        if status != "in_stock":
            raise ConflictError(f"robot {rental.robot_id} is {status}; it must be in_stock")
        db.execute(
            "UPDATE rentals SET status = 'active', handed_over_at = ?"
            " WHERE agency_id = ? AND id = ?",
            (now, agency_id, rental_id),
        )
        set_robot_status(
            db, agency_id, rental.robot_id, "rented", user_id=user_id, action="handover", now=now
        )
        changes: audit.Changes = {"status": ["planned", "active"], "handed_over_at": [None, now]}
        _audit(db, agency_id, rental_id, "handover", changes, user_id=user_id, now=now)


def return_rental(
    db: sqlite_utils.Database, agency_id: int, rental_id: int, *, user_id: int | None, now: float
) -> str:
    """active -> returned; the robot goes to maintenance. Returns the wipe's `req_id`.

    The wipe is pending until `mark_wipe_sent`: the caller publishes the command after
    this commits, so a robot is never wiped for a return that was rolled back.
    """
    req_id = new_wipe_req_id()
    with write_transaction(db):
        rental = get_rental(db, agency_id, rental_id)
        _require_status(rental, ("active",), "return it")
        db.execute(
            "UPDATE rentals SET status = 'returned', returned_at = ?, wipe_req_id = ?"
            " WHERE agency_id = ? AND id = ?",
            (now, req_id, agency_id, rental_id),
        )
        set_robot_status(
            db, agency_id, rental.robot_id, "maintenance", user_id=user_id, action="return", now=now
        )
        changes: audit.Changes = {
            "status": ["active", "returned"],
            "returned_at": [None, now],
            "wipe_req_id": [None, req_id],
        }
        _audit(db, agency_id, rental_id, "return", changes, user_id=user_id, now=now)
    return req_id


def cancel_rental(
    db: sqlite_utils.Database, agency_id: int, rental_id: int, *, user_id: int | None, now: float
) -> None:
    """planned -> cancelled (the robot never left the stock)."""
    with write_transaction(db):
        rental = get_rental(db, agency_id, rental_id)
        _require_status(rental, ("planned",), "cancel it")
        db.execute(
            "UPDATE rentals SET status = 'cancelled' WHERE agency_id = ? AND id = ?",
            (agency_id, rental_id),
        )
        changes = {"status": ["planned", "cancelled"]}
        _audit(db, agency_id, rental_id, "cancel", changes, user_id=user_id, now=now)


def request_wipe(
    db: sqlite_utils.Database, agency_id: int, rental_id: int, *, user_id: int | None, now: float
) -> str:
    """A new wipe command (new `req_id`) for a returned rental whose wipe is not confirmed."""
    req_id = new_wipe_req_id()
    with write_transaction(db):
        rental = get_rental(db, agency_id, rental_id)
        _require_status(rental, ("returned",), "wipe the robot")
        if rental.wipe == "confirmed":
            raise ConflictError(f"rental {rental_id}: the robot already confirmed the wipe")
        db.execute(
            "UPDATE rentals SET wipe_req_id = ?, wipe_requested_at = NULL, wipe_failed_at = NULL,"
            " wipe_detail = '' WHERE agency_id = ? AND id = ?",
            (req_id, agency_id, rental_id),
        )
        changes = {"wipe_req_id": [rental.wipe_req_id, req_id]}
        _audit(db, agency_id, rental_id, "request_wipe", changes, user_id=user_id, now=now)
    return req_id


# Service side: called for the MQTT link, never for a user's request, so they are keyed by
# the robot (whose MQTT identity the broker has checked) rather than by an agency.


def mark_wipe_sent(db: sqlite_utils.Database, robot_id: str, req_id: str, now: float) -> None:
    db.execute(
        "UPDATE rentals SET wipe_requested_at = ? WHERE robot_id = ? AND wipe_req_id = ?",
        (now, robot_id, req_id),
    )


def pending_wipes(db: sqlite_utils.Database) -> list[PendingWipe]:
    """Wipe commands not yet published (no broker at the time); send them on connect."""
    rows = db.execute(
        "SELECT robot_id, wipe_req_id FROM rentals WHERE status = 'returned'"
        " AND wipe_req_id IS NOT NULL AND wipe_requested_at IS NULL"
        " AND wipe_confirmed_at IS NULL ORDER BY id"
    ).fetchall()
    return [PendingWipe(robot_id=row[0], req_id=row[1]) for row in rows]


def confirm_wipe(
    db: sqlite_utils.Database,
    robot_id: str,
    req_id: str,
    ok: bool,
    now: float,
    *,
    detail: str = "",
) -> bool:
    """Record the robot's answer (`cmd_res`) to a wipe command.

    Returns False when `req_id` is not the robot's current wipe (unknown, or superseded
    by a newer request), so the ingest can count it. A repeated answer (QoS 1 may
    deliver twice) after a confirmation changes nothing and returns True.
    """
    with write_transaction(db):
        row = db.execute(
            "SELECT id, agency_id, wipe_confirmed_at FROM rentals"
            " WHERE robot_id = ? AND wipe_req_id = ?",
            (robot_id, req_id),
        ).fetchone()
        if row is None:
            return False
        rental_id, agency_id, confirmed_at = row
        if confirmed_at is not None:
            return True
        column = "wipe_confirmed_at" if ok else "wipe_failed_at"
        db.execute(
            f"UPDATE rentals SET {column} = ?, wipe_detail = ?,"
            " wipe_requested_at = COALESCE(wipe_requested_at, ?) WHERE id = ?",
            (now, detail, now, rental_id),
        )
        changes: audit.Changes = {column: [None, now], "wipe_detail": [None, detail]}
        action = "wipe_confirmed" if ok else "wipe_failed"
        _audit(db, agency_id, rental_id, action, changes, user_id=None, now=now)
    return True


def _refuse_second_open_rental(db: sqlite_utils.Database, agency_id: int, robot_id: str) -> None:
    row = db.execute(
        "SELECT id, status FROM rentals WHERE agency_id = ? AND robot_id = ?"
        " AND status IN ('planned', 'active')",
        (agency_id, robot_id),
    ).fetchone()
    if row is not None:
        raise ConflictError(f"robot {robot_id} already has rental {row[0]} ({row[1]})")


def _require_status(rental: Rental, allowed: tuple[str, ...], to_do: str) -> None:
    if rental.status not in allowed:
        raise ConflictError(
            f"rental {rental.id} is {rental.status}; it must be {' or '.join(allowed)} to {to_do}"
        )


def _check_dates(starts_on: str, ends_on: str | None) -> None:
    # ISO dates compare correctly as strings.
    if ends_on is not None and ends_on < starts_on:
        raise InvalidChangeError(f"ends_on {ends_on} is before starts_on {starts_on}")


def _audit(
    db: sqlite_utils.Database,
    agency_id: int,
    rental_id: int,
    action: str,
    changes: Mapping[str, list[Any] | None],
    *,
    user_id: int | None,
    now: float,
) -> None:
    audit.record(
        db,
        agency_id,
        user_id=user_id,
        action=action,
        object_type="rental",
        object_id=rental_id,
        changes=changes,
        now=now,
    )


_SELECT = (
    "SELECT id, agency_id, robot_id, resident_id, starts_on, ends_on, status, created_at,"
    " handed_over_at, returned_at, wipe_req_id, wipe_requested_at, wipe_confirmed_at,"
    " wipe_failed_at, wipe_detail FROM rentals"
)


def _wipe_status(
    req_id: str | None, requested: float | None, confirmed: float | None, failed: float | None
) -> WipeStatus:
    if confirmed is not None:
        return "confirmed"
    if failed is not None:
        return "failed"
    if requested is not None:
        return "requested"
    return "pending" if req_id is not None else "none"


def _rental(row: tuple[Any, ...]) -> Rental:
    req_id, requested, confirmed, failed = row[10:14]
    return Rental(
        id=row[0],
        agency_id=row[1],
        robot_id=row[2],
        resident_id=row[3],
        starts_on=row[4],
        ends_on=row[5],
        status=row[6],
        created_at=row[7],
        handed_over_at=row[8],
        returned_at=row[9],
        wipe=_wipe_status(req_id, requested, confirmed, failed),
        wipe_req_id=req_id,
        wipe_requested_at=requested,
        wipe_confirmed_at=confirmed,
        wipe_failed_at=failed,
        wipe_detail=row[14],
    )
