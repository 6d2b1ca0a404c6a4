"""Video consultations: a specialist calls a resident's robot and joins the call in a browser.

Admins, operators and social workers start, join and end calls; all staff read them.
Starting one rings the resident's rented robot (`ring` on `call/{id}`); the browser then
joins the signalling socket `signal_path` with the short-lived `token` (see
`fleet.web.call_signal`). Another agency's consultations answer 404.
"""

from __future__ import annotations

from typing import Annotated

import sqlite_utils
from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import Field

from fleet.api.deps import CALLERS, Context, CurrentUser, Db, require_roles
from fleet.api.schemas import CONFLICT, NOT_FOUND, SIGNED_IN, Reply, RequestBody, store_errors
from fleet.calls import CallHub, CallToken, issue_call_token
from fleet.context import FleetContext
from fleet.store import consultations as store
from fleet.store.accounts import User
from fleet.store.consultations import Consultation

Caller = Annotated[User, Depends(require_roles(*CALLERS))]

router = APIRouter(prefix="/consultations", tags=["consultations"], responses=SIGNED_IN)


class ConsultationIn(RequestBody):
    resident_id: int = Field(ge=1)
    appointment_id: int | None = Field(default=None, ge=1, description="A video appointment.")
    request_id: int | None = Field(
        default=None, ge=1, description="The resident's voice request this call answers."
    )


class HangupIn(RequestBody):
    reason: str = Field(default="", max_length=300)


class ConsultationOut(Reply):
    id: int
    resident_id: int
    resident_name: str
    robot_id: str
    appointment_id: int | None
    caller_user_id: int | None
    caller_name: str
    caller_role: str
    origin: str
    state: str
    reason: str
    created_at: float
    updated_at: float
    connected_at: float | None
    ended_at: float | None


class CallEventOut(Reply):
    state: str
    reason: str
    by: str
    ts: float


class ConsultationDetailOut(ConsultationOut):
    events: list[CallEventOut]


class CallTokenOut(Reply):
    token: str
    expires_at: float
    signal_path: str


class StartedOut(ConsultationOut):
    token: str
    expires_at: float
    signal_path: str


def _hub(context: FleetContext) -> CallHub:
    if context.calls is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="video calls need the fleet's MQTT broker, which is not attached",
        )
    return context.calls


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses={**NOT_FOUND, **CONFLICT},
    summary="Call a resident's robot (it rings; the reply has the token to join)",
)  # fmt: skip
def start(body: ConsultationIn, user: Caller, context: Context, db: Db) -> StartedOut:
    hub = _hub(context)
    with store_errors():
        found = hub.start_call(db, user.agency_id, user, body.resident_id,
                               appointment_id=body.appointment_id, request_id=body.request_id,
                               now=context.now())  # fmt: skip
    token = issue_call_token(context, user, found)
    return StartedOut.model_validate({**found.__dict__, **_token_fields(token)})


@router.get("", summary="The agency's consultations, newest first")
def list_all(
    user: CurrentUser, db: Db,
    resident_id: Annotated[int | None, Query(ge=1)] = None,
    active: Annotated[bool, Query(description="Only requested or in-progress ones.")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[ConsultationOut]:  # fmt: skip
    found = store.list_consultations(db, user.agency_id, resident_id=resident_id,
                                     active_only=active, limit=limit)  # fmt: skip
    return [ConsultationOut.model_validate(c) for c in found]


@router.get("/{consultation_id}", summary="One consultation with its events",
            responses=NOT_FOUND)  # fmt: skip
def get_one(consultation_id: int, user: CurrentUser, db: Db) -> ConsultationDetailOut:
    with store_errors():
        return detail_out(db, store.get_consultation(db, user.agency_id, consultation_id))


@router.post("/{consultation_id}/token", responses={**NOT_FOUND, **CONFLICT},
             summary="A short-lived token to join (or rejoin) the call's socket")  # fmt: skip
def token(consultation_id: int, user: Caller, context: Context, db: Db) -> CallTokenOut:
    with store_errors():
        found = store.get_consultation(db, user.agency_id, consultation_id)
    if found.final:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            detail=f"consultation {consultation_id} has {found.state}")  # fmt: skip
    return CallTokenOut.model_validate(_token_fields(issue_call_token(context, user, found)))


@router.post("/{consultation_id}/hangup", responses={**NOT_FOUND, **CONFLICT},
             summary="End the call (or dismiss a voice request)")  # fmt: skip
def hangup(
    consultation_id: int, user: Caller, context: Context, db: Db, body: HangupIn | None = None
) -> ConsultationOut:
    with store_errors():
        store.get_consultation(db, user.agency_id, consultation_id)  # 404 before 503
        found = _hub(context).hang_up(db, user.agency_id, consultation_id,
                            reason=body.reason if body is not None else "", by="specialist",
                            now=context.now(), user_id=user.id)  # fmt: skip
    return ConsultationOut.model_validate(found)


def detail_out(db: sqlite_utils.Database, found: Consultation) -> ConsultationDetailOut:
    events = store.consultation_events(db, found.agency_id, found.id)
    return ConsultationDetailOut.model_validate(
        {**found.__dict__, "events": [CallEventOut.model_validate(e) for e in events]}
    )


def _token_fields(token: CallToken) -> dict[str, object]:
    return {"token": token.token, "expires_at": token.expires_at,
            "signal_path": token.signal_path}  # fmt: skip
