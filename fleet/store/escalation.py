"""Escalation settings: the agency's duty channels and signing secret, residents' chains.

A resident's chain is an ordered list of steps; a step of `operator_on_duty` with no
target of its own goes to the agency's duty webhook or e-mail. A robot without an
active rental, or whose resident has no chain, uses the agency default: the duty
operator, on every duty channel set. Queries name the agency, as everywhere.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from fleet.escalation import Channel, Delivery, Step, Who
from fleet.store import audit
from fleet.store.common import NotFoundError, write_transaction
from fleet.store.residents import Resident, get_resident

# The default chain has one step; its deadline only matters if steps are added after it.
DEFAULT_DEADLINE_S = 120


@dataclass(frozen=True)
class AgencyEscalation:
    agency_id: int
    duty_webhook_url: str | None
    duty_email: str | None
    webhook_secret: str
    updated_at: float


@dataclass(frozen=True)
class StoredStep:
    """A step as the agency wrote it (`target` empty: the agency's duty target)."""

    who: Who
    channel: Channel
    target: str
    deadline_s: int
    contact_name: str = ""


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


def agency_escalation(db: sqlite_utils.Database, agency_id: int, now: float) -> AgencyEscalation:
    """The agency's settings; made on first use with a fresh signing secret."""
    db.execute(
        "INSERT OR IGNORE INTO agency_escalation (agency_id, webhook_secret, updated_at)"
        " VALUES (?, ?, ?)",
        (agency_id, new_webhook_secret(), now),
    )
    row = db.execute(
        "SELECT agency_id, duty_webhook_url, duty_email, webhook_secret, updated_at"
        " FROM agency_escalation WHERE agency_id = ?",
        (agency_id,),
    ).fetchone()
    return AgencyEscalation(*row)


def update_agency_escalation(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    duty_webhook_url: str | None,
    duty_email: str | None,
    rotate_secret: bool,
    user_id: int | None,
    now: float,
) -> AgencyEscalation:
    current = agency_escalation(db, agency_id, now)
    secret = new_webhook_secret() if rotate_secret else current.webhook_secret
    changes = audit.diff(
        {"duty_webhook_url": current.duty_webhook_url, "duty_email": current.duty_email},
        {"duty_webhook_url": duty_webhook_url, "duty_email": duty_email},
    )
    if rotate_secret:
        changes["webhook_secret"] = None  # that it changed, never the value
    with write_transaction(db):
        db.execute(
            "UPDATE agency_escalation SET duty_webhook_url = ?, duty_email = ?,"
            " webhook_secret = ?, updated_at = ? WHERE agency_id = ?",
            (duty_webhook_url, duty_email, secret, now, agency_id),
        )
        if changes:
            audit.record(
                db, agency_id, user_id=user_id, action="escalation", object_type="agency",
                object_id=agency_id, changes=changes, now=now,
            )  # fmt: skip
    return agency_escalation(db, agency_id, now)


def resident_steps(db: sqlite_utils.Database, agency_id: int, resident_id: int) -> list[StoredStep]:
    """The resident's chain in order (empty: the agency default applies)."""
    get_resident(db, agency_id, resident_id)  # another agency's resident: not found
    return _steps(db, resident_id)


def set_resident_steps(
    db: sqlite_utils.Database,
    agency_id: int,
    resident_id: int,
    steps: Sequence[StoredStep],
    *,
    user_id: int | None,
    now: float,
) -> None:
    """Replace the resident's chain (an empty list returns to the agency default)."""
    with write_transaction(db):
        get_resident(db, agency_id, resident_id)
        db.execute("DELETE FROM escalation_steps WHERE resident_id = ?", (resident_id,))
        for position, step in enumerate(steps):
            db.execute(
                "INSERT INTO escalation_steps (resident_id, position, who, contact_name,"
                " channel, target, deadline_s) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (resident_id, position, step.who, step.contact_name, step.channel,
                 step.target, step.deadline_s),
            )  # fmt: skip
        # Contacts' addresses are personal data: the audit says that the chain changed.
        audit.record(
            db, agency_id, user_id=user_id, action="escalation", object_type="resident",
            object_id=resident_id, changes={"escalation": None}, now=now,
        )  # fmt: skip


def chain_for_robot(
    db: sqlite_utils.Database, agency_id: int, robot_id: str, now: float
) -> tuple[list[Step], AgencyEscalation]:
    """The chain an incident of this robot follows, and the agency's settings (secret)."""
    agency = agency_escalation(db, agency_id, now)
    resident = active_resident(db, agency_id, robot_id)
    stored = _steps(db, resident.id) if resident is not None else []
    if not stored:
        return default_chain(agency), agency
    return [_resolved(step, agency) for step in stored], agency


def active_resident(db: sqlite_utils.Database, agency_id: int, robot_id: str) -> Resident | None:
    """The resident the robot is with now: its active rental's (not a planned one's)."""
    row = db.execute(
        "SELECT resident_id FROM rentals WHERE agency_id = ? AND robot_id = ?"
        " AND status = 'active'",
        (agency_id, robot_id),
    ).fetchone()
    if row is None:
        return None
    try:
        return get_resident(db, agency_id, int(row[0]))
    except NotFoundError:
        return None


def default_chain(agency: AgencyEscalation) -> list[Step]:
    """The duty operator on every duty channel the agency has set (none set: an empty chain)."""
    duty: tuple[tuple[Channel, str | None], ...] = (
        ("webhook", agency.duty_webhook_url),
        ("email", agency.duty_email),
    )
    deliveries = tuple(Delivery(channel, target) for channel, target in duty if target)
    if not deliveries:
        return []
    return [Step("operator_on_duty", deliveries, DEFAULT_DEADLINE_S)]


def _resolved(step: StoredStep, agency: AgencyEscalation) -> Step:
    target = step.target
    if not target and step.who == "operator_on_duty":
        duty = agency.duty_webhook_url if step.channel == "webhook" else agency.duty_email
        target = duty or ""  # unset: the delivery is recorded as failed, saying so
    return Step(step.who, (Delivery(step.channel, target),), step.deadline_s, step.contact_name)


def _steps(db: sqlite_utils.Database, resident_id: int) -> list[StoredStep]:
    rows = db.execute(
        "SELECT who, channel, target, deadline_s, contact_name FROM escalation_steps"
        " WHERE resident_id = ? ORDER BY position",
        (resident_id,),
    ).fetchall()
    return [StoredStep(*row) for row in rows]
