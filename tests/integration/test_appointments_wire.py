"""Appointments across the wire, with a real broker: the agency's free slots and the
resident's appointments go retained to the robot (`cfg/appointments`, on hand-over and on
each change), a booking said to the robot comes back and changes them, a taken slot is
refused, and a rating marks the appointment rated.

Each test runs against mosquitto and the embedded broker (see conftest.py).
"""

# The fixtures `broker` and `robot` come from tests.integration.fleet_wire.
# ruff: noqa: F811

from __future__ import annotations

import json
from typing import Any

from fleet.protocol import DesiredConfig, config_topic, decode, event_topic
from fleet.store import appointments as store
from tests.broker import AnyBroker
from tests.fleet_api import Fleet
from tests.integration.fleet_wire import broker, robot  # noqa: F401  (fixtures)
from tests.integration.test_fleet_ingest import Login, running_ingest
from tests.integration.test_reminders_wire import rent, robot_probe
from tests.mqtt_probe import Probe
from tests.support import wait_until
from tests.unit.test_fleet_api_reminders import auth

API = "/api/v1"


def data_of(probe: Probe, topic: str, index: int) -> dict[str, Any]:
    config = decode(DesiredConfig, probe.received(topic)[index].payload)
    assert isinstance(config.data, dict)
    return config.data


def test_free_slots_and_bookings_are_retained_for_the_robot_and_a_voice_booking_comes_back(
    fleet: Fleet, broker: AnyBroker, robot: Login
) -> None:
    broker.start()
    rid, social = robot.username, auth(fleet, "social@a.example")
    topic = config_topic(rid, "appointments")
    with running_ingest(fleet, broker) as ingest:
        fleet.context.publish = ingest.publish
        resident_id, rental_id = rent(fleet, rid)
        specialist = fleet.client.post(f"{API}/specialists", json={"name": "Ирина Волкова",
                                       "role": "юрист"}, headers=social).json()["id"]  # fmt: skip
        slots = fleet.client.post(
            f"{API}/specialists/{specialist}/slots",
            json={"starts_at": "2026-11-25T10:00:00+05:00", "weeks": 2, "mode": "video"},
            headers=social,
        ).json()  # fmt: skip
        handed = fleet.client.post(f"{API}/rentals/{rental_id}/handover",
                                   headers=auth(fleet, "operator@a.example"))  # fmt: skip
        assert handed.status_code == 200, handed.text

        # The robot connects later: the broker kept the free slots for it.
        probe = robot_probe(broker, robot)
        probe.subscribe(topic)
        first = probe.wait_for(topic)
        assert (first.retain, first.qos) == (True, 1)
        data = data_of(probe, topic, 0)
        assert [s["slot_id"] for s in data["free_slots"]] == [str(s["id"]) for s in slots]
        assert data["free_slots"][0]["starts_at"] == "2026-11-25T08:00:00+03:00"
        assert data["appointments"] == []

        # The resident books the first slot by voice.
        said = {"type": "appointment.book", "ts": fleet.context.now(), "event_id": "b-1",
                "slot_id": str(slots[0]["id"])}  # fmt: skip
        probe.publish(event_topic(rid), json.dumps(said).encode(), qos=1)
        wait_until(lambda: len(probe.received(topic)) == 2, what="the booking to come back")
        booked = data_of(probe, topic, 1)
        assert [s["slot_id"] for s in booked["free_slots"]] == [str(slots[1]["id"])]
        (appointment,) = booked["appointments"]
        assert (appointment["slot_id"], appointment["status"]) == (str(slots[0]["id"]), "booked")

        # A social worker books the other slot for someone else; the robot sees it go.
        other = fleet.client.post(f"{API}/residents", json={"full_name": "Борис"},
                                  headers=social).json()["id"]  # fmt: skip
        taken = fleet.client.post(f"{API}/residents/{other}/appointments",
                                  json={"slot_id": slots[1]["id"]}, headers=social)  # fmt: skip
        assert taken.status_code == 201, taken.text
        wait_until(lambda: len(probe.received(topic)) == 3, what="the slot to be gone")
        assert data_of(probe, topic, 2)["free_slots"] == []

        # Asking for it anyway is refused and kept for the dashboard.
        late = {**said, "event_id": "b-2", "slot_id": str(slots[1]["id"])}
        probe.publish(event_topic(rid), json.dumps(late).encode(), qos=1)
        wait_until(lambda: bool(store.list_refusals(fleet.context.db(), fleet.agency_a,
                                                    resident_id)), what="the refusal")  # fmt: skip

        # After the visit the robot sends the rating; the appointment shows it as rated.
        fleet.client.post(f"{API}/appointments/{appointment['appointment_id']}/done",
                          headers=social)  # fmt: skip
        wait_until(lambda: len(probe.received(topic)) == 4, what="the visit marked done")
        rating = {"type": "service.rating", "ts": fleet.context.now(), "event_id": "r-1",
                  "appointment_id": appointment["appointment_id"],
                  "scores": {"courtesy": 5, "information": 4}, "comment": ""}  # fmt: skip
        probe.publish(event_topic(rid), json.dumps(rating).encode(), qos=1)
        wait_until(lambda: len(probe.received(topic)) == 5, what="the rating to come back")
        (rated,) = data_of(probe, topic, 4)["appointments"]
        assert (rated["status"], rated["rated"]) == ("done", True)
