"""An agency's robots: provisioning, status, MQTT password hashes, and the list with presence.

`list_robots` and `get_robot` return `Robot` rows joined with the robot's latest
state (from the MQTT ingest) and its open rental, in one query per page.
"""

from __future__ import annotations

import base64
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlite_utils

from fleet.presence import OFFLINE_STATES, PresencePolicy
from fleet.store import audit
from fleet.store.common import (
    DEFAULT_LIMIT,
    ConflictError,
    NotFoundError,
    Page,
    clamp_limit,
    contains_pattern,
    write_transaction,
)

RobotStatus = Literal["in_stock", "rented", "maintenance", "retired"]
ROBOT_STATUSES: tuple[RobotStatus, ...] = ("in_stock", "rented", "maintenance", "retired")
EDITABLE_FIELDS = frozenset({"model", "firmware", "status"})
_ID_ATTEMPTS = 5


@dataclass(frozen=True)
class Robot:
    """A robot as lists and detail pages show it.

    `state`, `last_seen` (epoch s), `battery_pct`, `charging` come from the robot's
    messages and are None until it first reports; `online` follows
    `fleet.presence.is_online`. `rental_id`/`resident_id`/`rental_status` name the
    robot's open (planned or active) rental, if any.
    """

    id: str
    agency_id: int
    serial: str
    model: str
    firmware: str
    status: RobotStatus
    created_at: float
    state: str | None
    last_seen: float | None
    battery_pct: float | None
    charging: bool | None
    online: bool
    rental_id: int | None
    resident_id: int | None
    rental_status: str | None


class DuplicateSerialError(ConflictError):
    """Another robot already has this serial number."""


def new_robot_id() -> str:
    """`r-` and 10 lower-case base32 characters (50 random bits): short enough to read aloud."""
    return "r-" + base64.b32encode(secrets.token_bytes(7)).decode().lower()[:10]


def create_robot(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    serial: str,
    model: str,
    firmware: str = "",
    password_hash: str,
    user_id: int | None,
    now: float,
) -> str:
    """Provision a robot in stock; returns its id (also its MQTT username)."""
    fields = {"serial": serial, "model": model, "firmware": firmware}
    for _ in range(_ID_ATTEMPTS):
        robot_id = new_robot_id()
        try:
            _insert(db, agency_id, robot_id, fields, password_hash, user_id=user_id, now=now)
        except sqlite3.IntegrityError as error:
            if "robots.serial" in str(error):
                raise DuplicateSerialError(
                    f"a robot with serial {serial!r} already exists"
                ) from None
            if "robots.id" not in str(error):
                raise
            continue  # 50 random bits collided: draw another id
        return robot_id
    raise ConflictError("could not find a free robot id; try again")


def _insert(
    db: sqlite_utils.Database,
    agency_id: int,
    robot_id: str,
    fields: Mapping[str, str],
    password_hash: str,
    *,
    user_id: int | None,
    now: float,
) -> None:
    with write_transaction(db):
        db.execute(
            "INSERT INTO robots (id, agency_id, serial, model, firmware, status,"
            " mqtt_password_hash, created_at) VALUES (?, ?, ?, ?, ?, 'in_stock', ?, ?)",
            (robot_id, agency_id, fields["serial"], fields["model"], fields["firmware"],
             password_hash, now),
        )  # fmt: skip
        audit.record(
            db,
            agency_id,
            user_id=user_id,
            action="create",
            object_type="robot",
            object_id=robot_id,
            changes=audit.diff({}, {**fields, "status": "in_stock"}),
            now=now,
        )


def get_robot(
    db: sqlite_utils.Database,
    agency_id: int,
    robot_id: str,
    *,
    now: float,
    policy: PresencePolicy | None = None,
) -> Robot:
    """The agency's robot `robot_id`, or NotFoundError."""
    sql, params = _select(now, policy or PresencePolicy())
    row = db.execute(
        f"{sql} WHERE r.agency_id = ? AND r.id = ?", [*params, agency_id, robot_id]
    ).fetchone()
    if row is None:
        raise NotFoundError("robot", robot_id)
    return _robot(row)


