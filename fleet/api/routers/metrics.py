"""Operating figures: the MQTT ingest's counters, robots online, open incidents; and health."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, Field

from fleet.api.deps import MANAGE_FLEET, Context
from fleet.api.schemas import SIGNED_IN
from fleet.context import FleetContext
from fleet.presence import is_online
from fleet.store.accounts import User
from fleet.store.incidents import incident_counts
from fleet.store.telemetry import robot_presence

router = APIRouter(tags=["metrics"])

FleetManager = Annotated[User, Depends(MANAGE_FLEET)]

# Always shown, 0 until they happen, so a dashboard or alert rule can rely on the names.
INGEST_COUNTERS = (
    "messages",
    "bad_payloads",
    "errors",
    "states",
    "telemetry_rows",
    "telemetry_dropped",
    "incidents_created",
    "alert_duplicates",
    "events",
    "command_results",
    "command_results_unmatched",
)


class RobotCounts(BaseModel):
    total: int = Field(description="The agency's robots in service (not retired).")
    online: int
    offline: int


class IncidentCounts(BaseModel):
    open: int
    acknowledged: int
    resolved: int


class Metrics(BaseModel):
    ingest: dict[str, int] = Field(
        description="Counters of this service's MQTT ingest since it started (all agencies)."
    )
    robots: RobotCounts
    incidents: IncidentCounts


class Health(BaseModel):
    status: Literal["ok", "degraded", "unavailable"] = Field(
        description="ok; degraded: no MQTT broker connection; unavailable: no database."
    )
    db: Literal["ok", "error"]
    mqtt: Literal["connected", "disconnected", "not_attached"]


@router.get("/metrics", summary="Ingest counters, robots online, incidents", responses=SIGNED_IN)
def metrics(user: FleetManager, context: Context) -> Metrics:
    db = context.db()
    now, policy = context.now(), context.presence
    robots = robot_presence(db, user.agency_id)
    online = sum(is_online(robot.state, robot.last_seen, now, policy) for robot in robots)
    counters = dict.fromkeys(INGEST_COUNTERS, 0) | dict(context.ingest_counters)
    return Metrics(
        ingest=counters,
        robots=RobotCounts(total=len(robots), online=online, offline=len(robots) - online),
        incidents=IncidentCounts(**incident_counts(db, user.agency_id)),
    )


@router.get("/health", summary="Is the service up (no sign-in needed)")
def health(context: Context, response: Response) -> Health:
    db_ok = _database_answers(context)
    mqtt = _mqtt_state(context)
    if not db_ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    state: Literal["ok", "degraded", "unavailable"] = (
        "unavailable" if not db_ok else "degraded" if mqtt == "disconnected" else "ok"
    )
    return Health(status=state, db="ok" if db_ok else "error", mqtt=mqtt)


def _database_answers(context: FleetContext) -> bool:
    try:
        context.db().execute("SELECT 1 FROM schema_migrations LIMIT 1").fetchall()
    except sqlite3.Error:
        return False
    return True


def _mqtt_state(context: FleetContext) -> Literal["connected", "disconnected", "not_attached"]:
    if context.mqtt_connected is None:
        return "not_attached"
    return "connected" if context.mqtt_connected() else "disconnected"
