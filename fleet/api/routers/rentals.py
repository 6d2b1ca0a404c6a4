"""Rentals: plan, hand over, return (which wipes the robot's data), cancel."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import sqlite_utils
from fastapi import APIRouter, Depends, Query, status
from pydantic import Field, model_validator

from fleet.api.deps import MANAGE_FLEET, MANAGE_RESIDENTS, Context, CurrentUser, Db
from fleet.api.schemas import (
    CONFLICT,
    NOT_FOUND,
    SIGNED_IN,
    NotNull,
    PageOut,
    Paging,
    Reply,
    RequestBody,
    page_fields,
    store_errors,
)
from fleet.context import FleetContext
from fleet.protocol import ID_PATTERN
from fleet.reminder_sync import sync_one_robot
from fleet.store import rentals as store
from fleet.store.accounts import User
from fleet.store.rentals import RentalStatus, WipeStatus
from fleet.wipes import return_and_wipe, wipe_again

router = APIRouter(prefix="/rentals", tags=["rentals"], responses=SIGNED_IN)

# Social workers arrange rentals with residents; handing over and taking back the
# hardware (and wiping it) is the fleet staff's job.
RentalPlanner = Annotated[User, Depends(MANAGE_RESIDENTS)]
FleetManager = Annotated[User, Depends(MANAGE_FLEET)]
LIFECYCLE = {**NOT_FOUND, **CONFLICT}


class RentalCreate(RequestBody):
    robot_id: str = Field(pattern=ID_PATTERN, examples=["r-abcdefghij"])
    resident_id: int = Field(ge=1)
    starts_on: date
    ends_on: date | None = Field(default=None, description="Planned end; null: open-ended.")

    @model_validator(mode="after")
    def _ends_after_start(self) -> RentalCreate:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class RentalPatch(RequestBody):
    """`starts_on` while planned; `ends_on` (null: open-ended) while planned or active."""

    starts_on: Annotated[date | None, NotNull] = None
    ends_on: date | None = None


class RentalOut(Reply):
    id: int
    robot_id: str
    resident_id: int
    starts_on: date
    ends_on: date | None
    status: RentalStatus
    created_at: float
    handed_over_at: float | None
    returned_at: float | None
    wipe: WipeStatus = Field(
        description="Data wipe after the return: none (not returned), pending (not sent yet), "
        "requested (sent, no answer), confirmed, failed."
    )
    wipe_req_id: str | None
    wipe_requested_at: float | None
    wipe_confirmed_at: float | None
    wipe_failed_at: float | None
    wipe_detail: str


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Plan a rental of an in-stock robot to a resident",
    responses=LIFECYCLE,
)
def create_rental(body: RentalCreate, user: RentalPlanner, context: Context, db: Db) -> RentalOut:
    with store_errors():
        rental_id = store.create_rental(
            db,
            user.agency_id,
            robot_id=body.robot_id,
            resident_id=body.resident_id,
            starts_on=body.starts_on.isoformat(),
            ends_on=body.ends_on.isoformat() if body.ends_on else None,
            user_id=user.id,
            now=context.now(),
        )
        return _out(db, user, rental_id)


@router.get("", summary="The agency's rentals, newest first")
def list_rentals(
    *,
    user: CurrentUser,
    db: Db,
    paging: Paging,
    rental_status: Annotated[RentalStatus | None, Query(alias="status")] = None,
    robot_id: Annotated[str | None, Query(max_length=64)] = None,
    resident_id: int | None = None,
) -> PageOut[RentalOut]:
    page = store.list_rentals(
        db,
        user.agency_id,
        status=rental_status,
        robot_id=robot_id,
        resident_id=resident_id,
        limit=paging.limit,
        offset=paging.offset,
    )
    items = [RentalOut.model_validate(rental) for rental in page.items]
    return PageOut[RentalOut](items=items, **page_fields(page))


@router.get("/{rental_id}", summary="One rental", responses=NOT_FOUND)
def get_rental(rental_id: int, user: CurrentUser, db: Db) -> RentalOut:
    with store_errors():
        return _out(db, user, rental_id)


@router.patch("/{rental_id}", summary="Move a rental's dates", responses=LIFECYCLE)
def update_rental(
    rental_id: int, body: RentalPatch, user: RentalPlanner, context: Context, db: Db
) -> RentalOut:
    changes = body.model_dump(mode="json", exclude_unset=True)
    with store_errors():
        store.update_rental(
            db, user.agency_id, rental_id, changes, user_id=user.id, now=context.now()
        )
        return _out(db, user, rental_id)


@router.post(
    "/{rental_id}/handover",
    summary="Hand the robot over: planned -> active, robot rented",
    responses=LIFECYCLE,
)
def hand_over(rental_id: int, user: FleetManager, context: Context, db: Db) -> RentalOut:
    with store_errors():
        store.hand_over(db, user.agency_id, rental_id, user_id=user.id, now=context.now())
        rental = _out(db, user, rental_id)
    _sync_reminders(context, db, rental)
    return rental


@router.post(
    "/{rental_id}/return",
    summary="Take the robot back: active -> returned, robot to maintenance, data wiped",
    description="Sends the robot a `wipe` command. Without a broker connection the wipe "
    "stays `pending` and is sent when the service connects.",
    responses=LIFECYCLE,
)
def return_rental(rental_id: int, user: FleetManager, context: Context, db: Db) -> RentalOut:
    with store_errors():
        return_and_wipe(
            context.publish, db, user.agency_id, rental_id, user_id=user.id, now=context.now()
        )
        rental = _out(db, user, rental_id)
    _sync_reminders(context, db, rental)
    return rental


@router.post("/{rental_id}/cancel", summary="Cancel a planned rental", responses=LIFECYCLE)
def cancel_rental(rental_id: int, user: RentalPlanner, context: Context, db: Db) -> RentalOut:
    with store_errors():
        store.cancel_rental(db, user.agency_id, rental_id, user_id=user.id, now=context.now())
        return _out(db, user, rental_id)


@router.post(
    "/{rental_id}/wipe",
    summary="Send the data wipe again (after a failure or no answer)",
    responses=LIFECYCLE,
)
def request_wipe(rental_id: int, user: FleetManager, context: Context, db: Db) -> RentalOut:
    with store_errors():
        wipe_again(
            context.publish, db, user.agency_id, rental_id, user_id=user.id, now=context.now()
        )
        return _out(db, user, rental_id)


def _sync_reminders(context: FleetContext, db: sqlite_utils.Database, rental: RentalOut) -> None:
    """The robot gets its new resident's schedule at once (or the broker forgets the last one's);
    without a broker the service's periodic sync does it."""
    sync_one_robot(context.publish, context.mqtt_connected, db, rental.robot_id, context.now())


def _out(db: sqlite_utils.Database, user: User, rental_id: int) -> RentalOut:
    return RentalOut.model_validate(store.get_rental(db, user.agency_id, rental_id))
