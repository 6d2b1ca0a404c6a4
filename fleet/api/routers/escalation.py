"""Escalation: who is told about an unacknowledged incident, how, and after how long.

A resident's chain is edited by those who edit residents; the agency's duty channels
and webhook signing secret by its admins. Targets are checked here (URL or e-mail
address by channel); the runner (`fleet.escalation_runner`) does the sending.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends
from pydantic import Field, field_validator, model_validator

from fleet.api.deps import ADMIN_ONLY, MANAGE_RESIDENTS, Context, CurrentUser, Db
from fleet.api.schemas import NOT_FOUND, SIGNED_IN, Reply, RequestBody, store_errors
from fleet.escalation import MAX_DEADLINE_S, MIN_DEADLINE_S, Channel, Who
from fleet.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from fleet.store import escalation as store
from fleet.store.accounts import User

router = APIRouter(tags=["escalation"], responses=SIGNED_IN)

ResidentEditor = Annotated[User, Depends(MANAGE_RESIDENTS)]
Admin = Annotated[User, Depends(ADMIN_ONLY)]
MAX_STEPS = 10
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]+$")


def check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or " " in value:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value


def check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an e-mail address like name@example.org")
    return value


class StepIn(RequestBody):
    who: Who = Field(description="operator_on_duty (the agency's duty channel) or contact.")
    channel: Channel
    target: str = Field(
        default="",
        max_length=500,
        description="URL (webhook) or address (email); for operator_on_duty it may be left "
        "empty: the agency's duty webhook or e-mail is used.",
    )
    contact_name: str = Field(default="", max_length=200, examples=["Мария (дочь)"])
    deadline_s: int = Field(
        ge=MIN_DEADLINE_S,
        le=MAX_DEADLINE_S,
        description="Seconds this step has to acknowledge before the next step is told.",
    )

    @model_validator(mode="after")
    def _target_fits_channel(self) -> StepIn:
        if not self.target:
            if self.who == "contact":
                raise ValueError("a contact's step needs a target (URL or e-mail address)")
            return self
        check = check_url if self.channel == "webhook" else check_email
        try:
            check(self.target)
        except ValueError as error:
            raise ValueError(f"target {error}") from None
        return self


class ChainIn(RequestBody):
    steps: list[StepIn] = Field(min_length=1, max_length=MAX_STEPS)


class StepOut(Reply):
    who: Who
    channel: Channel
    target: str
    contact_name: str
    deadline_s: int


class ChainOut(Reply):
    resident_id: int
    steps: list[StepOut]
    uses_agency_default: bool = Field(
        description="No chain of its own: the agency's duty channels are told."
    )


class AgencyEscalationIn(RequestBody):
    """Fields left out are cleared (this is a PUT): send the ones to keep."""

    duty_webhook_url: str | None = Field(default=None, max_length=500)
    duty_email: str | None = Field(default=None, max_length=254)
    rotate_secret: bool = Field(
        default=False, description="Make a new webhook signing secret (receivers need it)."
    )

    @field_validator("duty_webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_url(value) if value else None

    @field_validator("duty_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return check_email(value) if value else None


class AgencyEscalationOut(Reply):
    duty_webhook_url: str | None
    duty_email: str | None
    webhook_secret: str = Field(
        description=f"Signs webhooks: {SIGNATURE_HEADER} is sha256=HMAC-SHA256(secret, "
        f"'<{TIMESTAMP_HEADER}>.' + raw body) in hex. Keep it secret."
    )
    updated_at: float


def _chain(db: Db, agency_id: int, resident_id: int) -> ChainOut:
    steps = store.resident_steps(db, agency_id, resident_id)
    return ChainOut(
        resident_id=resident_id,
        steps=[StepOut.model_validate(step) for step in steps],
        uses_agency_default=not steps,
    )


@router.get(
    "/residents/{resident_id}/escalation",
    summary="A resident's escalation chain",
    responses=NOT_FOUND,
)
def get_chain(resident_id: int, user: CurrentUser, db: Db) -> ChainOut:
    with store_errors():
        return _chain(db, user.agency_id, resident_id)


@router.put(
    "/residents/{resident_id}/escalation",
    summary="Set a resident's escalation chain (ordered steps)",
    responses=NOT_FOUND,
)
def put_chain(
    resident_id: int, body: ChainIn, user: ResidentEditor, context: Context, db: Db
) -> ChainOut:
    steps = [store.StoredStep(**step.model_dump()) for step in body.steps]
    with store_errors():
        store.set_resident_steps(
            db, user.agency_id, resident_id, steps, user_id=user.id, now=context.now()
        )
        return _chain(db, user.agency_id, resident_id)


@router.get("/agency/escalation", summary="The agency's duty channels and signing secret")
def get_agency_escalation(user: Admin, context: Context, db: Db) -> AgencyEscalationOut:
    settings = store.agency_escalation(db, user.agency_id, context.now())
    return AgencyEscalationOut.model_validate(settings)


@router.put("/agency/escalation", summary="Set the duty channels; rotate the signing secret")
def put_agency_escalation(
    body: AgencyEscalationIn, user: Admin, context: Context, db: Db
) -> AgencyEscalationOut:
    settings = store.update_agency_escalation(
        db,
        user.agency_id,
        duty_webhook_url=body.duty_webhook_url,
        duty_email=body.duty_email,
        rotate_secret=body.rotate_secret,
        user_id=user.id,
        now=context.now(),
    )
    return AgencyEscalationOut.model_validate(settings)
