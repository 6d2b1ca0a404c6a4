"""Assistive devices across the wire, with a real broker: the resident's device registry
goes retained to their robot (`cfg/devices`, on hand-over and on each change, cleared on
return), and a `device.status` event a real MQTT client sends as the robot is stored
once and shown in the API and on the resident's page.

Each test runs against mosquitto and the embedded broker (see conftest.py).
"""

# The fixtures `broker` and `robot` come from tests.integration.fleet_wire.
# ruff: noqa: F811

from __future__ import annotations

import json
from typing import Any

from fleet.protocol import DesiredConfig, config_topic, decode, event_topic
from fleet.store.devices import resident_devices
from tests.broker import AnyBroker
from tests.fleet_api import Fleet
from tests.integration.fleet_wire import broker, robot  # noqa: F401  (fixtures)
from tests.integration.test_appointments_wire import data_of
from tests.integration.test_fleet_ingest import Login, running_ingest
from tests.integration.test_reminders_wire import rent, robot_probe
from tests.support import wait_until
from tests.unit.test_fleet_api_reminders import auth
from tests.unit.test_fleet_web import sign_in

API = "/api/v1"
REGISTRY: dict[str, Any] = {
    "devices": {
        "Кнопка SOS": {"role": "sos_button", "room": "спальня"},
        "bedroom/bed": {"role": "bed_sensor", "room": "спальня"},
    },
    "notify_caregiver_on_night_door": True,
}


def test_the_registry_reaches_the_robot_retained_and_device_health_comes_back(
    fleet: Fleet, broker: AnyBroker, robot: Login
) -> None:
    broker.start()
    rid, social = robot.username, auth(fleet, "social@a.example")
    operator = auth(fleet, "operator@a.example")
    topic = config_topic(rid, "devices")
    with running_ingest(fleet, broker) as ingest:
        fleet.context.publish = ingest.publish
        resident_id, rental_id = rent(fleet, rid)
        saved = fleet.client.put(f"{API}/residents/{resident_id}/devices", json=REGISTRY,
                                 headers=social)  # fmt: skip
        assert saved.status_code == 200, saved.text  # planned rental: nothing sent yet
        handed = fleet.client.post(f"{API}/rentals/{rental_id}/handover", headers=operator)
        assert handed.status_code == 200, handed.text

        # The robot connects later: the broker kept the registry for it.
        probe = robot_probe(broker, robot)
        probe.subscribe(topic)
        first = probe.wait_for(topic)
        assert (first.retain, first.qos) == (True, 1)
        data = data_of(probe, topic, 0)
        assert data["devices"]["Кнопка SOS"]["role"] == "sos_button"
        assert data["notify_caregiver_on_night_door"] is True

        # An edit reaches it at once, with a higher version.
        changed = {**REGISTRY, "devices": {**REGISTRY["devices"],
                   "hall/door": {"role": "door_sensor", "room": "прихожая"}}}  # fmt: skip
        assert fleet.client.put(f"{API}/residents/{resident_id}/devices", json=changed,
                                headers=social).status_code == 200  # fmt: skip
        wait_until(lambda: len(probe.received(topic)) == 2, what="the edited registry")
        second = decode(DesiredConfig, probe.received(topic)[1].payload)
        assert second.version > decode(DesiredConfig, first.payload).version
        assert "hall/door" in data_of(probe, topic, 1)["devices"]

        # The robot reports a device with a low battery (twice: QoS 1 may repeat) and an
        # unregistered one that floods.
        now = fleet.context.now()
        low = {"type": "device.status", "ts": now, "event_id": "dev-1", "device": "Кнопка SOS",
               "role": "sos_button", "online": True, "battery_pct": 7, "battery_low": True,
               "last_seen": now - 30}  # fmt: skip
        flood = {"type": "device.status", "ts": now, "event_id": "dev-2",
                 "device": "0x00124b0001abcdef", "role": "", "online": True,
                 "problem": "flooding"}  # fmt: skip
        for event in (low, low, flood):
            probe.publish(event_topic(rid), json.dumps(event).encode(), qos=1)
        db = fleet.context.db()
        wait_until(lambda: len(resident_devices(db, fleet.agency_a, resident_id).with_issues) == 2,
                   what="the device reports to be stored")  # fmt: skip
        # Counted just after each commit: wait for the counts too, not only the rows.
        counters = fleet.context.ingest_counters
        wait_until(lambda: counters["device_status_duplicates"] == 1,
                   what="the repeat to be recognised")  # fmt: skip
        wait_until(lambda: counters["device_status"] == 2, what="both reports counted")

        health = fleet.client.get(f"{API}/residents/{resident_id}/devices/status",
                                  headers=operator).json()  # fmt: skip
        assert health["robot_id"] == rid
        by_name = {d["device"]: d for d in health["devices"]}
        assert (by_name["Кнопка SOS"]["issues"], by_name["Кнопка SOS"]["battery_pct"]) == (
            ["battery_low"], 7.0
        )  # fmt: skip
        assert (by_name["0x00124b0001abcdef"]["registered"],
                by_name["0x00124b0001abcdef"]["issues"]) == (False, ["flooding"])  # fmt: skip
        assert by_name["hall/door"]["reported"] is False

        sign_in(fleet, "operator@a.example")
        page = fleet.client.get(f"/residents/{resident_id}?lang=en").text
        assert "Need attention: 2" in page and "battery low" in page and "floods messages" in page

        # The return clears the robot's retained copy.
        returned = fleet.client.post(f"{API}/rentals/{rental_id}/return", headers=operator)
        assert returned.status_code == 200, returned.text
        wait_until(lambda: len(probe.received(topic)) == 3, what="the registry to be cleared")
        assert probe.received(topic)[2].payload == b""
