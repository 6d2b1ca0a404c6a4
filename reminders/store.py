"""Where the reminder engine keeps what must survive a restart of the robot.

- open occurrences: announced, not yet answered (prompts made, when to ask next);
- outcomes: each `taken`/`snoozed`/`missed` event (with its missed-medication
  alert, if any) and a `sent` flag, so one the node had no chance to publish
  is published after a restart, and a closed occurrence is never announced again;
- voice-created reminders;
- the last tick time, to find what fell due while the robot was off.

`SqliteReminderStore` is the robot's; `MemoryReminderStore` keeps the same
contract in dicts (tests of other parts, the benchmark); both pass the same
contract tests (tests/unit/test_reminders_store.py).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from homecare.errors import HomecareError
from reminders.model import ReminderOutcomeEvent, ReminderSpec
from reminders.recurrence import Occurrence

FINAL_OUTCOMES = ("taken", "missed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS open_occurrences (
    occurrence_id TEXT PRIMARY KEY,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outcomes (
    event_id TEXT PRIMARY KEY,
    occurrence_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    event TEXT NOT NULL,
    alert TEXT,
    sent INTEGER NOT NULL DEFAULT 0,
    recorded_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outcomes_occurrence ON outcomes (occurrence_id);
CREATE INDEX IF NOT EXISTS outcomes_unsent ON outcomes (recorded_at) WHERE sent = 0;
CREATE TABLE IF NOT EXISTS voice_reminders (
    reminder_id TEXT PRIMARY KEY,
    spec TEXT NOT NULL
);
"""


class ReminderStoreError(HomecareError):
    """The reminder store cannot be opened or read."""


