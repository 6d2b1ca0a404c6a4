"""Keeping each rented robot's retained `cfg/{kind}` messages equal to what the store says.

One mechanism for every kind of configuration (reminders, benefits, appointments, devices,
later others).
A `ConfigKind` says, for a robot, what it should hold (`Desired`: a cheap `stamp`
that changes whenever the content does, and how to build the data) and remembers
what was sent. `sync_robot` publishes the difference: a retained QoS 1
`DesiredConfig` when the stamp differs, and an empty retained message (the broker
forgets its copy) once the rental is over, so the next resident's robot never starts
with the last one's data. The robot itself forgets them with the wipe.

It runs right after a change (a schedule or catalog saved, a profile changed, a robot
handed over or taken back) and, as `ConfigPublisher`, every few seconds in the
service: that catches changes made while no broker was attached and changes made
elsewhere, and after each (re)connect it sends everything again, because a broker
restart (the embedded one keeps nothing) loses retained messages.

Versions: reminders carry their schedule's version (one sequence over all residents).
Benefits carry a version counted per robot, one more than the last one sent, so it
grows on every change of the catalog, the profile or the resident, and across
residents. Devices, too (the registry's own version is per resident).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlite_utils

from fleet.protocol import DesiredConfig, config_topic, encode
from fleet.store import appointments as appointments_store
from fleet.store import benefits as benefits_store
from fleet.store import devices as devices_store
from fleet.store import reminders as reminders_store

log = logging.getLogger("fleet.config_sync")

Publish = Callable[[str, bytes, int, bool], None]
CLEARED = b""  # an empty retained message: the broker forgets the topic's retained one


@dataclass(frozen=True)
class Desired:
    """What a robot should hold of one kind."""

    resident_id: int
    stamp: str  # equal stamps: equal content (no need to build it to compare)
    version: int | None  # None: one more than the version last sent to this robot
    build: Callable[[], dict[str, Any] | list[Any]]


@dataclass(frozen=True)
class Sent:
    stamp: str | None  # None: cleared (the row stays so versions keep growing)
    version: int


class ConfigKind(Protocol):
    name: str

    def desired(self, db: sqlite_utils.Database, robot_id: str, now: float) -> Desired | None:
        """What the robot should hold now; None: nothing (no active rental)."""

    def sent(self, db: sqlite_utils.Database, robot_id: str) -> Sent | None: ...

    def mark_sent(
        self, db: sqlite_utils.Database, robot_id: str, desired: Desired, version: int, now: float
    ) -> None: ...

    def mark_cleared(self, db: sqlite_utils.Database, robot_id: str, now: float) -> None: ...

    def holders(self, db: sqlite_utils.Database) -> list[str]:
        """Robots whose retained config of this kind is still at the broker."""


class TablePublications:
    """What was sent, kept in `config_publications` (one row per robot and kind)."""

    name = ""

    def sent(self, db: sqlite_utils.Database, robot_id: str) -> Sent | None:
        row = db.execute(
            "SELECT stamp, version FROM config_publications WHERE robot_id = ? AND kind = ?",
            (robot_id, self.name),
        ).fetchone()
        return None if row is None else Sent(row[0], int(row[1]))

    def mark_sent(
        self, db: sqlite_utils.Database, robot_id: str, desired: Desired, version: int, now: float
    ) -> None:
        self._write(db, robot_id, desired.stamp, version, now)

    def mark_cleared(self, db: sqlite_utils.Database, robot_id: str, now: float) -> None:
        sent = self.sent(db, robot_id)
        self._write(db, robot_id, None, sent.version if sent else 0, now)

    def holders(self, db: sqlite_utils.Database) -> list[str]:
        rows = db.execute(
            "SELECT robot_id FROM config_publications WHERE kind = ? AND stamp IS NOT NULL",
            (self.name,),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def _write(
        self, db: sqlite_utils.Database, robot_id: str, stamp: str | None, version: int,
        now: float,
    ) -> None:  # fmt: skip
        db.execute(
            "INSERT INTO config_publications (robot_id, kind, stamp, version, published_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (robot_id, kind) DO UPDATE SET"
            " stamp = excluded.stamp, version = excluded.version,"
            " published_at = excluded.published_at",
            (robot_id, self.name, stamp, version, now),
        )


class BenefitsConfig(TablePublications):
    """`cfg/benefits`: the agency's catalog and the resident's known facts."""

    name = "benefits"

    def desired(self, db: sqlite_utils.Database, robot_id: str, now: float) -> Desired | None:
        held = benefits_store.holding(db, robot_id, now)
        if held is None:
            return None
        return Desired(
            held.resident_id, held.stamp, None,
            lambda: benefits_store.config_data(db, held, now),
        )  # fmt: skip


class AppointmentsConfig(TablePublications):
    """`cfg/appointments`: the agency's free slots and the resident's appointments.

    Free slots are a window that moves with time, so the stamp is a digest of the data.
    """

    name = "appointments"

    def desired(self, db: sqlite_utils.Database, robot_id: str, now: float) -> Desired | None:
        row = db.execute(
            "SELECT r.agency_id, r.resident_id FROM rentals r"
            " JOIN residents p ON p.id = r.resident_id AND p.erased_at IS NULL"
            " WHERE r.robot_id = ? AND r.status = 'active'",
            (robot_id,),
        ).fetchone()
        if row is None:
            return None
        data = appointments_store.config_data(db, int(row[0]), int(row[1]), now)
        return Desired(int(row[1]), appointments_store.stamp_of(data), None, lambda: data)


class DevicesConfigKind(TablePublications):
    """`cfg/devices`: the resident's device registry, once one was saved for them.

    A resident without one gets nothing (the robot keeps its own, e.g. from robot.yaml);
    the stamp names the resident and the registry's version.
    """

    name = "devices"

    def desired(self, db: sqlite_utils.Database, robot_id: str, now: float) -> Desired | None:
        row = db.execute(
            "SELECT r.resident_id FROM rentals r"
            " JOIN residents p ON p.id = r.resident_id AND p.erased_at IS NULL"
            " WHERE r.robot_id = ? AND r.status = 'active'",
            (robot_id,),
        ).fetchone()
        stored = None if row is None else devices_store.find_registry(db, int(row[0]))
        if stored is None:
            return None
        return Desired(
            stored.resident_id, f"{stored.resident_id}:{stored.version}", None,
            lambda: stored.registry.model_dump(mode="json"),
        )  # fmt: skip


class ReminderConfig:
    """`cfg/reminders`: the resident's schedule (`fleet.store.reminders` keeps what was sent)."""

    name = "reminders"

    def desired(self, db: sqlite_utils.Database, robot_id: str, now: float) -> Desired | None:
        wanted = reminders_store.assignment(db, robot_id)
        schedule = wanted.schedule
        if schedule is None or wanted.resident_id is None:
            return None
        return Desired(
            wanted.resident_id, f"{wanted.resident_id}:{wanted.version}", wanted.version,
            lambda: schedule.model_dump(mode="json"),
        )  # fmt: skip

    def sent(self, db: sqlite_utils.Database, robot_id: str) -> Sent | None:
        found = reminders_store.publication(db, robot_id)
        if found is None:
            return None
        return Sent(f"{found.resident_id}:{found.version}", found.version)

    def mark_sent(
        self, db: sqlite_utils.Database, robot_id: str, desired: Desired, version: int, now: float
    ) -> None:
        reminders_store.mark_published(db, robot_id, desired.resident_id, version, now)

    def mark_cleared(self, db: sqlite_utils.Database, robot_id: str, now: float) -> None:
        reminders_store.forget_published(db, robot_id)

    def holders(self, db: sqlite_utils.Database) -> list[str]:
        rows = db.execute("SELECT robot_id FROM reminder_publications").fetchall()
        return [str(row[0]) for row in rows]


