"""What each robot is sent of its resident's reminders, and when (no broker: a recorder)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from fleet.protocol import DesiredConfig, config_topic, decode
from fleet.reminder_sync import ReminderPublisher, sync_all, sync_robot
from fleet.store import open_database
from fleet.store.accounts import create_agency
from fleet.store.reminders import put_schedule
from fleet.store.rentals import create_rental, hand_over, return_rental
from fleet.store.residents import create_resident
from fleet.store.robots import create_robot
from homecare.clock import ManualClock
from reminders.model import ReminderSchedule, ReminderSpec
from tests.fleet_api import START

NOW = START.timestamp()


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, int, bool]] = []
        self.failing = False

    def __call__(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        if self.failing:
            raise OSError("the MQTT client refused")
        self.sent.append((topic, payload, qos, retain))

    def versions(self) -> list[int | None]:
        return [decode(DesiredConfig, p).version if p else None for _, p, _, _ in self.sent]


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_database(tmp_path / "fleet.db", ManualClock(START))


def schedule(title: str) -> ReminderSchedule:
    spec = ReminderSpec.model_validate(
        {
            "id": "walk",
            "kind": "custom",
            "title": title,
            "start": "2026-11-24T10:00:00",
            "rrule": "FREQ=WEEKLY;BYDAY=MO,TH",
        }
    )
    return ReminderSchedule(timezone="Europe/Moscow", reminders=[spec])


def resident_with_schedule(db: sqlite_utils.Database, agency: int, title: str) -> int:
    resident = create_resident(db, agency, {"full_name": title}, user_id=None, now=NOW)
    put_schedule(db, agency, resident, schedule(title), user_id=None, now=NOW)
    return resident


def test_hand_over_change_return_and_the_next_resident(db: sqlite_utils.Database) -> None:
    agency = create_agency(db, "A", "RU-PER", 0.0)
    robot = create_robot(
        db, agency, serial="S", model="M", password_hash="x", user_id=None, now=NOW
    )
    anna = resident_with_schedule(db, agency, "Анна")  # version 1
    publish = Recorder()
    assert sync_robot(publish, db, robot, NOW) is False  # in stock: nothing to hold

    rental = create_rental(db, agency, robot_id=robot, resident_id=anna, starts_on="2026-11-23",
                           user_id=None, now=NOW)  # fmt: skip
    hand_over(db, agency, rental, user_id=None, now=NOW)
    assert sync_robot(publish, db, robot, NOW) is True
    assert sync_robot(publish, db, robot, NOW) is False  # sent already
    topic, payload, qos, retain = publish.sent[0]
    assert (topic, qos, retain) == (config_topic(robot, "reminders"), 1, True)
    data = decode(DesiredConfig, payload).data
    assert isinstance(data, dict) and data["reminders"][0]["title"] == "Анна"

    put_schedule(db, agency, anna, schedule("Анна, прогулка"), user_id=None, now=NOW)
    assert sync_all(publish, db, NOW) == 1
    assert publish.versions() == [1, 2]

    return_rental(db, agency, rental, user_id=None, now=NOW)
    assert sync_all(publish, db, NOW) == 1
    assert publish.sent[-1][1:] == (b"", 1, True)  # the broker forgets the retained one
    assert sync_all(publish, db, NOW) == 0

    boris = resident_with_schedule(db, agency, "Борис")  # version 3
    db.execute("UPDATE robots SET status = 'in_stock' WHERE id = ?", (robot,))
    second = create_rental(db, agency, robot_id=robot, resident_id=boris,
                           starts_on="2026-11-24", user_id=None, now=NOW)  # fmt: skip
    hand_over(db, agency, second, user_id=None, now=NOW)
    assert sync_all(publish, db, NOW) == 1
    assert publish.versions() == [1, 2, None, 3]  # versions keep growing on the robot


def test_the_periodic_sync_waits_for_the_broker_and_resends_after_a_reconnect(
    db: sqlite_utils.Database,
) -> None:
    agency = create_agency(db, "A", "RU-PER", 0.0)
    robot = create_robot(
        db, agency, serial="S", model="M", password_hash="x", user_id=None, now=NOW
    )
    anna = resident_with_schedule(db, agency, "Анна")
    rental = create_rental(db, agency, robot_id=robot, resident_id=anna, starts_on="2026-11-23",
                           user_id=None, now=NOW)  # fmt: skip
    hand_over(db, agency, rental, user_id=None, now=NOW)
    publish, connected = Recorder(), [False]
    publisher = ReminderPublisher(publish, lambda: connected[0], db, lambda: NOW)
    assert publisher.run() == 0 and publish.sent == []

    connected[0] = True
    publish.failing = True
    assert publisher.run() == 0  # the client refused: nothing is marked as sent
    publish.failing = False
    connected[0] = False
    assert publisher.run() == 0
    connected[0] = True
    assert publisher.run() == 1
    assert publisher.run() == 0
    connected[0] = False
    publisher.run()
    connected[0] = True  # a new connection: the broker may have lost retained messages
    assert publisher.run() == 1
    assert publish.versions() == [1, 1]
