"""Assistive devices: each resident's registry (`cfg/devices`) and the health robots report.

A registry (`fleet.protocol.DevicesConfig`: which paired Zigbee device is what, in which
room) is kept whole, as JSON, per resident, with a `version` that grows on every change.
A change is audited by the parts that changed only, as reminders are.

Health comes from the robots as `device.status` events (QoS 1, so possibly twice): each
event is kept once per robot and `event_id`, and only the newest per (robot, device) is
kept (an older event arriving late, e.g. resent from the robot's outbox, changes nothing).
A robot reports the devices of the home it is in, so a resident sees only what their
robot reported since it was handed over to them: the last home's devices are not theirs.

Times are UTC epoch seconds from the caller's injected clock (`now`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from fleet.protocol import DevicesConfig, DeviceStatusEvent
from fleet.store import audit
from fleet.store.common import FieldProblem, InvalidFieldsError, write_transaction
from fleet.store.residents import get_resident

# What the dashboard highlights (besides `problem`, which the robot names itself).
OFFLINE = "offline"
BATTERY_LOW = "battery_low"
MAX_COMPARTMENT = 31


@dataclass(frozen=True)
class StoredRegistry:
    resident_id: int
    version: int  # 0: never set (an empty registry)
    registry: DevicesConfig
    updated_at: float | None
    updated_by: int | None


RegistryProblem = FieldProblem


class InvalidRegistryError(InvalidFieldsError):
    """A registry the store refuses, naming every problem."""


@dataclass(frozen=True)
class DeviceStatus:
    """The newest health a robot reported for one device."""

    robot_id: str
    device: str
    role: str  # as the robot knew it; "" when not in the robot's registry
    online: bool
    battery_pct: float | None
    battery_low: bool
    last_seen: float | None
    problem: str
    event_ts: float
    updated_at: float


@dataclass(frozen=True)
class DeviceHealth:
    """One device of a resident's home: from the registry, from the robot, or both."""

    device: str
    role: str  # the registry's role; the robot's for an unregistered device ("" if none)
    room: str
    registered: bool
    status: DeviceStatus | None  # None: the robot has not reported it (since hand-over)

    @property
    def issues(self) -> list[str]:
        """What needs a person: offline, battery low, and the robot's own problem word."""
        if self.status is None:
            return []
        found = [] if self.status.online else [OFFLINE]
        if self.status.battery_low:
            found.append(BATTERY_LOW)
        if self.status.problem:
            found.append(self.status.problem)
        return found


@dataclass(frozen=True)
class ResidentDevices:
    resident_id: int
    robot_id: str | None  # the robot of the active rental; None: no robot at home
    devices: list[DeviceHealth]

    @property
    def with_issues(self) -> list[DeviceHealth]:
        return [device for device in self.devices if device.issues]


# registries


def get_registry(db: sqlite_utils.Database, agency_id: int, resident_id: int) -> StoredRegistry:
    """The resident's registry (empty, version 0, if none was set); 404 if not the agency's."""
    get_resident(db, agency_id, resident_id)
    return _registry(db, agency_id, resident_id) or StoredRegistry(
        resident_id, 0, DevicesConfig(), None, None
    )


def find_registry(db: sqlite_utils.Database, resident_id: int) -> StoredRegistry | None:
    """The stored registry of a resident of any agency (for the robot's `cfg/devices`)."""
    row = db.execute(
        "SELECT agency_id FROM device_registries WHERE resident_id = ?", (resident_id,)
    ).fetchone()
    return None if row is None else _registry(db, int(row[0]), resident_id)


def put_registry(
    db: sqlite_utils.Database,
    agency_id: int,
    resident_id: int,
    registry: DevicesConfig,
    *,
    user_id: int | None,
    now: float,
) -> tuple[StoredRegistry, bool]:
    """Replace the resident's registry after `check_registry`; (stored, changed).

    Raises `InvalidRegistryError` naming every problem; an identical registry is not
    written again (its version stays).
    """
    problems = check_registry(registry)
    if problems:
        raise InvalidRegistryError(problems)
    with write_transaction(db):
        current = get_registry(db, agency_id, resident_id)
        if current.version and current.registry == registry:
            return current, False
        version = current.version + 1
        db.execute(
            "INSERT INTO device_registries (resident_id, agency_id, version, registry,"
            " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (resident_id)"
            " DO UPDATE SET version = excluded.version, registry = excluded.registry,"
            " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            (resident_id, agency_id, version, registry.model_dump_json(), now, user_id),
        )
        parts = [
            name
            for name in ("devices", "notify_caregiver_on_night_door")
            if getattr(current.registry, name) != getattr(registry, name)
        ]
        audit.record(
            db,
            agency_id,
            user_id=user_id,
            action="update_devices",
            object_type="resident",
            object_id=resident_id,
            changes={**audit.field_names(parts), "version": [current.version, version]},
            now=now,
        )
    return StoredRegistry(resident_id, version, registry, now, user_id), True


def check_registry(registry: DevicesConfig) -> list[RegistryProblem]:
    """What the model alone does not check: compartments are numbers 1-31, on dispensers."""
    problems: list[RegistryProblem] = []
    for name, spec in registry.devices.items():
        where: tuple[str | int, ...] = ("devices", name, "compartments")
        if spec.compartments and spec.role != "pill_dispenser":
            problems.append(RegistryProblem(where, "only a pill_dispenser has compartments"))
            continue
        for number, reminder_id in spec.compartments.items():
            if not number.isdigit() or not 1 <= int(number) <= MAX_COMPARTMENT:
                problems.append(
                    RegistryProblem(
                        (*where, number),
                        f"compartment {number!r} is not a number from 1 to {MAX_COMPARTMENT}",
                    )
                )
            elif not reminder_id.strip():
                problems.append(
                    RegistryProblem((*where, number), "name the reminder this compartment holds")
                )
    return problems