REMINDERS = ReminderConfig()
BENEFITS = BenefitsConfig()
APPOINTMENTS = AppointmentsConfig()
DEVICES = DevicesConfigKind()
ALL_KINDS: tuple[ConfigKind, ...] = (REMINDERS, BENEFITS, APPOINTMENTS, DEVICES)


def sync_kind(
    kind: ConfigKind,
    publish: Publish,
    db: sqlite_utils.Database,
    robot_id: str,
    now: float,
    *,
    force: bool = False,
) -> bool:
    """Publish what `robot_id` should hold of `kind` if not sent yet (or `force`); True if sent."""
    wanted = kind.desired(db, robot_id, now)
    sent = kind.sent(db, robot_id)
    topic = config_topic(robot_id, kind.name)
    if wanted is None:
        if sent is None or sent.stamp is None:
            return False  # nothing of ours is retained for this robot
        publish(topic, CLEARED, 1, True)
        kind.mark_cleared(db, robot_id, now)
        log.info("config cleared kind=%s robot=%s", kind.name, robot_id)
        return True
    if not force and sent is not None and sent.stamp == wanted.stamp:
        return False
    if wanted.version is not None:
        version = wanted.version
    elif sent is not None and sent.stamp == wanted.stamp:
        version = sent.version  # the same content again (after a reconnect)
    else:
        version = (sent.version if sent else 0) + 1
    config = DesiredConfig(ts=now, version=version, data=wanted.build())
    publish(topic, encode(config), 1, True)
    kind.mark_sent(db, robot_id, wanted, version, now)
    log.info("config sent kind=%s robot=%s version=%d", kind.name, robot_id, version)
    return True


