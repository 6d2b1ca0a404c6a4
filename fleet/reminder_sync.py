"""Reminders' view of `fleet.config_sync` (kept for its callers; new code imports that).

`sync_robot`, `sync_all`, `sync_resident` and `ReminderPublisher` touch `cfg/reminders`
only; `sync_one_robot` (after a hand-over or a return) sends every kind of
configuration, because a robot changing hands needs all of them.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from fleet import config_sync
from fleet.config_sync import CLEARED, REMINDERS, ConfigPublisher, Publish, sync_one_robot

__all__ = [
    "CLEARED",
    "Publish",
    "ReminderPublisher",
    "sync_all",
    "sync_one_robot",
    "sync_resident",
    "sync_robot",
]


def sync_robot(
    publish: Publish, db: sqlite_utils.Database, robot_id: str, now: float, *, force: bool = False
) -> bool:
    """Publish the robot's reminders if not sent yet (or `force`); True if sent."""
    return config_sync.sync_kind(REMINDERS, publish, db, robot_id, now, force=force)


def sync_all(
    publish: Publish, db: sqlite_utils.Database, now: float, *, force: bool = False
) -> int:
    return config_sync.sync_all(publish, db, now, kinds=(REMINDERS,), force=force)


def sync_resident(
    publish: Publish | None,
    connected: Callable[[], bool] | None,
    db: sqlite_utils.Database,
    resident_id: int,
    now: float,
) -> int:
    """After a schedule change: send it to the resident's robot(s), if a broker is attached."""
    robots = config_sync.robots_of_resident(db, resident_id)
    return config_sync.sync_robots(publish, connected, db, robots, now, kinds=(REMINDERS,))


class ReminderPublisher(ConfigPublisher):
    """The periodic sync of reminders alone (the service runs `ConfigPublisher`)."""

    def __init__(
        self, publish: Publish, connected: Callable[[], bool], db: sqlite_utils.Database,
        now: Callable[[], float],
    ) -> None:  # fmt: skip
        super().__init__(publish, connected, db, now, kinds=(REMINDERS,))
