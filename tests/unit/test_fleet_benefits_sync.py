"""What each robot is sent of its agency's catalog and its resident's profile, and when
(`fleet.config_sync`, no broker: a recorder); reminders share the mechanism untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from fleet import config_sync
from fleet.config_sync import BENEFITS, REMINDERS, ConfigPublisher, sync_all, sync_robot
from fleet.protocol import DesiredConfig, config_topic, decode
from fleet.store import benefits as store
from fleet.store import open_database
from fleet.store.accounts import create_agency
from fleet.store.reminders import put_schedule
from fleet.store.rentals import create_rental, hand_over, return_rental
from fleet.store.residents import create_resident, update_resident
from fleet.store.robots import create_robot
from homecare.clock import ManualClock
from tests.fleet_api import START
from tests.unit.test_fleet_reminders_sync import Recorder, schedule

NOW = START.timestamp()
# The kinds these tests count (cfg/appointments has its own tests).
KINDS = (REMINDERS, BENEFITS)


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_database(tmp_path / "fleet.db", ManualClock(START))


def rent(db: sqlite_utils.Database, agency: int, robot: str, name: str, day: str) -> int:
    resident = create_resident(db, agency, {"full_name": name}, user_id=None, now=NOW)
    rental = create_rental(db, agency, robot_id=robot, resident_id=resident, starts_on=day,
                           user_id=None, now=NOW)  # fmt: skip
    hand_over(db, agency, rental, user_id=None, now=NOW)
    return resident


def benefits_sent(publish: Recorder, robot: str) -> list[dict[str, Any] | None]:
    topic = config_topic(robot, "benefits")
    out: list[dict[str, Any] | None] = []
    for sent_topic, payload, qos, retain in publish.sent:
        if sent_topic == topic:
            assert (qos, retain) == (1, True)
            out.append(decode(DesiredConfig, payload).model_dump() if payload else None)
    return out


def set_rule(db: sqlite_utils.Database, agency: int, rule: dict[str, Any]) -> None:
    edit = store.patch_item("measures", "ru.nsu", {"eligibility": rule})
    store.change_catalog(db, agency, edit, user_id=None, now=NOW)


def test_catalog_profile_and_resident_changes_each_raise_the_robots_version(
    db: sqlite_utils.Database,
) -> None:
    agency = create_agency(db, "A", "RU-PER", 0.0)
    robot = create_robot(db, agency, serial="S", model="M", password_hash="x", user_id=None,
                         now=NOW)  # fmt: skip
    publish = Recorder()
    assert sync_robot(publish, db, robot, NOW, kinds=KINDS) == 0  # in stock: nothing to hold

    anna = rent(db, agency, robot, "Анна", "2026-11-23")
    assert sync_robot(publish, db, robot, NOW, kinds=(BENEFITS,)) == 1
    assert sync_robot(publish, db, robot, NOW, kinds=KINDS) == 0  # no schedule; benefits sent
    first = benefits_sent(publish, robot)[0]
    assert first is not None and first["version"] == 1
    assert first["data"]["catalog"]["version"] == "1"
    assert first["data"]["profile"] == {"region": "RU-PER"}

    set_rule(db, agency, {"fact": "age", "op": "gte", "value": 70})
    store.put_profile(db, agency, anna, {"has_ipra": True}, source="staff", user_id=None, now=NOW)
    update_resident(db, agency, anna, {"disability_group": 1}, user_id=None, now=NOW + 1)
    assert sync_all(publish, db, NOW, kinds=KINDS) == 1  # all three in one message
    latest = benefits_sent(publish, robot)[-1]
    assert latest is not None and latest["version"] == 2
    assert latest["data"]["profile"] == {"has_ipra": True, "disability_group": 1,
                                         "region": "RU-PER"}  # fmt: skip
    nsu = next(m for m in latest["data"]["catalog"]["measures"] if m["id"] == "ru.nsu")
    assert nsu["eligibility"] == {"fact": "age", "op": "gte", "value": 70}

    store.delete_profile(db, agency, anna, user_id=None, now=NOW)
    store.put_profile(db, agency, anna, {"has_ipra": True}, source="staff", user_id=None, now=NOW)
    assert sync_all(publish, db, NOW, kinds=KINDS) == 1  # same facts, a new profile version

    rental = db.execute("SELECT id FROM rentals WHERE robot_id = ?", (robot,)).fetchone()[0]
    return_rental(db, agency, rental, user_id=None, now=NOW)
    assert sync_all(publish, db, NOW, kinds=KINDS) == 1
    assert benefits_sent(publish, robot)[-1] is None  # the broker forgets the retained one
    assert sync_all(publish, db, NOW, kinds=KINDS) == 0

    db.execute("UPDATE robots SET status = 'in_stock' WHERE id = ?", (robot,))
    rent(db, agency, robot, "Борис", "2026-11-24")
    assert sync_all(publish, db, NOW, kinds=KINDS) == 1
    versions = [m["version"] if m else None for m in benefits_sent(publish, robot)]
    assert versions == [1, 2, 3, None, 4]  # per robot: it keeps growing across residents


def test_reminders_and_benefits_go_out_together_on_a_hand_over_and_after_a_reconnect(
    db: sqlite_utils.Database,
) -> None:
    agency = create_agency(db, "A", "RU-PER", 0.0)
    robot = create_robot(db, agency, serial="S", model="M", password_hash="x", user_id=None,
                         now=NOW)  # fmt: skip
    resident = create_resident(db, agency, {"full_name": "Анна"}, user_id=None, now=NOW)
    put_schedule(db, agency, resident, schedule("Анна"), user_id=None, now=NOW)
    rental = create_rental(db, agency, robot_id=robot, resident_id=resident,
                           starts_on="2026-11-23", user_id=None, now=NOW)  # fmt: skip
    hand_over(db, agency, rental, user_id=None, now=NOW)
    publish, connected = Recorder(), [True]
    assert config_sync.sync_one_robot(publish, lambda: connected[0], db, robot, NOW) is True
    assert sorted(topic for topic, *_ in publish.sent) == [
        config_topic(robot, "appointments"), config_topic(robot, "benefits"),
        config_topic(robot, "reminders"),
    ]  # fmt: skip

    publisher = ConfigPublisher(publish, lambda: connected[0], db, lambda: NOW, kinds=KINDS)
    assert publisher.run() == 2  # the first run after connecting sends everything again
    assert publisher.run() == 0
    connected[0] = False
    assert publisher.run() == 0
    connected[0] = True
    assert publisher.run() == 2
    assert [m["version"] if m else None for m in benefits_sent(publish, robot)] == [1, 1, 1]
    only_reminders = ConfigPublisher(publish, lambda: True, db, lambda: NOW, kinds=(REMINDERS,))
    assert only_reminders.run() == 1


def test_a_failed_publish_is_retried_and_marks_nothing(db: sqlite_utils.Database) -> None:
    agency = create_agency(db, "A", "RU-PER", 0.0)
    robot = create_robot(db, agency, serial="S", model="M", password_hash="x", user_id=None,
                         now=NOW)  # fmt: skip
    rent(db, agency, robot, "Анна", "2026-11-23")
    publish = Recorder()
    publish.failing = True
    assert sync_all(publish, db, NOW, kinds=KINDS) == 0
    publish.failing = False
    assert sync_all(publish, db, NOW, kinds=KINDS) == 1
    assert config_sync.sync_robots(None, None, db, [robot], NOW, kinds=KINDS) == 0  # no broker
