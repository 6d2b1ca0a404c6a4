"""Durable robot events (reminder outcomes): kept in SQLite until the broker confirmed them.

An event is committed to the outbox database (a table beside the alerts) before it
is sent, QoS 1 on `hc/v1/r/{rid}/event`. It stays pending until the broker's PUBACK
(paho's `MQTTMessageInfo.is_published()`); after a reconnect, a restart of the
robot, or a send unconfirmed for `resend_after_s`, it is sent again. The fleet
keeps each `event_id` once, so a repeat is harmless; a loss is not: adherence
is what a caregiver reads to decide whether someone takes their medicine.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from fleet import protocol
from homecare.clock import Clock
from homecare.errors import HomecareError
from reminders.model import ReminderOutcomeEvent

log = logging.getLogger("robot.fleet_link.events")

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    payload BLOB NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    delivered_at REAL
);
CREATE INDEX IF NOT EXISTS events_pending ON events (created_at) WHERE delivered_at IS NULL;
"""
# Delivered events stay a week (a repeat from the reminder node is then recognised),
# then go: they name the resident's medicines.
KEEP_DELIVERED_S = 7 * 24 * 3600.0


class Delivery(Protocol):
    """What paho's `MQTTMessageInfo` tells: whether the broker acknowledged the message."""

    def is_published(self) -> bool: ...


class TrackedPublisher(Protocol):
    def publish_tracked(self, topic: str, payload: bytes, qos: int = 1) -> Delivery | None:
        """Hand a message to MQTT; None when refused (not connected, queue full)."""
        ...


@dataclass(frozen=True)
class PendingEvent:
    event_id: str
    payload: bytes


@dataclass(frozen=True)
class EventStats:
    pending: int
    delivered: int


