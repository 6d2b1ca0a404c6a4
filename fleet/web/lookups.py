"""Names and people the pages show next to ids (who has this robot, who is this rental for)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlite_utils

from fleet.store.common import NotFoundError
from fleet.store.residents import Resident, get_resident
from fleet.store.robots import get_robot


def residents_by_id(
    db: sqlite_utils.Database, agency_id: int, resident_ids: Iterable[int | None]
) -> dict[int, Resident]:
    """The agency's residents among `resident_ids`; erased ones are left out (shown as "—")."""
    found: dict[int, Resident] = {}
    for resident_id in {rid for rid in resident_ids if rid is not None}:
        try:
            found[resident_id] = get_resident(db, agency_id, resident_id)
        except NotFoundError:
            continue
    return found


def residents_by_robot(
    db: sqlite_utils.Database, agency_id: int, robot_ids: Iterable[str], now: float
) -> dict[str, Resident]:
    """The resident each robot is with now (its open rental), for robots that have one."""
    found: dict[str, Resident] = {}
    for robot_id in set(robot_ids):
        try:
            robot = get_robot(db, agency_id, robot_id, now=now)
        except NotFoundError:
            continue
        residents = residents_by_id(db, agency_id, [robot.resident_id])
        if robot.resident_id in residents:
            found[robot_id] = residents[robot.resident_id]
    return found