def _registry(db: sqlite_utils.Database, agency_id: int, resident_id: int) -> StoredRegistry | None:
    row = db.execute(
        "SELECT version, registry, updated_at, updated_by FROM device_registries"
        " WHERE agency_id = ? AND resident_id = ?",
        (agency_id, resident_id),
    ).fetchone()
    if row is None:
        return None
    return StoredRegistry(
        resident_id, int(row[0]), DevicesConfig.model_validate_json(row[1]), row[2], row[3]
    )


# health from the robots


def record_status(
    db: sqlite_utils.Database, robot_id: str, event: DeviceStatusEvent, ts: float, now: float
) -> bool:
    """Keep one `device.status` event (sent at `ts`); False for a repeat of an event_id.

    The device's row changes only if this event is not older than the one it holds.
    """
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO device_status_events (robot_id, event_id, received_at)"
            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (robot_id, event.event_id, now),
        )
        if cursor.rowcount != 1:
            return False
        db.execute(
            "INSERT INTO device_status (robot_id, device, role, online, battery_pct,"
            " battery_low, last_seen, problem, event_ts, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (robot_id, device) DO UPDATE SET"
            " role = excluded.role, online = excluded.online,"
            " battery_pct = excluded.battery_pct, battery_low = excluded.battery_low,"
            " last_seen = excluded.last_seen, problem = excluded.problem,"
            " event_ts = excluded.event_ts, updated_at = excluded.updated_at"
            " WHERE excluded.event_ts >= device_status.event_ts",
            (
                robot_id, event.device, event.role, int(event.online), event.battery_pct,
                int(event.battery_low), event.last_seen, event.problem, ts, now,
            ),
        )  # fmt: skip
    return True


def robot_statuses(
    db: sqlite_utils.Database, robot_id: str, *, since: float | None = None
) -> list[DeviceStatus]:
    """The newest health of each device the robot reported (received at or after `since`)."""
    rows = db.execute(
        f"{_STATUS_SELECT} WHERE robot_id = ? AND updated_at >= ? ORDER BY device",
        (robot_id, 0.0 if since is None else since),
    ).fetchall()
    return [_status(row) for row in rows]


def resident_devices(
    db: sqlite_utils.Database, agency_id: int, resident_id: int
) -> ResidentDevices:
    """The registry's devices with their health, then the robot's unregistered ones."""
    registry = get_registry(db, agency_id, resident_id).registry
    rental = db.execute(
        "SELECT robot_id, handed_over_at FROM rentals WHERE agency_id = ? AND resident_id = ?"
        " AND status = 'active' ORDER BY id DESC LIMIT 1",
        (agency_id, resident_id),
    ).fetchone()
    robot_id = None if rental is None else str(rental[0])
    reported = {} if rental is None else {
        status.device: status for status in robot_statuses(db, robot_id or "", since=rental[1])
    }  # fmt: skip
    devices = [
        DeviceHealth(name, spec.role, spec.room, True, reported.pop(name, None))
        for name, spec in sorted(registry.devices.items())
    ]
    devices += [
        DeviceHealth(name, status.role, "", False, status)
        for name, status in sorted(reported.items())
    ]
    return ResidentDevices(resident_id, robot_id, devices)


def residents_with_issues(db: sqlite_utils.Database, agency_id: int) -> set[int]:
    """Residents whose robot reports a device offline, with a low battery or in trouble."""
    rows = db.execute(
        "SELECT DISTINCT r.resident_id FROM rentals r JOIN device_status s"
        " ON s.robot_id = r.robot_id AND s.updated_at >= COALESCE(r.handed_over_at, 0)"
        f" WHERE r.agency_id = ? AND r.status = 'active' AND {_ISSUE}",
        (agency_id,),
    ).fetchall()
    return {int(row[0]) for row in rows}


def robots_with_issues(db: sqlite_utils.Database, robot_ids: Iterable[str]) -> set[str]:
    """Which of these robots report a device in trouble (in the home they are in now)."""
    wanted = list(robot_ids)
    if not wanted:
        return set()
    rows = db.execute(
        "SELECT DISTINCT s.robot_id FROM device_status s JOIN rentals r"
        " ON r.robot_id = s.robot_id AND r.status = 'active'"
        " AND s.updated_at >= COALESCE(r.handed_over_at, 0)"
        f" WHERE s.robot_id IN ({', '.join('?' * len(wanted))}) AND {_ISSUE}",
        wanted,
    ).fetchall()
    return {str(row[0]) for row in rows}


_ISSUE = "(s.online = 0 OR s.battery_low = 1 OR s.problem != '')"
_STATUS_SELECT = (
    "SELECT robot_id, device, role, online, battery_pct, battery_low, last_seen, problem,"
    " event_ts, updated_at FROM device_status"
)


def _status(row: tuple[Any, ...]) -> DeviceStatus:
    robot_id, device, role, online, battery_pct, battery_low, *rest = row
    return DeviceStatus(robot_id, device, role, bool(online), battery_pct, bool(battery_low),
                        *rest)  # fmt: skip
