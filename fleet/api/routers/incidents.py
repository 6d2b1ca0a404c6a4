"""Incidents: what the robots' alerts became, and the humans who take them on.

Every staff role may read and acknowledge (a caregiver answering the phone counts);
closing one with an outcome needs admin, operator or social worker. Times are epoch
seconds, like the rest of the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from fleet.api.deps import HANDLE_INCIDENTS, MANAGE_RESIDENTS, Context, Db
from fleet.api.schemas import (
    CONFLICT,
    NOT_FOUND,
    SIGNED_IN,
    PageOut,
    Paging,
    Reply,
    RequestBody,
    page_fields,
    store_errors,
)
from fleet.api.timestamps import Moment
from fleet.protocol import ID_PATTERN, KIND_PATTERN
from fleet.store import incidents as store
from fleet.store.accounts import User
from fleet.store.incidents import IncidentStatus
from fleet.store.notifications import NotificationStatus, notifications_of

router = APIRouter(prefix="/incidents", tags=["incidents"], responses=SIGNED_IN)

Staff = Annotated[User, Depends(HANDLE_INCIDENTS)]
# Social workers resolve too: they follow up with the resident after a false alarm.
Resolver = Annotated[User, Depends(MANAGE_RESIDENTS)]


class IncidentOut(Reply):
    id: int
    alert_id: str = Field(description="The robot's alert this incident came from.")
    robot_id: str
    kind: str
    severity: str
    details: dict[str, Any]
    raised_at: float = Field(description="When the robot raised the alert (epoch seconds).")
    received_at: float = Field(description="When the fleet committed it (epoch seconds).")
    status: IncidentStatus
    acknowledged_by: int | None = Field(description="Id of the user who acknowledged it first.")
    acknowledged_by_name: str | None
    acknowledged_at: float | None
    resolved_at: float | None
    outcome: str | None


class NotificationOut(Reply):
    """One escalation delivery: to whom, how, and what became of it."""

    step: int = Field(description="Position in the escalation chain, from 0.")
    who: str
    channel: str
    target: str
    attempts: int
    status: NotificationStatus
    last_error: str
    queued_at: float
    sent_at: float | None


class IncidentDetailOut(IncidentOut):
    notifications: list[NotificationOut] = Field(
        description="Every escalation delivery made for it, oldest first."
    )


class Resolution(RequestBody):
    outcome: str = Field(
        pattern=KIND_PATTERN,
        description="What happened, as a short code: false_alarm, help_sent, ...",
        examples=["false_alarm", "help_sent"],
    )


@router.get("", summary="The agency's incidents, newest first")
def list_incidents(
    *,
    user: Staff,
    db: Db,
    paging: Paging,
    robot_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    incident_status: Annotated[IncidentStatus | None, Query(alias="status")] = None,
    kind: Annotated[str | None, Query(pattern=KIND_PATTERN)] = None,
    since: Annotated[
        Moment | None, Query(description="Raised at or after: ISO 8601 or epoch seconds.")
    ] = None,
    after_id: Annotated[
        int | None, Query(ge=0, description="Only incidents newer than this id (live views).")
    ] = None,
) -> PageOut[IncidentOut]:
    page = store.list_incidents(
        db,
        user.agency_id,
        status=incident_status,
        robot_id=robot_id,
        kind=kind,
        since=since,
        after_id=after_id,
        limit=paging.limit,
        offset=paging.offset,
    )
    items = [IncidentOut.model_validate(incident) for incident in page.items]
    return PageOut[IncidentOut](items=items, **page_fields(page))


@router.get(
    "/{incident_id}", summary="One incident, with its escalation deliveries", responses=NOT_FOUND
)
def get_incident(incident_id: int, user: Staff, db: Db) -> IncidentDetailOut:
    with store_errors():
        incident = store.get_incident(db, user.agency_id, incident_id)
    sent = notifications_of(db, [incident.id]).get(incident.id, [])
    return IncidentDetailOut.model_validate(
        {**IncidentOut.model_validate(incident).model_dump(), "notifications": sent}
    )


@router.post(
    "/{incident_id}/ack",
    summary="Acknowledge: a human has taken it on (again: no change)",
    responses={**NOT_FOUND, **CONFLICT},
)
def acknowledge_incident(incident_id: int, user: Staff, context: Context, db: Db) -> IncidentOut:
    with store_errors():
        incident = store.acknowledge_incident(
            db, user.agency_id, incident_id, user_id=user.id, now=context.now()
        )
    return IncidentOut.model_validate(incident)


@router.post(
    "/{incident_id}/resolve",
    summary="Close it with an outcome",
    responses={**NOT_FOUND, **CONFLICT},
)
def resolve_incident(
    incident_id: int, body: Resolution, user: Resolver, context: Context, db: Db
) -> IncidentOut:
    with store_errors():
        incident = store.resolve_incident(
            db,
            user.agency_id,
            incident_id,
            user_id=user.id,
            outcome=body.outcome,
            now=context.now(),
        )
    return IncidentOut.model_validate(incident)