class EventOutbox:
    def __init__(self, path: Path, clock: Clock) -> None:
        self.clock = clock
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit; each write is its own durable transaction (as the alert outbox).
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as error:
            raise HomecareError(f"event outbox {path}: cannot open the database: {error}") from None

    def close(self) -> None:
        self._db.close()

    def add(self, event_id: str, payload: bytes) -> bool:
        """Commit an event for delivery; False if this event_id is already there."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO events (event_id, payload, created_at) VALUES (?, ?, ?)",
            (event_id, payload, self._now()),
        )
        return cursor.rowcount == 1

    def pending(self, limit: int = 100) -> list[PendingEvent]:
        rows = self._db.execute(
            "SELECT event_id, payload FROM events WHERE delivered_at IS NULL"
            " ORDER BY created_at, event_id LIMIT ?",
            (limit,),
        ).fetchall()
        return [PendingEvent(row[0], bytes(row[1])) for row in rows]

    def mark_attempt(self, event_id: str) -> None:
        self._db.execute(
            "UPDATE events SET attempts = attempts + 1 WHERE event_id = ?", (event_id,)
        )

    def mark_delivered(self, event_id: str) -> None:
        self._db.execute(
            "UPDATE events SET delivered_at = ? WHERE event_id = ? AND delivered_at IS NULL",
            (self._now(), event_id),
        )

    def attempts(self, event_id: str) -> int:
        row = self._db.execute("SELECT attempts FROM events WHERE event_id = ?", (event_id,))
        found = row.fetchone()
        return 0 if found is None else int(found[0])

    def forget_delivered(self, older_than_s: float = 0.0) -> int:
        """Delete delivered events (all by default: the wipe); pending ones stay."""
        cursor = self._db.execute(
            "DELETE FROM events WHERE delivered_at IS NOT NULL AND delivered_at <= ?",
            (self._now() - older_than_s,),
        )
        return int(cursor.rowcount)

    def stats(self) -> EventStats:
        pending, delivered = self._db.execute(
            "SELECT SUM(delivered_at IS NULL), SUM(delivered_at IS NOT NULL) FROM events"
        ).fetchone()
        return EventStats(int(pending or 0), int(delivered or 0))

    def _now(self) -> float:
        return self.clock.now().timestamp()


def generic_event(event_id: str, event_type: str, fields_json: str, ts: float) -> bytes:
    """The wire payload of a `/fleet/event` message: its fields plus type, ts and event_id.

    Raises ValueError (naming what is wrong) for an empty id, a malformed type or
    fields that are not a JSON object.
    """
    if not event_id or len(event_id) > 200:
        raise ValueError(f"event_id must be 1-200 characters, got {len(event_id)}")
    try:
        fields = json.loads(fields_json) if fields_json.strip() else {}
    except ValueError as error:
        raise ValueError(f"event {event_type!r}: json is not valid JSON: {error}") from None
    if not isinstance(fields, dict):
        raise ValueError(f"event {event_type!r}: json must be an object")
    event = protocol.RobotEvent.model_validate(
        {**fields, "type": event_type, "ts": ts, "event_id": event_id}
    )
    return protocol.encode(event)


def outcome_event(
    *,
    reminder_id: str,
    occurrence_id: str,
    outcome: str,
    due: datetime,
    kind: str,
    title: str,
    medicine: str,
    prompts: int,
    reason: str,
    ts: float,
) -> ReminderOutcomeEvent:
    """The wire event of one outcome; `event_id` is `occurrence_id:outcome` (one per each).

    Free text is cut to the contract's lengths (a long title must not cost the outcome);
    a wrong outcome, kind or id raises pydantic's ValidationError.
    """
    return ReminderOutcomeEvent.model_validate(
        {
            "ts": ts,
            "event_id": f"{occurrence_id}:{outcome}"[:200],
            "reminder_id": reminder_id,
            "occurrence_id": occurrence_id,
            "outcome": outcome,
            "due": due,
            "kind": kind,
            "title": title[:200],
            "medicine": medicine[:100],
            "prompts": prompts,
            "reason": reason[:200],
        }
    )


class EventDelivery:
    """Sends the outbox's pending events and notes the broker's acknowledgements.

    Runs on the node's executor (`pump()`); the connection is injected.
    """

    def __init__(
        self,
        rid: str,
        connection: TrackedPublisher,
        outbox: EventOutbox,
        clock: Clock,
        *,
        resend_after_s: float = 30.0,
    ) -> None:
        self.rid, self.connection, self.outbox, self.clock = rid, connection, outbox, clock
        self.resend_after_s = resend_after_s
        self.topic = protocol.event_topic(rid)
        # event_id -> (what paho said about the send, monotonic time of the send)
        self._in_flight: dict[str, tuple[Delivery, float]] = {}

    def send_outcome(self, event: ReminderOutcomeEvent) -> bool:
        """Commit first (never lost), then try to send; False if it was already there."""
        return self.send(event.event_id, event.model_dump_json().encode("utf-8"))

    def send(self, event_id: str, payload: bytes) -> bool:
        """Any event (already validated): committed, then sent; False if it was already there."""
        added = self.outbox.add(event_id, payload)
        self.pump()
        return added

    def reconnected(self) -> None:
        """A new connection: what was in flight on the old one is sent again."""
        self._in_flight.clear()
        self.outbox.forget_delivered(older_than_s=KEEP_DELIVERED_S)

    def pump(self) -> int:
        """Note acknowledgements, then send what is pending and not in flight; returns sent."""
        now = self.clock.monotonic()
        for event_id, (delivery, sent_at) in list(self._in_flight.items()):
            if delivery.is_published():
                self.outbox.mark_delivered(event_id)
                del self._in_flight[event_id]
            elif now - sent_at >= self.resend_after_s:
                del self._in_flight[event_id]  # no PUBACK in time: send again below
        sent = 0
        for event in self.outbox.pending():
            if event.event_id in self._in_flight:
                continue
            handed = self.connection.publish_tracked(self.topic, event.payload, qos=1)
            if handed is None:
                break  # not connected: everything waits for the next connection
            self.outbox.mark_attempt(event.event_id)
            self._in_flight[event.event_id] = (handed, now)
            sent += 1
        return sent

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)