def sync_robot(
    publish: Publish,
    db: sqlite_utils.Database,
    robot_id: str,
    now: float,
    *,
    kinds: Sequence[ConfigKind] = ALL_KINDS,
    force: bool = False,
) -> int:
    """Every kind for one robot; how many messages were sent (failures are logged)."""
    return sum(_sync_quietly(kind, publish, db, robot_id, now, force=force) for kind in kinds)


def sync_all(
    publish: Publish,
    db: sqlite_utils.Database,
    now: float,
    *,
    kinds: Sequence[ConfigKind] = ALL_KINDS,
    force: bool = False,
) -> int:
    sent = 0
    for kind in kinds:
        for robot_id in robots_to_sync(db, kind):
            sent += _sync_quietly(kind, publish, db, robot_id, now, force=force)
    return sent


def sync_robots(
    publish: Publish | None,
    connected: Callable[[], bool] | None,
    db: sqlite_utils.Database,
    robot_ids: Iterable[str],
    now: float,
    *,
    kinds: Sequence[ConfigKind] = ALL_KINDS,
) -> int:
    """After a change: send it to these robots, if a broker is attached (else the periodic
    sync does it later)."""
    if publish is None or (connected is not None and not connected()):
        return 0
    return sum(sync_robot(publish, db, robot_id, now, kinds=kinds) for robot_id in robot_ids)


def sync_one_robot(
    publish: Publish | None,
    connected: Callable[[], bool] | None,
    db: sqlite_utils.Database,
    robot_id: str,
    now: float,
) -> bool:
    """After a hand-over or a return: every kind of configuration."""
    return sync_robots(publish, connected, db, [robot_id], now) > 0


def robots_to_sync(db: sqlite_utils.Database, kind: ConfigKind) -> list[str]:
    """Robots that hold, or should hold, `kind`."""
    rows = db.execute("SELECT robot_id FROM rentals WHERE status = 'active'").fetchall()
    return sorted({str(row[0]) for row in rows} | set(kind.holders(db)))


def robots_of_resident(db: sqlite_utils.Database, resident_id: int) -> list[str]:
    rows = db.execute(
        "SELECT robot_id FROM rentals WHERE resident_id = ? AND status = 'active'",
        (resident_id,),
    ).fetchall()
    return [str(row[0]) for row in rows]


def robots_of_agency(db: sqlite_utils.Database, agency_id: int) -> list[str]:
    rows = db.execute(
        "SELECT robot_id FROM rentals WHERE agency_id = ? AND status = 'active' ORDER BY 1",
        (agency_id,),
    ).fetchall()
    return [str(row[0]) for row in rows]


class ConfigPublisher:
    """The service's periodic sync: everything again after each (re)connect, else changes."""

    def __init__(
        self, publish: Publish, connected: Callable[[], bool], db: sqlite_utils.Database,
        now: Callable[[], float], kinds: Sequence[ConfigKind] = ALL_KINDS,
    ) -> None:  # fmt: skip
        self.publish, self.connected, self.db, self.now = publish, connected, db, now
        self.kinds = kinds
        self._was_connected = False

    def run(self) -> int:
        if not self.connected():
            self._was_connected = False
            return 0
        force = not self._was_connected
        self._was_connected = True
        return sync_all(self.publish, self.db, self.now(), kinds=self.kinds, force=force)


def _sync_quietly(
    kind: ConfigKind,
    publish: Publish,
    db: sqlite_utils.Database,
    robot_id: str,
    now: float,
    *,
    force: bool = False,
) -> bool:
    """A failed publish must not fail the user's request: the periodic sync retries."""
    try:
        return sync_kind(kind, publish, db, robot_id, now, force=force)
    except Exception:
        log.exception("could not send %s to robot %s; retried later", kind.name, robot_id)
        return False
