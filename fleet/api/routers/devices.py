"""Assistive devices: a resident's registry (`cfg/devices`) and the health of the devices.

Everyone of the agency reads; those who edit residents edit the registry. A saved
change goes to the resident's robot at once (retained `cfg/devices`, see
`fleet.config_sync`); without a broker, the service's periodic sync sends it.
"""

from __future__ import annotations

from typing import cast

import sqlite_utils
from fastapi import APIRouter

from fleet import config_sync
from fleet.api.deps import Context, CurrentUser, Db
from fleet.api.routers.residents import ResidentEditor
from fleet.api.schemas import NOT_FOUND, SIGNED_IN, Reply, store_errors
from fleet.context import FleetContext
from fleet.protocol import DeviceRole, DevicesConfig, DeviceSpec
from fleet.store import devices as store
from fleet.store.accounts import User
from fleet.store.devices import ResidentDevices, StoredRegistry

router = APIRouter(prefix="/residents", tags=["devices"], responses=SIGNED_IN)


class RegistryOut(Reply):
    resident_id: int
    version: int
    updated_at: float | None
    devices: dict[str, DeviceSpec]
    notify_caregiver_on_night_door: bool


class DeviceHealthOut(Reply):
    device: str
    role: DeviceRole | None  # None: an unregistered device the robot did not know either
    room: str
    registered: bool
    reported: bool
    online: bool | None
    battery_pct: float | None
    battery_low: bool
    last_seen: float | None
    problem: str
    updated_at: float | None
    issues: list[str]


class DevicesStatusOut(Reply):
    resident_id: int
    robot_id: str | None
    devices: list[DeviceHealthOut]


@router.get(
    "/{resident_id}/devices", summary="A resident's assistive device registry", responses=NOT_FOUND
)
def get_devices(resident_id: int, user: CurrentUser, db: Db) -> RegistryOut:
    with store_errors():
        return _out(store.get_registry(db, user.agency_id, resident_id))


@router.put(
    "/{resident_id}/devices",
    summary="Replace a resident's device registry and send it to their robot",
    description="Devices are keyed by their Zigbee2MQTT friendly name. Refused (422, "
    "naming the field) for an unknown role, a name that is not a friendly name, too many "
    "devices, or compartments that are not numbers 1-31 of a pill_dispenser. The version "
    "grows with every change.",
    responses=NOT_FOUND,
)
def put_devices(
    resident_id: int, body: DevicesConfig, user: ResidentEditor, context: Context, db: Db
) -> RegistryOut:
    with store_errors():
        stored = save_registry(context, db, user, resident_id, body)
    return _out(stored)


@router.get(
    "/{resident_id}/devices/status",
    summary="The health of the devices in a resident's home, as their robot reports it",
    description="The registry's devices first (`reported` false if the robot has not "
    "reported one since it was handed over), then devices the robot saw paired that the "
    "registry does not list (`registered` false). `issues` names what needs a person: "
    "`offline`, `battery_low`, and the robot's own word (`garbage`, `flooding`, ...).",
    responses=NOT_FOUND,
)
def get_device_status(resident_id: int, user: CurrentUser, db: Db) -> DevicesStatusOut:
    with store_errors():
        found = store.resident_devices(db, user.agency_id, resident_id)
    return status_out(found)


# helpers


def save_registry(
    context: FleetContext,
    db: sqlite_utils.Database,
    user: User,
    resident_id: int,
    registry: DevicesConfig,
) -> StoredRegistry:
    """Store (404/InvalidRegistryError as the store says) and send to the robot if changed."""
    now = context.now()
    stored, changed = store.put_registry(
        db, user.agency_id, resident_id, registry, user_id=user.id, now=now
    )
    if changed:
        robots = config_sync.robots_of_resident(db, resident_id)
        config_sync.sync_robots(context.publish, context.mqtt_connected, db, robots, now,
                                kinds=(config_sync.DEVICES,))  # fmt: skip
    return stored


def status_out(found: ResidentDevices) -> DevicesStatusOut:
    devices = []
    for health in found.devices:
        status = health.status
        devices.append(
            DeviceHealthOut(
                device=health.device,
                role=cast(DeviceRole, health.role) if health.role else None,
                room=health.room,
                registered=health.registered,
                reported=status is not None,
                online=None if status is None else status.online,
                battery_pct=None if status is None else status.battery_pct,
                battery_low=False if status is None else status.battery_low,
                last_seen=None if status is None else status.last_seen,
                problem="" if status is None else status.problem,
                updated_at=None if status is None else status.updated_at,
                issues=health.issues,
            )
        )
    return DevicesStatusOut(resident_id=found.resident_id, robot_id=found.robot_id,
                            devices=devices)  # fmt: skip


def _out(stored: StoredRegistry) -> RegistryOut:
    return RegistryOut(
        resident_id=stored.resident_id,
        version=stored.version,
        updated_at=stored.updated_at,
        devices=dict(stored.registry.devices),
        notify_caregiver_on_night_door=stored.registry.notify_caregiver_on_night_door,
    )
