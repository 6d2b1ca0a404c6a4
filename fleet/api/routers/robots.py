"""Robots: provisioning with MQTT credentials, status, and the fleet list with presence."""

from __future__ import annotations

from typing import Annotated, Literal

import sqlite_utils
from fastapi import APIRouter, Depends, Query, status
from pydantic import Field

from fleet.api.deps import MANAGE_FLEET, Context, CurrentUser, Db
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
from fleet.context import FleetContext
from fleet.mqtt_passwords import hash_mqtt_password, new_mqtt_password
from fleet.store import robots as store
from fleet.store.accounts import User
from fleet.store.robots import Robot, RobotStatus

router = APIRouter(prefix="/robots", tags=["robots"], responses=SIGNED_IN)

FleetManager = Annotated[User, Depends(MANAGE_FLEET)]
SERIAL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/:-]*$"


class RobotCreate(RequestBody):
    serial: str = Field(min_length=1, max_length=64, pattern=SERIAL_PATTERN, examples=["HC2-0042"])
    model: str = Field(min_length=1, max_length=64, examples=["HomeCare 2"])
    firmware: str = Field(default="", max_length=64)


class RobotPatch(RequestBody):
    """Fields left out (or null) stay as they are. `rented` comes only from a rental."""

    model: str | None = Field(default=None, min_length=1, max_length=64)
    firmware: str | None = Field(default=None, max_length=64)
    status: Literal["in_stock", "maintenance", "retired"] | None = None


class RobotOut(Reply):
    id: str = Field(description="The robot id: its MQTT username and the {rid} of its topics.")
    serial: str
    model: str
    firmware: str
    status: RobotStatus
    created_at: float
    online: bool = Field(description="Seen within the presence timeout and not lost/disconnected.")
    state: str | None = Field(description="The robot's last reported state, if any.")
    last_seen: float | None = Field(description="Epoch seconds of the robot's last message.")
    battery_pct: float | None
    charging: bool | None
    rental_id: int | None = Field(description="The robot's open (planned or active) rental.")
    resident_id: int | None
    rental_status: str | None


class MqttCredentials(Reply):
    mqtt_username: str
    mqtt_password: str = Field(description="Shown only in this answer; the fleet keeps a hash.")


class RobotCreated(RobotOut):
    mqtt_username: str
    mqtt_password: str = Field(description="Shown only in this answer; the fleet keeps a hash.")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Provision a robot and issue its MQTT credentials",
    responses=CONFLICT,
)
def create_robot(body: RobotCreate, user: FleetManager, context: Context, db: Db) -> RobotCreated:
    password = new_mqtt_password()
    with store_errors():
        robot_id = store.create_robot(
            db,
            user.agency_id,
            serial=body.serial,
            model=body.model,
            firmware=body.firmware,
            password_hash=hash_mqtt_password(password),
            user_id=user.id,
            now=context.now(),
        )
    robot = _get(context, db, user, robot_id)
    return RobotCreated(
        **RobotOut.model_validate(robot).model_dump(),
        mqtt_username=robot.id,
        mqtt_password=password,
    )


@router.get("", summary="The agency's robots, by serial, with presence")
def list_robots(
    *,
    user: CurrentUser,
    context: Context,
    db: Db,
    paging: Paging,
    robot_status: Annotated[RobotStatus | None, Query(alias="status")] = None,
    online: bool | None = None,
    q: Annotated[str | None, Query(max_length=64, description="Part of the serial.")] = None,
) -> PageOut[RobotOut]:
    page = store.list_robots(
        db,
        user.agency_id,
        now=context.now(),
        policy=context.presence,
        status=robot_status,
        online=online,
        q=q,
        limit=paging.limit,
        offset=paging.offset,
    )
    items = [RobotOut.model_validate(robot) for robot in page.items]
    return PageOut[RobotOut](items=items, **page_fields(page))


@router.get("/{rid}", summary="One robot with presence and its open rental", responses=NOT_FOUND)
def get_robot(rid: str, user: CurrentUser, context: Context, db: Db) -> RobotOut:
    return RobotOut.model_validate(_get(context, db, user, rid))


@router.patch(
    "/{rid}",
    summary="Change a robot's model, firmware or status",
    responses={**NOT_FOUND, **CONFLICT},
)
def update_robot(
    rid: str, body: RobotPatch, user: FleetManager, context: Context, db: Db
) -> RobotOut:
    with store_errors():
        store.update_robot(
            db,
            user.agency_id,
            rid,
            body.model_dump(exclude_none=True),
            user_id=user.id,
            now=context.now(),
        )
    return RobotOut.model_validate(_get(context, db, user, rid))


@router.post(
    "/{rid}/mqtt-password",
    summary="Issue a new MQTT password (the old one stops working)",
    responses=NOT_FOUND,
)
def rotate_mqtt_password(rid: str, user: FleetManager, context: Context, db: Db) -> MqttCredentials:
    password = new_mqtt_password()
    with store_errors():
        store.set_mqtt_password_hash(
            db,
            user.agency_id,
            rid,
            hash_mqtt_password(password),
            user_id=user.id,
            now=context.now(),
        )
    return MqttCredentials(mqtt_username=rid, mqtt_password=password)


def _get(context: FleetContext, db: sqlite_utils.Database, user: User, rid: str) -> Robot:
    with store_errors():
        return store.get_robot(db, user.agency_id, rid, now=context.now(), policy=context.presence)
