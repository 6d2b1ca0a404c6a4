"""GET /api/v1/metrics (admin/operator) and GET /api/v1/health (anyone)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from fleet.app import create_app
from fleet.context import FleetContext
from fleet.protocol import RobotState
from fleet.store import record_state
from homecare.clock import ManualClock
from homecare.settings import FleetSettings
from tests.fleet_api import START, Fleet
from tests.fleet_records import add_alert, add_robot

NOW = START.timestamp()


def test_metrics_show_ingest_counters_presence_and_incidents(fleet: Fleet) -> None:
    db = fleet.context.db()
    for robot in ("r-a1", "r-a2", "r-a3"):
        add_robot(db, fleet.agency_a, robot)
    add_robot(db, fleet.agency_b, "r-b1")
    record_state(db, "r-a1", RobotState(state="ready", ts=NOW), now=NOW)
    record_state(db, "r-a2", RobotState(state="lost", ts=NOW), now=NOW)
    record_state(db, "r-b1", RobotState(state="ready", ts=NOW), now=NOW)
    add_alert(db, "r-a1", "al-1", raised_at=NOW - 10)
    add_alert(db, "r-b1", "al-2", raised_at=NOW - 10)
    fleet.context.ingest_counters.update(messages=10_007, bad_payloads=10_000)

    response = fleet.client.get("/api/v1/metrics", headers=fleet.headers("operator@a.example"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ingest"]["messages"] == 10_007 and body["ingest"]["bad_payloads"] == 10_000
    assert body["ingest"]["incidents_created"] == 0  # known counters are there from the start
    assert body["robots"] == {"total": 3, "online": 1, "offline": 2}
    assert body["incidents"] == {"open": 1, "acknowledged": 0, "resolved": 0}

    fleet.clock.advance(fleet.context.presence.timeout_s + 1)
    later = fleet.client.get("/api/v1/metrics", headers=fleet.headers("admin@a.example")).json()
    assert later["robots"] == {"total": 3, "online": 0, "offline": 3}


def test_metrics_are_for_admins_and_operators(fleet: Fleet) -> None:
    refused = fleet.client.get("/api/v1/metrics", headers=fleet.headers("caregiver@a.example"))
    assert refused.status_code == 403
    assert fleet.client.get("/api/v1/metrics").status_code == 401


def test_health_needs_no_sign_in_and_reports_the_broker_link(fleet: Fleet) -> None:
    response = fleet.client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "db": "ok", "mqtt": "not_attached"}
    connected = [False]
    fleet.context.mqtt_connected = lambda: connected[0]
    assert fleet.client.get("/api/v1/health").json()["status"] == "degraded"
    connected[0] = True
    assert fleet.client.get("/api/v1/health").json() == {
        "status": "ok",
        "db": "ok",
        "mqtt": "connected",
    }


def test_health_is_503_when_the_database_cannot_be_opened(tmp_path: Path) -> None:
    context = FleetContext(
        db_path=tmp_path,  # a folder, not a database
        clock=ManualClock(START),
        settings=FleetSettings(db_path=tmp_path),
        signing_key="k" * 64,
    )
    with TestClient(create_app(context)) as client:
        response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "db": "error", "mqtt": "not_attached"}
