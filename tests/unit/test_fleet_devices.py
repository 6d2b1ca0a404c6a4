"""Assistive devices in the fleet: the registry per resident (store, API, page), the
`device.status` events robots send (kept once, newest per device), and where the
dashboard shows them (the resident's page, the robot's page, the maintenance badge)."""

from __future__ import annotations

import html as html_module
import json
from collections import Counter
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from fleet.mqtt_ingest import FleetIngest
from fleet.protocol import DesiredConfig, DeviceStatusEvent, config_topic, decode, event_topic
from fleet.store.audit import list_audit
from fleet.store.devices import (
    get_registry,
    record_status,
    resident_devices,
    residents_with_issues,
    robots_with_issues,
)
from fleet.store.rentals import create_rental, hand_over, return_rental
from fleet.store.robots import create_robot, set_robot_status
from homecare.clock import ManualClock
from tests.fleet_api import START, Fleet
from tests.unit.test_fleet_api_reminders import add_resident, auth, rent_robot
from tests.unit.test_fleet_web import sign_in

API = "/api/v1"


def registry(**devices: dict[str, Any]) -> dict[str, Any]:
    listed = devices or {
        "sos_button_1": {"role": "sos_button", "room": "спальня"},
        "bed/pad": {"role": "bed_sensor", "room": "спальня"},
        "pills": {"role": "pill_dispenser", "compartments": {"1": "aspirin-morning"}},
    }
    return {"devices": listed, "notify_caregiver_on_night_door": False}


def put(fleet: Fleet, resident_id: int, body: dict[str, Any], who: str = "social") -> Any:
    return fleet.client.put(
        f"{API}/residents/{resident_id}/devices", json=body, headers=auth(fleet, f"{who}@a.example")
    )


def status(event_id: str, device: str, **fields: Any) -> DeviceStatusEvent:
    return DeviceStatusEvent.model_validate(
        {"event_id": event_id, "device": device, "online": True, **fields}
    )


def capture(fleet: Fleet) -> list[tuple[str, bytes, int, bool]]:
    sent: list[tuple[str, bytes, int, bool]] = []
    fleet.context.publish = lambda *message: sent.append(message)
    fleet.context.mqtt_connected = lambda: True
    return sent


# the registry: API and store


def test_editors_save_a_registry_with_growing_versions_and_everyone_reads_it(
    fleet: Fleet,
) -> None:
    resident = add_resident(fleet)
    empty = fleet.client.get(
        f"{API}/residents/{resident}/devices", headers=auth(fleet, "caregiver@a.example")
    )
    assert empty.status_code == 200
    assert (empty.json()["version"], empty.json()["devices"]) == (0, {})

    first = put(fleet, resident, registry())
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1
    assert first.json()["devices"]["bed/pad"] == {
        "role": "bed_sensor", "room": "спальня", "night_light": False, "front_door": True,
        "compartments": {},
    }  # fmt: skip
    assert put(fleet, resident, registry(), who="operator").json()["version"] == 1  # unchanged
    door = registry(door={"role": "door_sensor", "room": "прихожая"})
    assert put(fleet, resident, door, who="admin").json()["version"] == 2

    refused = put(fleet, resident, registry(), who="caregiver")
    assert refused.status_code == 403 and "social_worker" in refused.json()["detail"]
    stored = get_registry(fleet.context.db(), fleet.agency_a, resident)
    assert (stored.version, list(stored.registry.devices)) == (2, ["door"])

    entries = list_audit(
        fleet.context.db(), fleet.agency_a, object_type="resident", object_id=str(resident)
    ).items
    changes = [entry.changes for entry in entries if entry.action == "update_devices"]
    assert changes == [{"devices": None, "version": [1, 2]}, {"devices": None, "version": [0, 1]}]


