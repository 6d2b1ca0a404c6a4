"""Incidents as people see them: lists, one incident, acknowledging and resolving.

Incidents are written by the MQTT ingest (`fleet.store.ingest.record_alert`); they
belong to the agency of their robot, so every query here joins `robots` and names the
agency: another agency's incident is "not found", exactly like a missing one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import sqlite_utils

from fleet.store.common import (
    DEFAULT_LIMIT,
    ConflictError,
    NotFoundError,
    Page,
    clamp_limit,
    write_transaction,
)

IncidentStatus = Literal["open", "acknowledged", "resolved"]
INCIDENT_STATUSES: tuple[IncidentStatus, ...] = ("open", "acknowledged", "resolved")


@dataclass(frozen=True)
class Incident:
    """One incident; times are seconds since the epoch.

    `raised_at` is the robot's time of the alert, `received_at` the fleet's when it was
    committed; `acknowledged_by` is the id (and `acknowledged_by_name` the name) of the
    user who acknowledged it first; `outcome` is set when it is resolved.
    """

    id: int
    alert_id: str
    robot_id: str
    kind: str
    severity: str
    details: dict[str, Any]
    raised_at: float
    received_at: float
    status: IncidentStatus
    acknowledged_by: int | None
    acknowledged_by_name: str | None
    acknowledged_at: float | None
    resolved_at: float | None
    outcome: str | None


def list_incidents(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    status: IncidentStatus | None = None,
    robot_id: str | None = None,
    kind: str | None = None,
    since: float | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    after_id: int | None = None,
) -> Page[Incident]:
    """The agency's incidents, newest first (by arrival: `id` order), filtered.

    `since` keeps incidents raised at or after it; `after_id` keeps those with a larger
    id, so a live view can ask only for what arrived after the newest one it shows.
    `total` counts every incident matching the filters, over all pages.
    """
    filters = {
        "incidents.status = ?": status,
        "incidents.robot_id = ?": robot_id,
        "incidents.kind = ?": kind,
        "incidents.raised_at >= ?": since,
        "incidents.id > ?": after_id,
    }
    where = ["robots.agency_id = ?"] + [sql for sql, value in filters.items() if value is not None]
    params = [agency_id] + [value for value in filters.values() if value is not None]
    condition = " AND ".join(where)
    limit = clamp_limit(limit)
    total = db.execute(f"SELECT COUNT(*) {_FROM} WHERE {condition}", params).fetchone()[0]
    rows = db.execute(
        f"{_SELECT} {_FROM} WHERE {condition} ORDER BY incidents.id DESC LIMIT ? OFFSET ?",
        [*params, limit, max(0, offset)],
    ).fetchall()
    return Page(
        items=[_incident(row) for row in rows], total=int(total), limit=limit, offset=offset
    )


def get_incident(db: sqlite_utils.Database, agency_id: int, incident_id: int) -> Incident:
    row = db.execute(
        f"{_SELECT} {_FROM} WHERE robots.agency_id = ? AND incidents.id = ?",
        (agency_id, incident_id),
    ).fetchone()
    if row is None:
        raise NotFoundError("incident", incident_id)
    return _incident(row)


def acknowledge_incident(
    db: sqlite_utils.Database, agency_id: int, incident_id: int, *, user_id: int, now: float
) -> Incident:
    """A human has taken it on: the first acknowledgement counts, later ones change nothing.

    Acknowledging twice is not an error (two operators may click at once); acknowledging
    a resolved incident is, because the person may be looking at stale information.
    """
    with write_transaction(db):
        incident = get_incident(db, agency_id, incident_id)
        if incident.status == "resolved":
            raise ConflictError(f"incident {incident_id} is already resolved ({incident.outcome})")
        if incident.status == "open":
            db.execute(
                "UPDATE incidents SET status = 'acknowledged', acknowledged_by = ?,"
                " acknowledged_at = ? WHERE id = ?",
                (user_id, now, incident_id),
            )
    return get_incident(db, agency_id, incident_id)


def resolve_incident(
    db: sqlite_utils.Database,
    agency_id: int,
    incident_id: int,
    *,
    user_id: int,
    outcome: str,
    now: float,
) -> Incident:
    """Close it with an outcome; resolving an open incident acknowledges it too."""
    with write_transaction(db):
        incident = get_incident(db, agency_id, incident_id)
        if incident.status == "resolved":
            raise ConflictError(f"incident {incident_id} is already resolved ({incident.outcome})")
        db.execute(
            "UPDATE incidents SET status = 'resolved', resolved_at = ?, outcome = ?,"
            " acknowledged_by = COALESCE(acknowledged_by, ?),"
            " acknowledged_at = COALESCE(acknowledged_at, ?) WHERE id = ?",
            (now, outcome, user_id, now, incident_id),
        )
    return get_incident(db, agency_id, incident_id)


def incident_counts(db: sqlite_utils.Database, agency_id: int) -> dict[IncidentStatus, int]:
    """How many of the agency's incidents are in each status (all statuses present)."""
    rows = db.execute(
        f"SELECT incidents.status, COUNT(*) {_FROM} WHERE robots.agency_id = ?"
        " GROUP BY incidents.status",
        (agency_id,),
    ).fetchall()
    counts: dict[IncidentStatus, int] = dict.fromkeys(INCIDENT_STATUSES, 0)
    counts.update({status: int(count) for status, count in rows})
    return counts


_SELECT = (
    "SELECT incidents.id, alert_id, robot_id, kind, severity, details, raised_at, received_at,"
    " incidents.status, acknowledged_by, users.full_name, acknowledged_at, resolved_at, outcome"
)
_FROM = (
    "FROM incidents JOIN robots ON robots.id = incidents.robot_id"
    " LEFT JOIN users ON users.id = incidents.acknowledged_by"
)


def _incident(row: tuple[Any, ...]) -> Incident:
    (incident_id, alert_id, robot_id, kind, severity, details, raised_at, received_at,
     status, acknowledged_by, acknowledged_by_name, acknowledged_at, resolved_at,
     outcome) = row  # fmt: skip
    return Incident(
        id=int(incident_id),
        alert_id=str(alert_id),
        robot_id=str(robot_id),
        kind=str(kind),
        severity=str(severity),
        details=_details(details),
        raised_at=float(raised_at),
        received_at=float(received_at),
        status=status,
        acknowledged_by=acknowledged_by,
        acknowledged_by_name=acknowledged_by_name,
        acknowledged_at=acknowledged_at,
        resolved_at=resolved_at,
        outcome=outcome,
    )


def _details(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
