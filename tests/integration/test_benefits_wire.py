"""Benefits across the wire, with a real broker: the agency's catalog and the resident's
profile go retained to the robot (on hand-over, on each change, with a growing version;
removed on return), and the robot's events (a profile said with consent, its deletion, an
appointment request) come back into the fleet.

Each test runs against mosquitto and the embedded broker (see conftest.py).
"""

# The fixtures `broker` and `robot` come from tests.integration.fleet_wire.
# ruff: noqa: F811

from __future__ import annotations

import json

from fleet.config_sync import ConfigPublisher
from fleet.protocol import DesiredConfig, config_topic, decode, event_topic
from fleet.store import benefits as store
from fleet.store import connect_database
from tests.broker import AnyBroker
from tests.fleet_api import Fleet
from tests.integration.fleet_wire import broker, robot  # noqa: F401  (fixtures)
from tests.integration.test_fleet_ingest import Login, running_ingest
from tests.integration.test_reminders_wire import rent, robot_probe
from tests.mqtt_probe import Probe
from tests.support import wait_until
from tests.unit.test_fleet_api_reminders import auth

API = "/api/v1"
RULE = {"fact": "age", "op": "gte", "value": 70}


def configs(probe: Probe, topic: str) -> list[DesiredConfig | None]:
    return [decode(DesiredConfig, m.payload) if m.payload else None for m in probe.received(topic)]


def nsu_rule(config: DesiredConfig | None) -> object:
    assert config is not None and isinstance(config.data, dict)
    return next(m for m in config.data["catalog"]["measures"] if m["id"] == "ru.nsu")["eligibility"]


def test_the_catalog_and_profile_are_retained_for_the_robot_and_its_events_come_back(
    fleet: Fleet, broker: AnyBroker, robot: Login
) -> None:
    broker.start()
    rid, operator, social = (robot.username, auth(fleet, "operator@a.example"),
                             auth(fleet, "social@a.example"))  # fmt: skip
    topic = config_topic(rid, "benefits")
    with running_ingest(fleet, broker) as ingest:
        fleet.context.publish = ingest.publish
        own_db = connect_database(fleet.context.db_path)
        publisher = ConfigPublisher(ingest.publish, ingest.is_connected, own_db, fleet.context.now)
        resident_id, rental_id = rent(fleet, rid)
        publisher.run()  # planned rentals send nothing
        handed = fleet.client.post(f"{API}/rentals/{rental_id}/handover", headers=operator)
        assert handed.status_code == 200, handed.text
        assert publisher.run() == 0  # the hand-over sent everything at once

        # The robot connects later: the broker kept its benefits for it.
        probe = robot_probe(broker, robot)
        probe.subscribe(topic)
        first = probe.wait_for(topic)
        assert (first.retain, first.qos) == (True, 1)
        config = decode(DesiredConfig, first.payload)
        assert config.version == 1 and isinstance(config.data, dict)
        assert config.data["profile"] == {"region": "RU-PER"}

        edited = fleet.client.put(f"{API}/benefits/measures/ru.nsu",
                                  json={"eligibility": RULE}, headers=social)  # fmt: skip
        assert edited.status_code == 200, edited.text
        wait_until(lambda: len(probe.received(topic)) == 2, what="the edited catalog")
        second = configs(probe, topic)[1]
        assert second is not None and second.version == 2 and nsu_rule(second) == RULE

        # The resident tells the robot about themselves, with consent.
        said = {"type": "benefits.profile", "ts": fleet.context.now(), "event_id": "p-1",
                "facts": {"disability_group": 2}, "consent": True}  # fmt: skip
        probe.publish(event_topic(rid), json.dumps(said).encode(), qos=1)
        wait_until(lambda: len(probe.received(topic)) == 3, what="the profile to come back")
        third = configs(probe, topic)[2]
        assert third is not None and third.version == 3
        assert third.data["profile"] == {"disability_group": 2, "region": "RU-PER"}  # type: ignore[call-overload]
        stored = store.get_profile(fleet.context.db(), fleet.agency_a, resident_id)
        assert stored.source == "voice"

        request = {"type": "appointment.request", "ts": fleet.context.now(), "event_id": "q-1",
                   "agency_id": "perm.kcson", "measure_ids": ["ru.nsu"],
                   "note": "Запишите"}  # fmt: skip
        probe.publish(event_topic(rid), json.dumps(request).encode(), qos=1)
        wait_until(
            lambda: bool(store.list_appointment_requests(fleet.context.db(), fleet.agency_a,
                                                         resident_id)),
            what="the appointment request",
        )  # fmt: skip
        deleted = {"type": "benefits.profile_deleted", "ts": fleet.context.now(), "event_id": "p-2"}
        probe.publish(event_topic(rid), json.dumps(deleted).encode(), qos=1)
        wait_until(lambda: len(probe.received(topic)) == 4, what="the profile to be forgotten")
        assert configs(probe, topic)[3].data["profile"] == {"region": "RU-PER"}  # type: ignore[union-attr,call-overload]
        assert publisher.run() == 0  # all of it was already sent

        returned = fleet.client.post(f"{API}/rentals/{rental_id}/return", headers=operator)
        assert returned.status_code == 200, returned.text
        wait_until(lambda: len(probe.received(topic)) == 5, what="the benefits to be removed")
        assert probe.received(topic)[4].payload == b""
