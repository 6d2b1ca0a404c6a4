"""Writes from the MQTT ingest: presence, telemetry in batches, alerts as idempotent incidents,
events as they come."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from fleet.protocol import AlertPayload, RobotEvent, RobotState, Telemetry
from fleet.store.database import transaction


@dataclass(frozen=True)
class IncidentRecord:
    incident_id: int
    created: bool


def record_state(db: sqlite_utils.Database, robot_id: str, state: RobotState, now: float) -> None:
    db.execute(
        "INSERT INTO robot_state (robot_id, state, bdseq, fw, last_seen) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (robot_id) DO UPDATE SET state = excluded.state, bdseq = excluded.bdseq,"
        " fw = CASE WHEN excluded.fw = '' THEN robot_state.fw ELSE excluded.fw END,"
        " last_seen = excluded.last_seen",
        (robot_id, state.state, state.bdseq, state.fw, now),
    )


def record_telemetry(
    db: sqlite_utils.Database, batch: Sequence[tuple[str, Telemetry]], now: float
) -> None:
    """One transaction for the whole batch: the time series and each robot's latest state."""
    if not batch:
        return
    with transaction(db.conn) as connection:
        connection.executemany(
            "INSERT INTO telemetry (robot_id, ts, battery_pct, charging, cpu_temp_c, uptime_s)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (rid, t.ts, t.battery_pct, int(t.charging), t.cpu_temp_c, t.uptime_s)
                for rid, t in batch
            ],
        )
        latest = dict(batch)  # the newest reading per robot wins
        connection.executemany(
            "INSERT INTO robot_state (robot_id, state, last_seen, battery_pct, charging)"
            " VALUES (?, 'ready', ?, ?, ?) ON CONFLICT (robot_id) DO UPDATE SET"
            " last_seen = excluded.last_seen, battery_pct = excluded.battery_pct,"
            " charging = excluded.charging",
            [(rid, now, t.battery_pct, int(t.charging)) for rid, t in latest.items()],
        )


def record_alert(
    db: sqlite_utils.Database, robot_id: str, alert: AlertPayload, now: float
) -> IncidentRecord:
    """One incident per alert_id, however often the alert arrives; committed on return."""
    cursor = db.execute(
        "INSERT INTO incidents (alert_id, robot_id, kind, severity, details, raised_at,"
        " received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id) DO NOTHING",
        (
            alert.alert_id,
            robot_id,
            alert.kind,
            alert.severity,
            json.dumps(alert.details, ensure_ascii=False),
            alert.ts,
            now,
        ),
    )
    created = cursor.rowcount == 1
    row = db.execute("SELECT id FROM incidents WHERE alert_id = ?", (alert.alert_id,)).fetchone()
    return IncidentRecord(incident_id=int(row[0]), created=created)


def record_event(db: sqlite_utils.Database, robot_id: str, event: RobotEvent, now: float) -> int:
    """Keep one event (rating, device news) with its robot; returns its id.

    Reminder outcomes are not kept here but, once each, by `fleet.store.reminders`.

    Events are QoS 1 and few (a handful a day per robot), so each is its own write.
    """
    data = event.model_dump(exclude={"ts", "type"})
    cursor = db.execute(
        "INSERT INTO robot_events (robot_id, type, ts, received_at, data) VALUES (?, ?, ?, ?, ?)",
        (robot_id, event.type, event.ts, now, json.dumps(data, ensure_ascii=False)),
    )
    return int(cursor.lastrowid or 0)
