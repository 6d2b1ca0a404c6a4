"""Robots API: provisioning with MQTT credentials, presence, the paged list, status changes."""

from __future__ import annotations

import json
import re

from fleet.mqtt_passwords import verify_mqtt_password
from fleet.protocol import ID_PATTERN, RobotState, Telemetry
from fleet.store import record_state, record_telemetry
from fleet.store.robots import list_robots
from tests.fleet_api import Fleet

ROBOTS = "/api/v1/robots"


def _create(fleet: Fleet, headers: dict[str, str], serial: str) -> dict[str, object]:
    response = fleet.client.post(ROBOTS, json={"serial": serial, "model": "HC2"}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _stored_hash(fleet: Fleet, robot_id: object) -> str:
    row = (
        fleet.context.db()
        .execute("SELECT mqtt_password_hash FROM robots WHERE id = ?", (robot_id,))
        .fetchone()
    )
    return str(row[0])


def test_provisioning_returns_the_id_and_mqtt_credentials_once(fleet: Fleet) -> None:
    robot = _create(fleet, fleet.headers("operator@a.example"), "HC-0001")
    robot_id, password = str(robot["id"]), str(robot["mqtt_password"])
    assert re.fullmatch(r"r-[a-z2-7]{10}", robot_id)
    assert re.fullmatch(ID_PATTERN, robot_id)
    assert robot["mqtt_username"] == robot_id
    assert (robot["serial"], robot["model"], robot["status"]) == ("HC-0001", "HC2", "in_stock")
    stored = _stored_hash(fleet, robot_id)
    assert stored.startswith("$7$") and password not in stored
    assert verify_mqtt_password(stored, password)
    shown = fleet.client.get(f"{ROBOTS}/{robot_id}", headers=fleet.headers("admin@a.example"))
    assert "mqtt_password" not in shown.json()


def test_a_duplicate_serial_is_409_even_in_another_agency(fleet: Fleet) -> None:
    _create(fleet, fleet.headers("admin@a.example"), "HC-0001")
    for email in ("admin@a.example", "admin@b.example"):
        response = fleet.client.post(
            ROBOTS, json={"serial": "HC-0001", "model": "HC2"}, headers=fleet.headers(email)
        )
        assert response.status_code == 409
        assert response.json()["detail"] == "a robot with serial 'HC-0001' already exists"


def test_rotating_the_mqtt_password_replaces_the_old_one(fleet: Fleet) -> None:
    headers = fleet.headers("admin@a.example")
    robot = _create(fleet, headers, "HC-0001")
    response = fleet.client.post(f"{ROBOTS}/{robot['id']}/mqtt-password", headers=headers)
    assert response.status_code == 200
    new = response.json()
    assert new["mqtt_username"] == robot["id"]
    stored = _stored_hash(fleet, robot["id"])
    assert verify_mqtt_password(stored, new["mqtt_password"])
    assert not verify_mqtt_password(stored, str(robot["mqtt_password"]))


def test_detail_shows_presence_battery_and_goes_offline_after_silence(fleet: Fleet) -> None:
    headers = fleet.headers("caregiver@a.example")
    robot_id = str(_create(fleet, fleet.headers("admin@a.example"), "HC-0001")["id"])
    url = f"{ROBOTS}/{robot_id}"
    before = fleet.client.get(url, headers=headers).json()
    assert (before["online"], before["state"], before["last_seen"]) == (False, None, None)

    db, now = fleet.context.db(), fleet.context.now()
    record_state(db, robot_id, RobotState(state="ready", ts=now, fw="1.4.2"), now)
    record_telemetry(db, [(robot_id, Telemetry(ts=now, battery_pct=81.5, charging=True))], now)
    seen = fleet.client.get(url, headers=headers).json()
    assert (seen["online"], seen["state"], seen["last_seen"]) == (True, "ready", now)
    assert (seen["battery_pct"], seen["charging"]) == (81.5, True)

    fleet.clock.advance(fleet.context.presence.timeout_s)  # exactly at the limit: still online
    assert fleet.client.get(url, headers=headers).json()["online"] is True
    fleet.clock.advance(1)
    assert fleet.client.get(url, headers=headers).json()["online"] is False


def test_a_lost_robot_is_offline_at_once(fleet: Fleet) -> None:
    robot_id = str(_create(fleet, fleet.headers("admin@a.example"), "HC-0001")["id"])
    now = fleet.context.now()
    record_state(fleet.context.db(), robot_id, RobotState(state="lost", ts=now), now)
    robot = fleet.client.get(f"{ROBOTS}/{robot_id}", headers=fleet.headers("admin@a.example"))
    assert robot.json()["online"] is False
    assert robot.json()["state"] == "lost"


def test_the_list_pages_filters_and_counts(fleet: Fleet) -> None:
    headers = fleet.headers("admin@a.example")
    ids = [str(_create(fleet, headers, f"HC-{n:04d}")["id"]) for n in range(1, 8)]
    _create(fleet, fleet.headers("admin@b.example"), "B-0001")
    now = fleet.context.now()
    record_state(fleet.context.db(), ids[0], RobotState(state="ready", ts=now), now)
    fleet.client.patch(f"{ROBOTS}/{ids[1]}", json={"status": "maintenance"}, headers=headers)

    page = fleet.client.get(f"{ROBOTS}?limit=3&offset=3", headers=headers).json()
    assert (page["total"], page["limit"], page["offset"]) == (7, 3, 3)
    assert [robot["serial"] for robot in page["items"]] == ["HC-0004", "HC-0005", "HC-0006"]

    def serials(query: str) -> list[str]:
        response = fleet.client.get(f"{ROBOTS}?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [robot["serial"] for robot in response.json()["items"]]

    assert serials("online=true") == ["HC-0001"]
    assert len(serials("online=false")) == 6
    assert serials("status=maintenance") == ["HC-0002"]
    assert serials("q=0007") == ["HC-0007"]
    assert serials("q=%25") == []  # a LIKE wildcard is taken literally
    assert serials("q=hc-000&status=in_stock&online=false&limit=2") == ["HC-0003", "HC-0004"]


def test_the_store_list_agrees_with_the_api(fleet: Fleet) -> None:
    """The dashboard calls the store directly; the shape it gets is the same data."""
    headers = fleet.headers("admin@a.example")
    robot_id = _create(fleet, headers, "HC-0001")["id"]
    page = list_robots(fleet.context.db(), fleet.agency_a, now=fleet.context.now())
    assert (page.total, page.limit, page.offset) == (1, 50, 0)
    assert page.items[0].id == robot_id
    assert page.items[0].online is False
    assert list_robots(fleet.context.db(), fleet.agency_b, now=fleet.context.now()).total == 0


def test_patch_changes_firmware_and_status_and_writes_the_audit(fleet: Fleet) -> None:
    headers = fleet.headers("operator@a.example")
    robot_id = _create(fleet, headers, "HC-0001")["id"]
    response = fleet.client.patch(
        f"{ROBOTS}/{robot_id}", json={"firmware": "2.0.1", "status": "maintenance"}, headers=headers
    )
    assert response.status_code == 200
    assert (response.json()["firmware"], response.json()["status"]) == ("2.0.1", "maintenance")
    rows = (
        fleet.context.db()
        .execute(
            "SELECT action, changes, user_id FROM audit_log WHERE object_id = ? ORDER BY id",
            (robot_id,),
        )
        .fetchall()
    )
    assert [row[0] for row in rows] == ["create", "update"]
    assert json.loads(rows[1][1]) == {
        "firmware": ["", "2.0.1"],
        "status": ["in_stock", "maintenance"],
    }
    assert all("mqtt" not in row[1] for row in rows)


def test_rented_cannot_be_set_by_hand(fleet: Fleet) -> None:
    headers = fleet.headers("admin@a.example")
    robot_id = _create(fleet, headers, "HC-0001")["id"]
    response = fleet.client.patch(
        f"{ROBOTS}/{robot_id}", json={"status": "rented"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "status"]


def test_a_rented_robot_keeps_its_status_until_returned(fleet: Fleet) -> None:
    headers = fleet.headers("admin@a.example")
    robot_id = _create(fleet, headers, "HC-0001")["id"]
    resident = fleet.client.post("/api/v1/residents", json={"full_name": "Анна"}, headers=headers)
    rental = fleet.client.post(
        "/api/v1/rentals",
        json={
            "robot_id": robot_id,
            "resident_id": resident.json()["id"],
            "starts_on": "2026-12-01",
        },
        headers=headers,
    ).json()
    fleet.client.post(f"/api/v1/rentals/{rental['id']}/handover", headers=headers)
    refused = fleet.client.patch(
        f"{ROBOTS}/{robot_id}", json={"status": "maintenance"}, headers=headers
    )
    assert refused.status_code == 409
    assert "is rented" in refused.json()["detail"]
    allowed = fleet.client.patch(f"{ROBOTS}/{robot_id}", json={"firmware": "2.1"}, headers=headers)
    assert allowed.status_code == 200
    assert allowed.json()["rental_id"] == rental["id"]
    assert allowed.json()["resident_id"] == resident.json()["id"]


def test_caregivers_read_but_only_admins_and_operators_provision(fleet: Fleet) -> None:
    robot_id = _create(fleet, fleet.headers("operator@a.example"), "HC-0001")["id"]
    for email in ("caregiver@a.example", "social@a.example"):
        headers = fleet.headers(email)
        assert fleet.client.get(f"{ROBOTS}/{robot_id}", headers=headers).status_code == 200
        created = fleet.client.post(ROBOTS, json={"serial": "X-1", "model": "m"}, headers=headers)
        assert created.status_code == 403
        rotated = fleet.client.post(f"{ROBOTS}/{robot_id}/mqtt-password", headers=headers)
        assert rotated.status_code == 403


def test_an_unknown_robot_is_404(fleet: Fleet) -> None:
    response = fleet.client.get(f"{ROBOTS}/r-nothing", headers=fleet.headers("admin@a.example"))
    assert response.status_code == 404
    assert response.json() == {"detail": "robot r-nothing not found"}
