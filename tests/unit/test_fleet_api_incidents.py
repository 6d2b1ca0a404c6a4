"""Incidents in the API: lists with filters and pages, agencies apart, acknowledge, resolve."""

from __future__ import annotations

import pytest

from fleet.store.incidents import list_incidents
from tests.fleet_api import START, Fleet
from tests.fleet_records import add_alert, add_robot

NOW = START.timestamp()


@pytest.fixture
def incidents(fleet: Fleet) -> list[int]:
    """Four incidents of agency A (r-a1: fall, sos, fall; r-a2: no_response), one of B."""
    db = fleet.context.db()
    for agency, robot in (
        (fleet.agency_a, "r-a1"),
        (fleet.agency_a, "r-a2"),
        (fleet.agency_b, "r-b1"),
    ):
        add_robot(db, agency, robot)
    ids = [
        add_alert(db, "r-a1", "al-1", kind="fall", raised_at=NOW - 400),
        add_alert(db, "r-a1", "al-2", kind="sos", raised_at=NOW - 300),
        add_alert(db, "r-a2", "al-3", kind="no_response", raised_at=NOW - 200, severity="warning"),
        add_alert(db, "r-a1", "al-4", kind="fall", raised_at=NOW - 100),
    ]
    add_alert(db, "r-b1", "al-b", raised_at=NOW - 50)
    return ids