@pytest.mark.parametrize(
    ("body", "where", "words"),
    [
        (registry(lamp={"role": "toaster"}), ["body", "devices", "lamp", "role"], "sos_button"),
        (registry(**{"a+b": {"role": "light"}}), ["body", "devices"], "friendly name"),
        (registry(**{"bridge/x": {"role": "light"}}), ["body", "devices"], "friendly name"),
        (registry(**{f"d{n}": {"role": "plug"} for n in range(65)}), ["body", "devices"],
         "at most 64"),
        (registry(lamp={"role": "light", "colour": "red"}), ["body", "devices", "lamp", "colour"],
         "Extra inputs"),
        ({**registry(), "pets": 2}, ["body", "pets"], "Extra inputs"),
        (registry(pills={"role": "pill_dispenser", "compartments": {"zero": "r1"}}),
         ["body", "devices", "pills", "compartments", "zero"], "number from 1 to 31"),
        (registry(lamp={"role": "light", "compartments": {"1": "r1"}}),
         ["body", "devices", "lamp", "compartments"], "only a pill_dispenser"),
    ],
)  # fmt: skip
def test_a_bad_registry_is_refused_naming_the_field(
    fleet: Fleet, body: dict[str, Any], where: list[Any], words: str
) -> None:
    resident = add_resident(fleet)
    response = put(fleet, resident, body)
    assert response.status_code == 422, response.text
    found = [(p["loc"], p["msg"]) for p in response.json()["detail"]]
    assert any(loc == where and words in msg for loc, msg in found), found
    assert get_registry(fleet.context.db(), fleet.agency_a, resident).version == 0


