"""What the fleet service recorded during a run, read back from its SQLite file."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FleetIncident:
    t_s: float  # when the fleet received it, in simulated seconds after the start
    kind: str
    severity: str


@dataclass(frozen=True)
class FleetOutcome:
    t_s: float
    reminder_id: str
    outcome: str


@dataclass(frozen=True)
class FleetFacts:
    incidents: list[FleetIncident]
    outcomes: list[FleetOutcome]
    # Devices the fleet has a health report of (the latest only), by name.
    device_reports: frozenset[str] = frozenset()


def read_fleet_facts(db_path: Path, start_epoch_s: float) -> FleetFacts:
    """Incidents and reminder outcomes, timed on the simulated clock the fleet ran on."""
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)) as db:
        incidents = [
            FleetIncident(received - start_epoch_s, kind, severity)
            for kind, severity, received in db.execute(
                "SELECT kind, severity, received_at FROM incidents ORDER BY received_at"
            )
        ]
        outcomes = [
            FleetOutcome(received - start_epoch_s, reminder, outcome)
            for reminder, outcome, received in db.execute(
                "SELECT reminder_id, outcome, received_at FROM reminder_outcomes"
                " ORDER BY received_at"
            )
        ]
        reports = frozenset(name for (name,) in db.execute("SELECT device FROM device_status"))
    return FleetFacts(incidents, outcomes, reports)
