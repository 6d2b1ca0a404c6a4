"""Escalation deliveries recorded on incidents, and the incidents that may need one.

A delivery is claimed (`queued`) before it is sent, then finished as `sent` or
`failed`. The claim is an INSERT on a unique (incident, step, channel, target), so
two service workers never send the same message twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlite_utils

from fleet.escalation import ESCALATED_SEVERITIES, Channel, Who

NotificationStatus = Literal["queued", "sent", "failed"]
# Incidents older than this are not escalated: a database upgraded with months of
# unacknowledged history must not page everyone at once.
MAX_ESCALATION_AGE_S = 24 * 3600.0


@dataclass(frozen=True)
class Notification:
    id: int
    incident_id: int
    step: int
    who: Who
    channel: Channel
    target: str
    attempts: int
    status: NotificationStatus
    last_error: str
    queued_at: float
    sent_at: float | None


@dataclass(frozen=True)
class OpenIncident:
    """What the escalation runner needs of an open incident (`raised_at`: the chain's start)."""

    id: int
    agency_id: int
    robot_id: str
    raised_at: float
    status: str


def claim(
    db: sqlite_utils.Database,
    incident_id: int,
    *,
    step: int,
    who: str,
    channel: str,
    target: str,
    now: float,
) -> int | None:
    """Record a delivery as queued; None if it is already recorded (someone else sends it)."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO incident_notifications (incident_id, step, who, channel,"
        " target, status, queued_at) VALUES (?, ?, ?, ?, ?, 'queued', ?)",
        (incident_id, step, who, channel, target, now),
    )
    return int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None


def finish(
    db: sqlite_utils.Database,
    notification_id: int,
    *,
    ok: bool,
    attempts: int,
    error: str,
    now: float,
) -> None:
    db.execute(
        "UPDATE incident_notifications SET status = ?, attempts = ?, last_error = ?, sent_at = ?"
        " WHERE id = ?",
        ("sent" if ok else "failed", attempts, error, now if ok else None, notification_id),
    )


def stale_queued(db: sqlite_utils.Database, older_than: float) -> list[Notification]:
    """Deliveries of open incidents still queued since before `older_than`: their sender
    stopped mid-way (a crash, a restart), so nobody else will finish them."""
    rows = db.execute(
        f"{_SELECT} WHERE status = 'queued' AND queued_at < ? AND incident_id IN"
        " (SELECT id FROM incidents WHERE status = 'open') ORDER BY id",
        (older_than,),
    ).fetchall()
    return [_notification(row) for row in rows]


def reclaim(db: sqlite_utils.Database, stale: Notification, now: float) -> bool:
    """Take over a stale delivery; False if another worker took it first."""
    cursor = db.execute(
        "UPDATE incident_notifications SET queued_at = ? WHERE id = ? AND status = 'queued'"
        " AND queued_at = ?",
        (now, stale.id, stale.queued_at),
    )
    return cursor.rowcount == 1


def notifications_of(
    db: sqlite_utils.Database, incident_ids: list[int]
) -> dict[int, list[Notification]]:
    """Each incident's deliveries in the order they were made (incidents without: absent)."""
    if not incident_ids:
        return {}
    marks = ", ".join("?" for _ in incident_ids)
    rows = db.execute(
        f"{_SELECT} WHERE incident_id IN ({marks}) ORDER BY id", incident_ids
    ).fetchall()
    found: dict[int, list[Notification]] = {}
    for row in rows:
        notification = _notification(row)
        found.setdefault(notification.incident_id, []).append(notification)
    return found


def notified_steps(db: sqlite_utils.Database, incident_id: int) -> set[int]:
    rows = db.execute(
        "SELECT DISTINCT step FROM incident_notifications WHERE incident_id = ?", (incident_id,)
    ).fetchall()
    return {int(row[0]) for row in rows}


def open_incidents(db: sqlite_utils.Database, now: float) -> list[OpenIncident]:
    """Open incidents of every agency that people are paged for, oldest first."""
    severities = sorted(ESCALATED_SEVERITIES)
    marks = ", ".join("?" for _ in severities)
    rows = db.execute(
        f"{_OPEN_SELECT} AND incidents.severity IN ({marks}) AND incidents.received_at >= ?"
        " ORDER BY incidents.id",
        [*severities, now - MAX_ESCALATION_AGE_S],
    ).fetchall()
    return [_open_incident(row) for row in rows]


def open_incident(db: sqlite_utils.Database, incident_id: int) -> OpenIncident | None:
    row = db.execute(f"{_OPEN_SELECT} AND incidents.id = ?", (incident_id,)).fetchone()
    return _open_incident(row) if row is not None else None


# The chain starts when the alert was raised, unless the robot's clock is ahead of
# ours: then when it arrived, so step 1 is never held back by a wrong clock.
_OPEN_SELECT = (
    "SELECT incidents.id, robots.agency_id, incidents.robot_id,"
    " MIN(incidents.raised_at, incidents.received_at), incidents.status"
    " FROM incidents JOIN robots ON robots.id = incidents.robot_id"
    " WHERE incidents.status = 'open'"
)


def _open_incident(row: tuple[Any, ...]) -> OpenIncident:
    return OpenIncident(int(row[0]), int(row[1]), str(row[2]), float(row[3]), str(row[4]))


_SELECT = (
    "SELECT id, incident_id, step, who, channel, target, attempts, status, last_error,"
    " queued_at, sent_at FROM incident_notifications"
)


def _notification(row: tuple[Any, ...]) -> Notification:
    return Notification(*row)