def test_the_list_is_the_agencys_newest_first_with_every_field(
    fleet: Fleet, incidents: list[int]
) -> None:
    response = fleet.client.get("/api/v1/incidents", headers=fleet.headers("caregiver@a.example"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 4 and (body["limit"], body["offset"]) == (50, 0)
    assert [item["alert_id"] for item in body["items"]] == ["al-4", "al-3", "al-2", "al-1"]
    newest = body["items"][0]
    assert newest == {
        "id": incidents[3],
        "alert_id": "al-4",
        "robot_id": "r-a1",
        "kind": "fall",
        "severity": "critical",
        "details": {"room": "kitchen"},
        "raised_at": NOW - 100,
        "received_at": NOW - 99,
        "status": "open",
        "acknowledged_by": None,
        "acknowledged_by_name": None,
        "acknowledged_at": None,
        "resolved_at": None,
        "outcome": None,
    }
    other = fleet.client.get("/api/v1/incidents", headers=fleet.headers("admin@b.example"))
    assert [item["alert_id"] for item in other.json()["items"]] == ["al-b"]


def test_filters_and_pages(fleet: Fleet, incidents: list[int]) -> None:
    headers = fleet.headers("operator@a.example")

    def alert_ids(**params: object) -> tuple[list[str], int]:
        response = fleet.client.get("/api/v1/incidents", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        return [item["alert_id"] for item in body["items"]], body["total"]

    assert alert_ids(robot_id="r-a1") == (["al-4", "al-2", "al-1"], 3)
    assert alert_ids(robot_id="r-b1") == ([], 0)  # another agency's robot: nothing
    assert alert_ids(kind="fall") == (["al-4", "al-1"], 2)
    assert alert_ids(since="2026-11-23T08:55:01Z") == (["al-4", "al-3"], 2)
    assert alert_ids(since=NOW - 300, kind="sos") == (["al-2"], 1)
    assert alert_ids(after_id=incidents[1]) == (["al-4", "al-3"], 2)
    assert alert_ids(limit=2, offset=1) == (["al-3", "al-2"], 4)
    assert alert_ids(status="open") == (["al-4", "al-3", "al-2", "al-1"], 4)
    assert alert_ids(status="resolved") == ([], 0)


def test_bad_filters_are_422(fleet: Fleet, incidents: list[int]) -> None:
    headers = fleet.headers("operator@a.example")
    for params in ({"status": "closed"}, {"since": "last week"}, {"robot_id": "r/1"},
                   {"limit": 0}, {"offset": -1}, {"kind": "Fall!"}):  # fmt: skip
        response = fleet.client.get("/api/v1/incidents", params=params, headers=headers)
        assert response.status_code == 422, params


def test_one_incident_and_other_agencies_get_404(fleet: Fleet, incidents: list[int]) -> None:
    url = f"/api/v1/incidents/{incidents[0]}"
    mine = fleet.client.get(url, headers=fleet.headers("social@a.example"))
    assert mine.status_code == 200 and mine.json()["alert_id"] == "al-1"
    other = fleet.headers("admin@b.example")
    assert fleet.client.get(url, headers=other).status_code == 404
    assert fleet.client.post(f"{url}/ack", headers=other).status_code == 404
    resolve = fleet.client.post(f"{url}/resolve", json={"outcome": "help_sent"}, headers=other)
    assert resolve.status_code == 404
    assert fleet.client.get(url).status_code == 401
    missing = fleet.client.get("/api/v1/incidents/99999", headers=fleet.headers("admin@a.example"))
    assert missing.status_code == 404 and missing.json()["detail"] == "incident 99999 not found"


def test_acknowledge_then_resolve(fleet: Fleet, incidents: list[int]) -> None:
    url = f"/api/v1/incidents/{incidents[0]}"
    caregiver = fleet.headers("caregiver@a.example")
    acked = fleet.client.post(f"{url}/ack", headers=caregiver)
    assert acked.status_code == 200, acked.text
    body = acked.json()
    assert body["status"] == "acknowledged" and body["acknowledged_by_name"] == "caregiver"
    assert body["acknowledged_at"] == NOW

    fleet.clock.advance(60)
    again = fleet.client.post(f"{url}/ack", headers=fleet.headers("operator@a.example")).json()
    assert (again["acknowledged_by"], again["acknowledged_at"]) == (
        body["acknowledged_by"],
        NOW,
    )  # the first acknowledgement stands

    refused = fleet.client.post(
        f"{url}/resolve", json={"outcome": "false_alarm"}, headers=caregiver
    )
    assert refused.status_code == 403 and "social_worker" in refused.json()["detail"]

    social = fleet.headers("social@a.example")
    resolved = fleet.client.post(f"{url}/resolve", json={"outcome": "false_alarm"}, headers=social)
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert (body["status"], body["outcome"], body["resolved_at"]) == (
        "resolved",
        "false_alarm",
        NOW + 60,
    )
    assert body["acknowledged_by_name"] == "caregiver"

    twice = fleet.client.post(f"{url}/resolve", json={"outcome": "help_sent"}, headers=social)
    assert twice.status_code == 409 and "already resolved (false_alarm)" in twice.json()["detail"]
    late_ack = fleet.client.post(f"{url}/ack", headers=caregiver)
    assert late_ack.status_code == 409
    listed = fleet.client.get("/api/v1/incidents", params={"status": "resolved"}, headers=social)
    assert [item["alert_id"] for item in listed.json()["items"]] == ["al-1"]


def test_resolving_an_open_incident_acknowledges_it_too(fleet: Fleet, incidents: list[int]) -> None:
    response = fleet.client.post(
        f"/api/v1/incidents/{incidents[1]}/resolve",
        json={"outcome": "help_sent"},
        headers=fleet.headers("operator@a.example"),
    )
    body = response.json()
    assert body["status"] == "resolved" and body["acknowledged_by_name"] == "operator"
    assert body["acknowledged_at"] == body["resolved_at"] == NOW


def test_a_bad_resolution_body_is_refused(fleet: Fleet, incidents: list[int]) -> None:
    url = f"/api/v1/incidents/{incidents[0]}/resolve"
    headers = fleet.headers("admin@a.example")
    for body in ({}, {"outcome": ""}, {"outcome": "Help Sent!"}, {"outcome": "x", "extra": 1}):
        assert fleet.client.post(url, json=body, headers=headers).status_code == 422, body
    bad_json = fleet.client.post(
        url, content=b"{", headers={**headers, "Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert fleet.client.get("/api/v1/incidents/not-a-number", headers=headers).status_code == 422


def test_the_store_list_for_the_live_dashboard(fleet: Fleet, incidents: list[int]) -> None:
    db = fleet.context.db()
    page = list_incidents(db, fleet.agency_a, after_id=incidents[2])
    assert [incident.alert_id for incident in page.items] == ["al-4"] and page.total == 1
    page = list_incidents(db, fleet.agency_a, status="open", robot_id="r-a2", limit=1)
    assert [incident.kind for incident in page.items] == ["no_response"]
    assert list_incidents(db, fleet.agency_b, robot_id="r-a1").items == []