@dataclass(slots=True)
class OpenOccurrence:
    """An announced occurrence waiting for its answer."""

    occurrence: Occurrence
    prompts: int  # announcements made so far, the first included
    next_at: float  # epoch seconds of the next re-prompt (or of the "missed" verdict)
    cycle_prompts: int = 1  # prompts since the last snooze: re-prompts are counted per cycle
    snoozes: int = 0
    late: bool = False

    @property
    def occurrence_id(self) -> str:
        return self.occurrence.occurrence_id

    def copy(self) -> OpenOccurrence:
        return OpenOccurrence(
            self.occurrence, self.prompts, self.next_at, self.cycle_prompts, self.snoozes, self.late
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "reminder": self.occurrence.reminder.model_dump(mode="json"),
                "due": self.occurrence.due.isoformat(),
                "zone": getattr(self.occurrence.due.tzinfo, "key", None),
                "occurrence_id": self.occurrence.occurrence_id,
                "prompts": self.prompts,
                "next_at": self.next_at,
                "cycle_prompts": self.cycle_prompts,
                "snoozes": self.snoozes,
                "late": self.late,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> OpenOccurrence:
        data = json.loads(text)
        due = datetime.fromisoformat(data["due"])
        if data.get("zone"):  # back in its zone, for quiet hours and spoken times
            due = due.astimezone(ZoneInfo(data["zone"]))
        occurrence = Occurrence(
            ReminderSpec.model_validate(data["reminder"]), due, data["occurrence_id"]
        )
        return cls(
            occurrence,
            int(data["prompts"]),
            float(data["next_at"]),
            int(data["cycle_prompts"]),
            int(data["snoozes"]),
            bool(data["late"]),
        )


@dataclass(frozen=True)
class AlertRecord:
    """A missed-medication alert; its id is chosen once so a resend is deduplicated."""

    alert_id: str
    kind: str
    severity: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class OutcomeRecord:
    event: ReminderOutcomeEvent
    alert: AlertRecord | None = None


class ReminderStore(Protocol):
    def last_tick(self) -> datetime | None: ...

    def set_last_tick(self, moment: datetime) -> None: ...

    def open_occurrences(self) -> list[OpenOccurrence]: ...

    def save_open(self, state: OpenOccurrence) -> None: ...

    def drop_open(self, occurrence_id: str) -> None:
        """Forget an open occurrence without an outcome (its reminder was deleted)."""
        ...

    def record_outcome(self, record: OutcomeRecord, closes: bool) -> bool:
        """Store an outcome (and, if `closes`, remove the open occurrence) atomically.

        False when this event_id is already stored (nothing changes then).
        """
        ...

    def is_handled(self, occurrence_id: str) -> bool:
        """Announced (open) or closed (taken or missed): never to be announced afresh."""
        ...

    def unsent_outcomes(self) -> list[OutcomeRecord]: ...

    def mark_sent(self, event_id: str) -> None: ...

    def add_voice_reminder(self, spec: ReminderSpec) -> None: ...

    def voice_reminders(self) -> list[ReminderSpec]: ...

    def forget_resident(self) -> None:
        """The rental ended: drop open occurrences, outcomes and voice reminders."""
        ...

    def close(self) -> None: ...


def record_to_json(record: OutcomeRecord) -> tuple[str, str | None]:
    alert = None
    if record.alert is not None:
        alert = json.dumps(
            {
                "alert_id": record.alert.alert_id,
                "kind": record.alert.kind,
                "severity": record.alert.severity,
                "details": record.alert.details,
            }
        )
    return record.event.model_dump_json(), alert


def record_from_json(event: str, alert: str | None) -> OutcomeRecord:
    alert_record = None
    if alert:
        data = json.loads(alert)
        alert_record = AlertRecord(
            data["alert_id"], data["kind"], data["severity"], data["details"]
        )
    return OutcomeRecord(ReminderOutcomeEvent.model_validate_json(event), alert_record)


class SqliteReminderStore:
    """The robot's store: one SQLite file, each change its own durable transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except (sqlite3.DatabaseError, OSError) as error:
            raise ReminderStoreError(f"reminder store {path}: cannot open it: {error}") from None

    def close(self) -> None:
        self._db.close()

    def last_tick(self) -> datetime | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'last_tick'").fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def set_last_tick(self, moment: datetime) -> None:
        # Written every minute: not worth a disk sync each time. Losing the last few at a
        # power cut only makes the engine look a little further back, and what it finds
        # there is already open or closed (synced with FULL), so nothing repeats.
        self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('last_tick', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (moment.astimezone(UTC).isoformat(),),
            )
        finally:
            self._db.execute("PRAGMA synchronous=FULL")

    def open_occurrences(self) -> list[OpenOccurrence]:
        rows = self._db.execute("SELECT state FROM open_occurrences ORDER BY occurrence_id")
        return [OpenOccurrence.from_json(state) for (state,) in rows]

    def save_open(self, state: OpenOccurrence) -> None:
        self._db.execute(
            "INSERT INTO open_occurrences (occurrence_id, state) VALUES (?, ?)"
            " ON CONFLICT (occurrence_id) DO UPDATE SET state = excluded.state",
            (state.occurrence_id, state.to_json()),
        )

    def drop_open(self, occurrence_id: str) -> None:
        self._db.execute("DELETE FROM open_occurrences WHERE occurrence_id = ?", (occurrence_id,))

    def record_outcome(self, record: OutcomeRecord, closes: bool) -> bool:
        event, alert = record_to_json(record)
        with _Transaction(self._db):
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outcomes"
                " (event_id, occurrence_id, outcome, event, alert, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.event.event_id,
                    record.event.occurrence_id,
                    record.event.outcome,
                    event,
                    alert,
                    record.event.ts,
                ),
            )
            if cursor.rowcount == 1 and closes:
                self._db.execute(
                    "DELETE FROM open_occurrences WHERE occurrence_id = ?",
                    (record.event.occurrence_id,),
                )
        return cursor.rowcount == 1

    def is_handled(self, occurrence_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM open_occurrences WHERE occurrence_id = ?"
            " UNION ALL SELECT 1 FROM outcomes WHERE occurrence_id = ? AND outcome IN (?, ?)"
            " LIMIT 1",
            (occurrence_id, occurrence_id, *FINAL_OUTCOMES),
        ).fetchone()
        return row is not None

    def unsent_outcomes(self) -> list[OutcomeRecord]:
        rows = self._db.execute(
            "SELECT event, alert FROM outcomes WHERE sent = 0 ORDER BY recorded_at, event_id"
        )
        return [record_from_json(event, alert) for event, alert in rows]

    def mark_sent(self, event_id: str) -> None:
        self._db.execute("UPDATE outcomes SET sent = 1 WHERE event_id = ?", (event_id,))

    def add_voice_reminder(self, spec: ReminderSpec) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO voice_reminders (reminder_id, spec) VALUES (?, ?)",
            (spec.id, spec.model_dump_json()),
        )

    def voice_reminders(self) -> list[ReminderSpec]:
        rows = self._db.execute("SELECT spec FROM voice_reminders ORDER BY reminder_id")
        return [ReminderSpec.model_validate_json(spec) for (spec,) in rows]

    def forget_resident(self) -> None:
        with _Transaction(self._db):
            for table in ("open_occurrences", "outcomes", "voice_reminders"):
                self._db.execute(f"DELETE FROM {table}")  # fixed table names, no input


class _Transaction:
    """BEGIN ... COMMIT on an autocommit connection; ROLLBACK if the block raises."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.db.execute("COMMIT" if error is None else "ROLLBACK")


class MemoryReminderStore:
    """The same contract in memory: nothing survives the process."""

    def __init__(self) -> None:
        self._last_tick: datetime | None = None
        self._open: dict[str, OpenOccurrence] = {}
        self._outcomes: dict[str, tuple[OutcomeRecord, bool]] = {}
        self._closed: set[str] = set()
        self._voice: dict[str, ReminderSpec] = {}

    def close(self) -> None:
        pass

    def last_tick(self) -> datetime | None:
        return self._last_tick

    def set_last_tick(self, moment: datetime) -> None:
        self._last_tick = moment.astimezone(UTC)

    def open_occurrences(self) -> list[OpenOccurrence]:
        # Copies, as SQLite hands out fresh objects: callers must save_open to change state.
        return [self._open[key].copy() for key in sorted(self._open)]

    def save_open(self, state: OpenOccurrence) -> None:
        self._open[state.occurrence_id] = state.copy()

    def drop_open(self, occurrence_id: str) -> None:
        self._open.pop(occurrence_id, None)

    def record_outcome(self, record: OutcomeRecord, closes: bool) -> bool:
        event = record.event
        if event.event_id in self._outcomes:
            return False
        self._outcomes[event.event_id] = (record, False)
        if event.outcome in FINAL_OUTCOMES:
            self._closed.add(event.occurrence_id)
        if closes:
            self._open.pop(event.occurrence_id, None)
        return True

    def is_handled(self, occurrence_id: str) -> bool:
        return occurrence_id in self._open or occurrence_id in self._closed

    def unsent_outcomes(self) -> list[OutcomeRecord]:
        unsent = [record for record, sent in self._outcomes.values() if not sent]
        return sorted(unsent, key=lambda record: (record.event.ts, record.event.event_id))

    def mark_sent(self, event_id: str) -> None:
        if event_id in self._outcomes:
            self._outcomes[event_id] = (self._outcomes[event_id][0], True)

    def add_voice_reminder(self, spec: ReminderSpec) -> None:
        self._voice[spec.id] = spec

    def voice_reminders(self) -> list[ReminderSpec]:
        return [self._voice[key] for key in sorted(self._voice)]

    def forget_resident(self) -> None:
        self._open.clear()
        self._outcomes.clear()
        self._closed.clear()
        self._voice.clear()
