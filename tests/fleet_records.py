"""Rows the MQTT ingest would write, put straight into a fleet database for API tests."""

from __future__ import annotations

import sqlite_utils

from fleet.protocol import AlertPayload, Telemetry
from fleet.store import record_alert, record_telemetry


def add_robot(db: sqlite_utils.Database, agency_id: int, robot_id: str) -> str:
    """A provisioned robot of `agency_id` (the robots API does this with credentials)."""
    db.execute(
        "INSERT INTO robots (id, agency_id, serial, model, mqtt_password_hash, created_at)"
        " VALUES (?, ?, ?, 'HC2', 'not-a-hash', 0)",
        (robot_id, agency_id, f"serial-{robot_id}"),
    )
    return robot_id


def add_alert(
    db: sqlite_utils.Database,
    robot_id: str,
    alert_id: str,
    *,
    kind: str = "fall",
    raised_at: float,
    severity: str = "critical",
) -> int:
    alert = AlertPayload.model_validate(
        {"alert_id": alert_id, "kind": kind, "severity": severity, "ts": raised_at,
         "details": {"room": "kitchen"}}
    )  # fmt: skip
    return record_alert(db, robot_id, alert, now=raised_at + 1).incident_id


def add_readings(
    db: sqlite_utils.Database, robot_id: str, start: float, count: int, step_s: float = 30.0
) -> None:
    """`count` readings every `step_s` from `start`: battery falls 0.1 % a reading (to 5 %)."""
    batch = [
        (
            robot_id,
            Telemetry(
                ts=start + i * step_s,
                battery_pct=max(5.0, 90 - i * 0.1),
                charging=False,
                cpu_temp_c=40 + i % 5,
                uptime_s=i * step_s,
            ),
        )
        for i in range(count)
    ]
    record_telemetry(db, batch, now=start + count * step_s)
