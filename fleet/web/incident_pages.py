"""The incidents page (the dashboard's home) and its Acknowledge and Resolve buttons."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

import sqlite_utils
from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from fleet.protocol import KIND_PATTERN
from fleet.store.incidents import (
    Incident,
    IncidentStatus,
    acknowledge_incident,
    list_incidents,
    resolve_incident,
)
from fleet.store.notifications import Notification, notifications_of
from fleet.store.residents import Resident
from fleet.web.errors import ForbiddenError, FormError
from fleet.web.lookups import residents_by_robot
from fleet.web.paging import parse_id
from fleet.web.render import redirect, render
from fleet.web.routing import PageRoute
from fleet.web.session import FormSession, Session, context_of

router = APIRouter(route_class=PageRoute)

# More than this many open incidents at once is a disaster drill, not a list to scroll.
SHOWN_PER_STATUS = 100
ACTIVE_STATUSES: tuple[IncidentStatus, ...] = ("open", "acknowledged")
# The choices of the Resolve form. The API takes any short code (`KIND_PATTERN`) as the
# outcome; the dashboard offers these, each with a translated label (`outcome_<code>`).
OUTCOMES = ("false_alarm", "resolved_by_phone", "help_sent", "ambulance_called", "technical")


@dataclass(frozen=True)
class IncidentView:
    """An incident with the resident its robot is with: who to call comes first."""

    incident: Incident
    resident: Resident | None
    # Escalation deliveries: who was told, and whether it reached them.
    notifications: tuple[Notification, ...] = ()


def incident_views(
    db: sqlite_utils.Database, agency_id: int, incidents: Iterable[Incident], now: float
) -> list[IncidentView]:
    incidents = list(incidents)
    residents = residents_by_robot(db, agency_id, {i.robot_id for i in incidents}, now)
    sent = notifications_of(db, [i.id for i in incidents])
    return [
        IncidentView(i, residents.get(i.robot_id), tuple(sent.get(i.id, ()))) for i in incidents
    ]


def newest_incident_id(db: sqlite_utils.Database, agency_id: int) -> int:
    newest = list_incidents(db, agency_id, limit=1).items
    return newest[0].id if newest else 0


@router.get("/")
def home() -> Response:
    return redirect("/incidents")


@router.get("/incidents")
def incidents_page(request: Request, session: Session) -> Response:
    context = context_of(request)
    db, agency, now = context.db(), session.agency_id, context.now()
    # Read the newest id first: anything newer reaches the page through the live stream.
    after_id = newest_incident_id(db, agency)
    views = {
        status: incident_views(
            db, agency, list_incidents(db, agency, status=status, limit=SHOWN_PER_STATUS).items, now
        )
        for status in ACTIVE_STATUSES
    }
    values = {
        "open_views": views["open"],
        "ack_views": views["acknowledged"],
        "after_id": after_id,
        "outcomes": OUTCOMES,
    }
    return render(request, "incidents.html", values, session=session)


@router.post("/incidents/{incident_id}/ack")
def acknowledge(request: Request, incident_id: str, session: FormSession) -> Response:
    context = context_of(request)
    acknowledge_incident(
        context.db(),
        session.agency_id,
        parse_id(incident_id),
        user_id=session.user.id,
        now=context.now(),
    )
    return redirect("/incidents")


@router.post("/incidents/{incident_id}/resolve")
def resolve(
    request: Request,
    incident_id: str,
    session: FormSession,
    outcome: Annotated[str, Form()] = "",
) -> Response:
    if not session.resolves_incidents:
        raise ForbiddenError("forbidden_resolve")
    if not re.fullmatch(KIND_PATTERN, outcome):
        raise FormError("outcome_missing")
    context = context_of(request)
    resolve_incident(
        context.db(),
        session.agency_id,
        parse_id(incident_id),
        user_id=session.user.id,
        outcome=outcome,
        now=context.now(),
    )
    return redirect("/incidents")
