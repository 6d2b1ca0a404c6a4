"""Rentals API: the lifecycle, the robot's status along it, and the data wipe on return."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from fleet.protocol import Command, command_topic, decode
from fleet.store.rentals import confirm_wipe, list_rentals, pending_wipes
from fleet.wipes import send_pending_wipes
from tests.fleet_api import Fleet

RENTALS = "/api/v1/rentals"


@dataclass
class Published:
    messages: list[tuple[str, bytes, int, bool]] = field(default_factory=list)
    fail: bool = False

    def __call__(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        if self.fail:
            raise ConnectionError("broker unreachable")
        self.messages.append((topic, payload, qos, retain))


@dataclass
class Setup:
    fleet: Fleet
    headers: dict[str, str]
    robot_id: str
    resident_id: int

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.fleet.client.post(f"{RENTALS}{path}", json=body, headers=self.headers)

    def robot(self) -> dict[str, Any]:
        url = f"/api/v1/robots/{self.robot_id}"
        body: dict[str, Any] = self.fleet.client.get(url, headers=self.headers).json()
        return body

    def plan(self, **fields: Any) -> dict[str, Any]:
        body = {"robot_id": self.robot_id, "resident_id": self.resident_id}
        response = self.post("", {**body, "starts_on": "2026-12-01", **fields})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


def _robot(fleet: Fleet, headers: dict[str, str], serial: str) -> str:
    response = fleet.client.post(
        "/api/v1/robots", json={"serial": serial, "model": "HC2"}, headers=headers
    )
    return str(response.json()["id"])


def _resident(fleet: Fleet, headers: dict[str, str], name: str = "Анна") -> int:
    response = fleet.client.post("/api/v1/residents", json={"full_name": name}, headers=headers)
    return int(response.json()["id"])


@pytest.fixture
def setup(fleet: Fleet) -> Setup:
    headers = fleet.headers("operator@a.example")
    return Setup(fleet, headers, _robot(fleet, headers, "HC-1"), _resident(fleet, headers))


def test_the_lifecycle_moves_the_robot_through_its_statuses(setup: Setup) -> None:
    rental = setup.plan(ends_on="2027-06-01")
    assert (rental["status"], rental["wipe"]) == ("planned", "none")
    assert setup.robot()["status"] == "in_stock"
    assert setup.robot()["rental_id"] == rental["id"]

    active = setup.post(f"/{rental['id']}/handover").json()
    assert active["status"] == "active"
    assert active["handed_over_at"] == setup.fleet.context.now()
    assert (setup.robot()["status"], setup.robot()["resident_id"]) == ("rented", setup.resident_id)

    setup.fleet.clock.advance(600)
    returned = setup.post(f"/{rental['id']}/return").json()
    assert returned["status"] == "returned"
    assert returned["returned_at"] == setup.fleet.context.now()
    robot = setup.robot()
    assert (robot["status"], robot["rental_id"]) == ("maintenance", None)


def test_without_a_broker_the_wipe_stays_pending_and_is_sent_later(setup: Setup) -> None:
    rental = setup.plan()
    setup.post(f"/{rental['id']}/handover")
    returned = setup.post(f"/{rental['id']}/return").json()
    assert (returned["wipe"], returned["wipe_requested_at"]) == ("pending", None)
    db = setup.fleet.context.db()
    [pending] = pending_wipes(db)
    assert (pending.robot_id, pending.req_id) == (setup.robot_id, returned["wipe_req_id"])

    publish = Published()
    assert send_pending_wipes(publish, db, setup.fleet.context.now()) == 1
    assert pending_wipes(db) == []
    got = setup.fleet.client.get(f"{RENTALS}/{rental['id']}", headers=setup.headers).json()
    assert got["wipe"] == "requested"


def test_return_publishes_the_wipe_command_and_the_robot_confirms(setup: Setup) -> None:
    publish = Published()
    setup.fleet.context.publish = publish
    rental = setup.plan()
    setup.post(f"/{rental['id']}/handover")
    returned = setup.post(f"/{rental['id']}/return").json()
    req_id = returned["wipe_req_id"]
    assert returned["wipe"] == "requested"
    # (besides the resident's configuration, which the hand-over sent and the return clears)
    [(topic, payload, qos, retain)] = [m for m in publish.messages if "/cfg/" not in m[0]]
    assert (topic, qos, retain) == (command_topic(setup.robot_id, req_id), 1, False)
    command = decode(Command, payload)
    assert (command.command, command.req_id) == ("wipe", req_id)

    db, now = setup.fleet.context.db(), setup.fleet.context.now()
    assert confirm_wipe(db, setup.robot_id, req_id, True, now + 5, detail="wiped 3 files")
    assert confirm_wipe(db, setup.robot_id, req_id, True, now + 9)  # QoS 1 duplicate
    got = setup.fleet.client.get(f"{RENTALS}/{rental['id']}", headers=setup.headers).json()
    assert (got["wipe"], got["wipe_confirmed_at"], got["wipe_detail"]) == (
        "confirmed",
        now + 5,
        "wiped 3 files",
    )
    audit = db.execute(
        "SELECT user_id, action FROM audit_log WHERE object_type = 'rental' ORDER BY id DESC"
    ).fetchone()
    assert audit == (None, "wipe_confirmed")
    again = setup.post(f"/{rental['id']}/wipe")
    assert again.status_code == 409
    assert "already confirmed" in again.json()["detail"]


def test_a_failed_wipe_can_be_requested_again_and_old_answers_are_ignored(setup: Setup) -> None:
    publish = Published()
    setup.fleet.context.publish = publish
    rental = setup.plan()
    setup.post(f"/{rental['id']}/handover")
    first = setup.post(f"/{rental['id']}/return").json()["wipe_req_id"]
    db, now = setup.fleet.context.db(), setup.fleet.context.now()
    assert confirm_wipe(db, setup.robot_id, first, False, now, detail="disk busy")
    failed = setup.fleet.client.get(f"{RENTALS}/{rental['id']}", headers=setup.headers).json()
    assert (failed["wipe"], failed["wipe_detail"]) == ("failed", "disk busy")

    retried = setup.post(f"/{rental['id']}/wipe").json()
    second = retried["wipe_req_id"]
    assert second != first
    assert retried["wipe"] == "requested"
    assert publish.messages[-1][0] == command_topic(setup.robot_id, second)
    assert not confirm_wipe(db, setup.robot_id, first, True, now)  # superseded
    assert not confirm_wipe(db, "r-another", second, True, now)  # not that robot's
    assert not confirm_wipe(db, setup.robot_id, "wipe-unknown", True, now)
    assert confirm_wipe(db, setup.robot_id, second, True, now)


def test_a_publish_that_fails_leaves_the_wipe_pending(setup: Setup) -> None:
    setup.fleet.context.publish = Published(fail=True)
    rental = setup.plan()
    setup.post(f"/{rental['id']}/handover")
    response = setup.post(f"/{rental['id']}/return")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["wipe"]) == ("returned", "pending")


@pytest.mark.parametrize(
    ("steps", "action", "status"),
    [
        ([], "return", "planned"),
        ([], "wipe", "planned"),
        (["handover"], "handover", "active"),
        (["handover"], "cancel", "active"),
        (["handover", "return"], "handover", "returned"),
        (["cancel"], "handover", "cancelled"),
    ],
)
def test_invalid_transitions_are_409_naming_the_status(
    setup: Setup, steps: list[str], action: str, status: str
) -> None:
    rental = setup.plan()
    for step in steps:
        assert setup.post(f"/{rental['id']}/{step}").status_code == 200
    response = setup.post(f"/{rental['id']}/{action}")
    assert response.status_code == 409
    assert response.json()["detail"].startswith(f"rental {rental['id']} is {status};")


def test_cancelling_frees_the_robot_for_another_rental(setup: Setup) -> None:
    first = setup.plan()
    second = setup.post(
        "",
        {"robot_id": setup.robot_id, "resident_id": setup.resident_id, "starts_on": "2027-01-01"},
    )
    assert second.status_code == 409
    assert (
        second.json()["detail"]
        == f"robot {setup.robot_id} already has rental {first['id']} (planned)"
    )
    assert setup.post(f"/{first['id']}/cancel").json()["status"] == "cancelled"
    assert setup.plan()["status"] == "planned"


def test_only_an_in_stock_robot_can_be_planned_or_handed_over(setup: Setup) -> None:
    rental = setup.plan()
    robot_url = f"/api/v1/robots/{setup.robot_id}"
    client = setup.fleet.client
    client.patch(robot_url, json={"status": "maintenance"}, headers=setup.headers)
    refused = setup.post(f"/{rental['id']}/handover")
    assert refused.status_code == 409
    assert refused.json()["detail"] == f"robot {setup.robot_id} is maintenance; it must be in_stock"
    setup.post(f"/{rental['id']}/cancel")
    planned = setup.post(
        "",
        {"robot_id": setup.robot_id, "resident_id": setup.resident_id, "starts_on": "2027-01-01"},
    )
    assert planned.status_code == 409
    assert "is maintenance, not in_stock" in planned.json()["detail"]


def test_robot_and_resident_must_be_the_agency_s_own(setup: Setup) -> None:
    fleet = setup.fleet
    other = fleet.headers("admin@b.example")
    foreign_robot = _robot(fleet, other, "B-1")
    foreign_resident = _resident(fleet, other)
    cases = [
        ({"robot_id": foreign_robot, "resident_id": setup.resident_id}, f"robot {foreign_robot}"),
        ({"robot_id": setup.robot_id, "resident_id": foreign_resident}, "resident"),
        ({"robot_id": "r-nothing", "resident_id": setup.resident_id}, "robot r-nothing"),
    ]
    for body, what in cases:
        response = setup.post("", {**body, "starts_on": "2026-12-01"})
        assert response.status_code == 404
        assert response.json()["detail"].startswith(what)


def test_dates_are_checked(setup: Setup) -> None:
    early = setup.post(
        "",
        {
            "robot_id": setup.robot_id,
            "resident_id": setup.resident_id,
            "starts_on": "2026-12-01",
            "ends_on": "2026-11-30",
        },
    )
    assert early.status_code == 422
    rental = setup.plan()
    url = f"{RENTALS}/{rental['id']}"
    client = setup.fleet.client
    moved = client.patch(url, json={"ends_on": "2027-03-01"}, headers=setup.headers)
    assert moved.json()["ends_on"] == "2027-03-01"
    backwards = client.patch(url, json={"starts_on": "2027-04-01"}, headers=setup.headers)
    assert backwards.status_code == 422
    assert "before starts_on" in backwards.json()["detail"]
    setup.post(f"/{rental['id']}/handover")
    late_start = client.patch(url, json={"starts_on": "2026-12-02"}, headers=setup.headers)
    assert late_start.status_code == 409
    open_ended = client.patch(url, json={"ends_on": None}, headers=setup.headers)
    assert open_ended.json()["ends_on"] is None


def test_the_list_filters_and_pages(setup: Setup) -> None:
    fleet = setup.fleet
    second_robot = _robot(fleet, setup.headers, "HC-2")
    first = setup.plan()
    second = setup.plan(robot_id=second_robot)
    setup.post(f"/{second['id']}/handover")
    _robot(fleet, fleet.headers("admin@b.example"), "B-1")

    def ids(query: str) -> list[int]:
        response = fleet.client.get(f"{RENTALS}?{query}", headers=setup.headers)
        assert response.status_code == 200, response.text
        return [rental["id"] for rental in response.json()["items"]]

    assert ids("") == [second["id"], first["id"]]
    assert ids("status=active") == [second["id"]]
    assert ids(f"robot_id={setup.robot_id}") == [first["id"]]
    assert ids(f"resident_id={setup.resident_id}&limit=1&offset=1") == [first["id"]]
    page = list_rentals(fleet.context.db(), fleet.agency_a, status="planned")
    assert (page.total, page.items[0].robot_id) == (1, setup.robot_id)


def test_roles_split_planning_from_handling_the_hardware(setup: Setup) -> None:
    fleet = setup.fleet
    social = fleet.headers("social@a.example")
    body = {"robot_id": setup.robot_id, "resident_id": setup.resident_id, "starts_on": "2026-12-01"}
    created = fleet.client.post(RENTALS, json=body, headers=social)
    assert created.status_code == 201
    rental_url = f"{RENTALS}/{created.json()['id']}"
    assert fleet.client.post(f"{rental_url}/handover", headers=social).status_code == 403
    caregiver = fleet.headers("caregiver@a.example")
    assert fleet.client.get(rental_url, headers=caregiver).status_code == 200
    assert fleet.client.post(f"{rental_url}/cancel", headers=caregiver).status_code == 403
    assert fleet.client.post(f"{rental_url}/cancel", headers=social).status_code == 200


def test_every_step_is_audited_with_the_robot_status_changes(setup: Setup) -> None:
    rental = setup.plan()
    setup.post(f"/{rental['id']}/handover")
    setup.post(f"/{rental['id']}/return")
    rows = (
        setup.fleet.context.db()
        .execute(
            "SELECT object_type, action, changes FROM audit_log"
            " WHERE object_type IN ('rental', 'robot') AND action != 'create' ORDER BY id"
        )
        .fetchall()
    )
    steps = [(kind, action, json.loads(changes).get("status")) for kind, action, changes in rows]
    assert steps == [
        ("robot", "handover", ["in_stock", "rented"]),
        ("rental", "handover", ["planned", "active"]),
        ("robot", "return", ["rented", "maintenance"]),
        ("rental", "return", ["active", "returned"]),
    ]