def test_another_agency_gets_404_on_every_device_route(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    b_admin = auth(fleet, "admin@b.example")
    for method, path in (("GET", "devices"), ("PUT", "devices"), ("GET", "devices/status")):
        body = {"json": registry()} if method == "PUT" else {}
        response = fleet.client.request(
            method, f"{API}/residents/{resident}/{path}", headers=b_admin, **body
        )
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"] == f"resident {resident} not found"


def test_the_registry_goes_retained_to_the_residents_robot_on_change_hand_over_and_return(
    fleet: Fleet,
) -> None:
    sent = capture(fleet)
    resident = add_resident(fleet)
    robot_id = rent_robot(fleet, resident)  # handed over in the store: nothing sent by it
    assert put(fleet, resident, registry()).status_code == 200
    assert put(fleet, resident, registry()).status_code == 200  # unchanged: not sent again
    assert len(sent) == 1
    topic, payload, qos, retain = sent[0]
    assert (topic, qos, retain) == (config_topic(robot_id, "devices"), 1, True)
    config = decode(DesiredConfig, payload)
    assert config.version == 1 and isinstance(config.data, dict)
    assert config.data["devices"]["sos_button_1"]["role"] == "sos_button"
    assert config.data["notify_caregiver_on_night_door"] is False

    other = add_resident(fleet)  # no robot: stored, nothing sent
    assert put(fleet, other, registry()).status_code == 200
    assert len(sent) == 1

    # The return clears the robot's copy (the wipe request goes too); the next resident's
    # hand-over sends theirs, with a version that keeps growing for that robot.
    db = fleet.context.db()
    rental = db.execute("SELECT id FROM rentals WHERE robot_id = ?", (robot_id,)).fetchone()[0]
    operator = auth(fleet, "operator@a.example")
    assert fleet.client.post(f"{API}/rentals/{rental}/return", headers=operator).status_code == 200
    devices_topic = config_topic(robot_id, "devices")
    cleared = [message for message in sent if message[0] == devices_topic][-1]
    assert (cleared[1], cleared[3]) == (b"", True)

    set_robot_status(db, fleet.agency_a, robot_id, "in_stock", user_id=None, action="serviced",
                     now=fleet.context.now())  # fmt: skip
    created = fleet.client.post(
        f"{API}/rentals",
        json={"robot_id": robot_id, "resident_id": other, "starts_on": "2026-11-24"},
        headers=operator,
    )
    assert created.status_code == 201, created.text
    handed = fleet.client.post(f"{API}/rentals/{created.json()['id']}/handover", headers=operator)
    assert handed.status_code == 200, handed.text
    latest = decode(DesiredConfig, [m for m in sent if m[0] == devices_topic][-1][1])
    assert latest.version == 2 and isinstance(latest.data, dict)
    assert set(latest.data["devices"]) == {"sos_button_1", "bed/pad", "pills"}


# health from the robots


def test_status_is_kept_once_per_event_and_the_newest_per_device_wins(fleet: Fleet) -> None:
    db, now = fleet.context.db(), fleet.context.now()
    robot = "r-status"
    assert record_status(db, robot, status("e1", "pills", battery_pct=40.0), now - 50, now)
    assert not record_status(db, robot, status("e1", "pills", battery_pct=40.0), now - 50, now)
    low = status("e2", "pills", battery_pct=8.0, battery_low=True, last_seen=now - 20)
    assert record_status(db, robot, low, now - 20, now)
    # Resent late from the robot's outbox: kept as an event, but older than what we hold.
    assert record_status(db, robot, status("e0", "pills", battery_pct=90.0), now - 90, now)
    rows = db.execute(
        "SELECT battery_pct, battery_low, last_seen FROM device_status WHERE robot_id = ?",
        (robot,),
    ).fetchall()
    assert rows == [(8.0, 1, now - 20)]


def test_a_resident_sees_registered_devices_with_health_and_unknown_ones_since_hand_over(
    fleet: Fleet,
) -> None:
    resident = add_resident(fleet)
    assert put(fleet, resident, registry()).status_code == 200
    db, now = fleet.context.db(), fleet.context.now()
    robot_id = rent_robot(fleet, resident, days_ago=1)
    # Reported before this hand-over (the robot's last home): not this resident's.
    db.execute(
        "INSERT INTO device_status (robot_id, device, role, online, battery_low, problem,"
        " event_ts, updated_at) VALUES (?, 'old-home-plug', 'plug', 0, 0, '', ?, ?)",
        (robot_id, now - 3 * 86400, now - 3 * 86400),
    )
    reports = [
        status("s1", "sos_button_1", role="sos_button", battery_pct=5.0, battery_low=True,
               last_seen=now - 60),
        status("s2", "bed/pad", role="bed_sensor", online=False, last_seen=now - 90000),
        status("s3", "0x00158d0001a2b3c4", problem="flooding"),
        status("s4", "pills", role="pill_dispenser", battery_pct=80.0, last_seen=now - 5),
    ]  # fmt: skip
    for report in reports:
        assert record_status(db, robot_id, report, now, now)

    response = fleet.client.get(
        f"{API}/residents/{resident}/devices/status", headers=auth(fleet, "caregiver@a.example")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["robot_id"] == robot_id
    table = {d["device"]: (d["role"], d["room"], d["registered"], d["issues"])
             for d in body["devices"]}  # fmt: skip
    assert table == {
        "bed/pad": ("bed_sensor", "спальня", True, ["offline"]),
        "pills": ("pill_dispenser", "", True, []),
        "sos_button_1": ("sos_button", "спальня", True, ["battery_low"]),
        "0x00158d0001a2b3c4": (None, "", False, ["flooding"]),
    }
    assert [d["device"] for d in body["devices"]][-1] == "0x00158d0001a2b3c4"  # unknown last
    sos = next(d for d in body["devices"] if d["device"] == "sos_button_1")
    assert (sos["online"], sos["battery_pct"], sos["battery_low"], sos["last_seen"]) == (
        True, 5.0, True, now - 60
    )  # fmt: skip

    assert residents_with_issues(db, fleet.agency_a) == {resident}
    assert robots_with_issues(db, [robot_id, "someone-else"]) == {robot_id}
    # The robot goes back: its devices are nobody's now.
    rental = db.execute("SELECT id FROM rentals WHERE robot_id = ?", (robot_id,)).fetchone()[0]
    return_rental(db, fleet.agency_a, rental, user_id=None, now=now)
    after = resident_devices(db, fleet.agency_a, resident)
    assert after.robot_id is None and all(d.status is None for d in after.devices)
    assert residents_with_issues(db, fleet.agency_a) == set()


def test_the_ingest_stores_device_status_events_and_counts_bad_ones(fleet: Fleet) -> None:
    db = fleet.context.db()
    robot_id = create_robot(db, fleet.agency_a, serial="SN-I", model="HC2", password_hash="x",
                            user_id=None, now=0.0)  # fmt: skip
    counters: Counter[str] = Counter()
    ingest = FleetIngest(db, ManualClock(START), "127.0.0.1", 1, counters=counters)

    def deliver(payload: dict[str, Any]) -> None:
        message = mqtt.MQTTMessage(topic=event_topic(robot_id).encode())
        message.payload = json.dumps(payload).encode()
        ingest._on_message(ingest._client, None, message)

    event = {"type": "device.status", "ts": START.timestamp(), "event_id": "d-1",
             "device": "door", "role": "door_sensor", "online": False}  # fmt: skip
    deliver(event)
    deliver(event)  # a QoS 1 repeat
    deliver({**event, "event_id": "d-2", "role": "kettle"})  # not a role
    deliver({**event, "event_id": "d-3", "device": "a+b"})  # not a device name
    deliver({**event, "event_id": "d-4", "battery_pct": 140})
    assert (counters["device_status"], counters["device_status_duplicates"]) == (1, 1)
    assert counters["bad_payloads"] == 3
    assert counters["events"] == 0  # not kept as a generic robot event
    rows = db.execute("SELECT device, role, online FROM device_status").fetchall()
    assert rows == [("door", "door_sensor", 0)]


# the dashboard


def test_the_resident_page_shows_devices_with_problems_and_editors_save_the_registry(
    fleet: Fleet,
) -> None:
    sent = capture(fleet)
    resident = add_resident(fleet)
    robot_id = rent_robot(fleet, resident)
    db, now = fleet.context.db(), fleet.context.now()
    assert put(fleet, resident, registry()).status_code == 200
    record_status(db, robot_id, status("w1", "bed/pad", online=False), now, now)
    record_status(db, robot_id, status("w2", "stray", problem="garbage"), now, now)
    record_status(db, robot_id, status("w3", "pills", battery_pct=77.0), now, now)

    csrf = sign_in(fleet, "social@a.example")
    html = fleet.client.get(f"/residents/{resident}?lang=en").text
    assert 'id="devices"' in html and "Devices in the home" in html
    assert "Need attention: 2" in html
    assert 'class="device device-trouble" data-device="bed/pad"' in html
    assert "offline" in html and "sends garbage" in html
    assert 'class="device device-trouble device-unregistered" data-device="stray"' in html
    assert "not in the list" in html and "77 %" in html
    assert 'class="device" data-device="pills"' in html
    assert 'id="devices-form"' in html and f'value="{csrf}"' in html
    russian = fleet.client.get(f"/residents/{resident}?lang=ru").text
    assert "Устройства в доме" in russian and "не на связи" in russian

    url = f"/residents/{resident}/devices"
    new = json.dumps(registry(lamp={"role": "light", "room": "коридор", "night_light": True}))
    saved = fleet.client.post(url, data={"csrf": csrf, "registry": new}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/residents/{resident}?devices_saved=2#devices"
    shown = fleet.client.get(f"/residents/{resident}?devices_saved=2&lang=en").text
    assert "Device list saved, version 2." in shown and 'data-device="lamp"' in shown
    assert sent[-1][0] == config_topic(robot_id, "devices")
    # The form shows each device without its default fields; sent back unchanged, it is
    # no change at all.
    form = fleet.client.get(f"/residents/{resident}").text
    text = html_module.unescape(form.split('name="registry"')[1].split(">", 1)[1].split("</")[0])
    assert json.loads(text)["devices"]["lamp"] == {"role": "light", "room": "коридор",
                                                   "night_light": True}  # fmt: skip
    again = fleet.client.post(url, data={"csrf": csrf, "registry": text}, follow_redirects=False)
    assert again.headers["location"].endswith("?devices_saved=2#devices")


def test_a_bad_registry_on_the_page_is_explained_and_only_editors_may_save(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    assert put(fleet, resident, registry()).status_code == 200
    db = fleet.context.db()
    csrf = sign_in(fleet, "social@a.example")
    url = f"/residents/{resident}/devices"
    new = json.dumps(registry(lamp={"role": "light"}))
    not_json = fleet.client.post(f"{url}?lang=en",
                                 data={"csrf": csrf, "registry": '{"devices": {'})  # fmt: skip
    assert not_json.status_code == 422
    assert "The list was not saved" in not_json.text
    assert "not JSON: line 1, column 14" in not_json.text
    bad_role = json.dumps(registry(lamp={"role": "toaster"}))
    refused = fleet.client.post(f"{url}?lang=en", data={"csrf": csrf, "registry": bad_role})
    assert refused.status_code == 422
    assert "devices → lamp → role: Input should be" in refused.text
    assert "toaster" in refused.text  # the text typed is kept in the form to be fixed
    huge = fleet.client.post(f"{url}?lang=en", data={"csrf": csrf, "registry": " " * 70_000})
    assert huge.status_code == 422 and "The text is too long (over 64 KB)." in huge.text
    assert get_registry(db, fleet.agency_a, resident).version == 1

    forged = fleet.client.post(url, data={"csrf": "0" * 64, "registry": new})
    assert forged.status_code == 403

    sign_in(fleet, "caregiver@a.example")
    caregiver = fleet.client.get(f"/residents/{resident}?lang=en").text
    assert "Devices in the home" in caregiver and 'id="devices-form"' not in caregiver
    caregiver_csrf = sign_in(fleet, "caregiver@a.example")
    assert fleet.client.post(url, data={"csrf": caregiver_csrf, "registry": new}).status_code == 403

    sign_in(fleet, "admin@b.example")
    assert fleet.client.get(f"/residents/{resident}").status_code == 404


def test_the_robot_page_marks_device_trouble_and_the_lists_render(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    robot_id = rent_robot(fleet, resident)
    db, now = fleet.context.db(), fleet.context.now()
    sign_in(fleet, "operator@a.example")
    fine = fleet.client.get(f"/robots/{robot_id}?lang=en").text
    assert 'id="robot-devices"' in fine and "All devices are fine." in fine

    record_status(db, robot_id, status("b1", "sos", battery_low=True), now, now)
    page = fleet.client.get(f"/robots/{robot_id}?lang=en").text
    assert "Need attention: 1" in page and "battery low" in page
    assert f'href="/residents/{resident}#devices"' in page

    spare = create_robot(db, fleet.agency_a, serial="SN-9", model="HC2", password_hash="x",
                         user_id=None, now=now)  # fmt: skip
    assert 'id="robot-devices"' not in fleet.client.get(f"/robots/{spare}").text
    planned = create_rental(db, fleet.agency_a, robot_id=spare, resident_id=add_resident(fleet),
                            starts_on="2026-11-30", user_id=None, now=now)  # fmt: skip
    assert 'id="robot-devices"' not in fleet.client.get(f"/robots/{spare}").text  # not home yet
    hand_over(db, fleet.agency_a, planned, user_id=None, now=now)
    assert 'id="robot-devices"' in fleet.client.get(f"/robots/{spare}").text

    # The lists compute the maintenance badge (shown once their templates use it).
    for url in ("/residents?lang=en", "/robots?lang=en"):
        assert fleet.client.get(url).status_code == 200