def list_robots(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    now: float,
    policy: PresencePolicy | None = None,
    status: str | None = None,
    online: bool | None = None,
    q: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[Robot]:
    """The agency's robots ordered by serial; `q` matches part of the serial.

    One COUNT and one page query, however many robots: presence is computed in SQL,
    with the same arithmetic as `fleet.presence.is_online`.
    """
    policy = policy or PresencePolicy()
    where: list[str] = ["r.agency_id = ?"]
    params: list[Any] = [agency_id]
    if status is not None:
        where.append("r.status = ?")
        params.append(status)
    if q:
        where.append("r.serial LIKE ? ESCAPE '\\'")
        params.append(contains_pattern(q))
    if online is not None:
        where.append(f"{_ONLINE} = ?")
        params.extend([now, policy.timeout_s, int(online)])
    condition = " AND ".join(where)
    limit = clamp_limit(limit)
    join_state = "LEFT JOIN robot_state s ON s.robot_id = r.id" if online is not None else ""
    total = db.execute(
        f"SELECT COUNT(*) FROM robots r {join_state} WHERE {condition}", params
    ).fetchone()[0]
    sql, select_params = _select(now, policy)
    rows = db.execute(
        f"{sql} WHERE {condition} ORDER BY r.serial LIMIT ? OFFSET ?",
        [*select_params, *params, limit, offset],
    ).fetchall()
    return Page(items=[_robot(row) for row in rows], total=int(total), limit=limit, offset=offset)


def update_robot(
    db: sqlite_utils.Database,
    agency_id: int,
    robot_id: str,
    changes: Mapping[str, str],
    *,
    user_id: int | None,
    now: float,
) -> None:
    """Change model, firmware or status; `rented` comes only from handing over a rental."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with write_transaction(db):
        current = _fields(db, agency_id, robot_id)
        if "status" in changes:
            _check_manual_status(current, changes["status"])
        changed = audit.diff(current, changes)
        if not changed:
            return
        assignments = ", ".join(f"{field} = ?" for field in changed)
        db.execute(
            f"UPDATE robots SET {assignments} WHERE agency_id = ? AND id = ?",
            [*(changes[field] for field in changed), agency_id, robot_id],
        )
        audit.record(
            db,
            agency_id,
            user_id=user_id,
            action="update",
            object_type="robot",
            object_id=robot_id,
            changes=changed,
            now=now,
        )


def _check_manual_status(current: Mapping[str, Any], status: str) -> None:
    if status == "rented":
        raise ConflictError("a robot becomes rented only by handing over a rental")
    if current["status"] == "rented" and status != "rented":
        raise ConflictError(
            f"robot {current['id']} is rented; return its rental to change the status"
        )


def set_robot_status(
    db: sqlite_utils.Database,
    agency_id: int,
    robot_id: str,
    status: RobotStatus,
    *,
    user_id: int | None,
    action: str,
    now: float,
) -> None:
    """Set the status for a rental step; call it inside that step's write transaction."""
    current = _fields(db, agency_id, robot_id)
    db.execute(
        "UPDATE robots SET status = ? WHERE agency_id = ? AND id = ?",
        (status, agency_id, robot_id),
    )
    audit.record(
        db,
        agency_id,
        user_id=user_id,
        action=action,
        object_type="robot",
        object_id=robot_id,
        changes=audit.diff(current, {"status": status}),
        now=now,
    )


def robot_status(db: sqlite_utils.Database, agency_id: int, robot_id: str) -> RobotStatus:
    status: RobotStatus = _fields(db, agency_id, robot_id)["status"]
    return status


def set_mqtt_password_hash(
    db: sqlite_utils.Database,
    agency_id: int,
    robot_id: str,
    password_hash: str,
    *,
    user_id: int | None,
    now: float,
) -> None:
    """Replace the robot's MQTT password (the audit row says so, never with the hash)."""
    with write_transaction(db):
        cursor = db.execute(
            "UPDATE robots SET mqtt_password_hash = ? WHERE agency_id = ? AND id = ?",
            (password_hash, agency_id, robot_id),
        )
        if cursor.rowcount == 0:
            raise NotFoundError("robot", robot_id)
        audit.record(
            db,
            agency_id,
            user_id=user_id,
            action="rotate_mqtt_password",
            object_type="robot",
            object_id=robot_id,
            changes={"mqtt_password": None},
            now=now,
        )


def _fields(db: sqlite_utils.Database, agency_id: int, robot_id: str) -> dict[str, Any]:
    row = db.execute(
        "SELECT id, serial, model, firmware, status FROM robots WHERE agency_id = ? AND id = ?",
        (agency_id, robot_id),
    ).fetchone()
    if row is None:
        raise NotFoundError("robot", robot_id)
    return dict(zip(("id", "serial", "model", "firmware", "status"), row, strict=True))


_OFFLINE = ", ".join(f"'{state}'" for state in sorted(OFFLINE_STATES))
# Same test as fleet.presence.is_online; parameters: now, timeout_s.
_ONLINE = (
    f"COALESCE(s.state IS NOT NULL AND s.state NOT IN ({_OFFLINE})"
    " AND s.last_seen IS NOT NULL AND ? - s.last_seen <= ?, 0)"
)


def _select(now: float, policy: PresencePolicy) -> tuple[str, list[Any]]:
    sql = (
        "SELECT r.id, r.agency_id, r.serial, r.model, r.firmware, r.status, r.created_at,"
        f" s.state, s.last_seen, s.battery_pct, s.charging, {_ONLINE},"
        " o.id, o.resident_id, o.status"
        " FROM robots r LEFT JOIN robot_state s ON s.robot_id = r.id"
        " LEFT JOIN rentals o ON o.robot_id = r.id AND o.status IN ('planned', 'active')"
    )
    return sql, [now, policy.timeout_s]


def _robot(row: tuple[Any, ...]) -> Robot:
    charging = row[10]
    return Robot(
        id=row[0],
        agency_id=row[1],
        serial=row[2],
        model=row[3],
        firmware=row[4],
        status=row[5],
        created_at=row[6],
        state=row[7],
        last_seen=row[8],
        battery_pct=row[9],
        charging=None if charging is None else bool(charging),
        online=bool(row[11]),
        rental_id=row[12],
        resident_id=row[13],
        rental_status=row[14],
    )
