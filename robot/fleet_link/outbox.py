"""The durable alert outbox: an alert is committed to SQLite before it is sent, and resent
with backoff until the fleet acknowledges it, across restarts of the robot.

The fleet deduplicates by `alert_id`, so resending is always safe; losing is not.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from fleet.protocol import AlertPayload
from homecare.clock import Clock
from homecare.errors import HomecareError

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    acked_at REAL,
    incident_id TEXT
);
CREATE INDEX IF NOT EXISTS alerts_pending ON alerts (next_attempt_at) WHERE acked_at IS NULL;
"""


class Backoff(BaseModel):
    initial_s: float = Field(default=1.0, gt=0)
    factor: float = Field(default=2.0, ge=1)
    max_s: float = Field(default=60.0, gt=0)

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th send before sending again."""
        return float(min(self.max_s, self.initial_s * self.factor ** max(0, attempts - 1)))


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    acknowledged: int
    oldest_pending_age_s: float | None


class AlertOutbox:
    def __init__(self, path: Path, clock: Clock, backoff: Backoff | None = None) -> None:
        self.clock = clock
        self.backoff = backoff or Backoff()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit; each write is its own durable transaction (synchronous=FULL).
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as error:
            raise HomecareError(f"alert outbox {path}: cannot open the database: {error}") from None

    def close(self) -> None:
        self._db.close()

    def add(self, alert: AlertPayload) -> bool:
        """Commit `alert` for delivery now; False if this alert_id is already there."""
        now = self._now()
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO alerts (alert_id, payload, created_at, next_attempt_at)"
            " VALUES (?, ?, ?, ?)",
            (alert.alert_id, alert.model_dump_json(), now, now),
        )
        return cursor.rowcount == 1

    def due(self, limit: int = 100) -> list[AlertPayload]:
        """Unacknowledged alerts whose next attempt has come, oldest first."""
        rows = self._db.execute(
            "SELECT payload FROM alerts WHERE acked_at IS NULL AND next_attempt_at <= ?"
            " ORDER BY created_at, alert_id LIMIT ?",
            (self._now(), limit),
        ).fetchall()
        return [AlertPayload.model_validate_json(payload) for (payload,) in rows]

    def mark_sent(self, alert_id: str) -> None:
        """Record a send attempt and schedule the next one by the backoff."""
        row = self._db.execute(
            "SELECT attempts FROM alerts WHERE alert_id = ? AND acked_at IS NULL", (alert_id,)
        ).fetchone()
        if row is None:
            return
        attempts = int(row[0]) + 1
        self._db.execute(
            "UPDATE alerts SET attempts = ?, next_attempt_at = ? WHERE alert_id = ?",
            (attempts, self._now() + self.backoff.delay(attempts), alert_id),
        )

    def acknowledge(self, alert_id: str, incident_id: str) -> bool:
        """The fleet committed the incident: stop resending. False if unknown or already acked."""
        cursor = self._db.execute(
            "UPDATE alerts SET acked_at = ?, incident_id = ?"
            " WHERE alert_id = ? AND acked_at IS NULL",
            (self._now(), incident_id, alert_id),
        )
        return cursor.rowcount == 1

    def forget_acknowledged(self) -> int:
        """Delete delivered alerts (their details are the resident's data); pending ones stay."""
        return int(self._db.execute("DELETE FROM alerts WHERE acked_at IS NOT NULL").rowcount)

    def resend_all_now(self) -> None:
        """After a reconnect, do not wait out the backoff: everything pending is due."""
        self._db.execute(
            "UPDATE alerts SET next_attempt_at = ? WHERE acked_at IS NULL", (self._now(),)
        )

    def stats(self) -> OutboxStats:
        pending, acknowledged, oldest = self._db.execute(
            "SELECT SUM(acked_at IS NULL), SUM(acked_at IS NOT NULL),"
            " MIN(CASE WHEN acked_at IS NULL THEN created_at END) FROM alerts"
        ).fetchone()
        age = None if oldest is None else self._now() - oldest
        return OutboxStats(int(pending or 0), int(acknowledged or 0), age)

    def _now(self) -> float:
        return self.clock.now().timestamp()
