"""The verdict of a fault-injection run, read from the two databases after everything stopped.

Every alert of the robot's sequence must be exactly one incident of its robot in the
fleet database, no incident may lack its alert, and every outbox row must be
acknowledged with the id of the incident the fleet holds for it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Delivery:
    expected: int  # alerts in the sequence
    raised: int  # rows in the robot's outbox
    incidents: int  # the robot's incidents in the fleet database
    lost: int  # alerts of the sequence without an incident
    duplicates: int  # incidents beyond one per alert_id
    unexpected: int  # incidents whose alert_id is not in the sequence
    unacked: int  # outbox rows still pending
    mismatched: int  # acked rows whose incident id differs from the fleet's

    @property
    def ok(self) -> bool:
        bad = (self.lost, self.duplicates, self.unexpected, self.unacked, self.mismatched)
        return self.raised == self.expected and not any(bad)


def outbox_progress(path: Path) -> tuple[int, int]:
    """(alerts held, alerts pending) in the robot's outbox; (0, 0) before it exists."""
    if not path.exists():
        return 0, 0
    with closing(sqlite3.connect(path, timeout=10)) as connection:
        try:
            rows, pending = connection.execute(
                "SELECT COUNT(*), COALESCE(SUM(acked_at IS NULL), 0) FROM alerts"
            ).fetchone()
        except sqlite3.OperationalError:
            return 0, 0  # the robot has not made its table yet
    return int(rows), int(pending)


def check_delivery(outbox_path: Path, fleet_db: Path, rid: str, alert_ids: list[str]) -> Delivery:
    with closing(sqlite3.connect(outbox_path, timeout=10)) as connection:
        outbox = {
            str(alert_id): (acked_at, incident_id)
            for alert_id, acked_at, incident_id in connection.execute(
                "SELECT alert_id, acked_at, incident_id FROM alerts"
            )
        }
    with closing(sqlite3.connect(fleet_db, timeout=10)) as connection:
        rows = connection.execute(
            "SELECT alert_id, id FROM incidents WHERE robot_id = ?", (rid,)
        ).fetchall()
    incidents: dict[str, list[int]] = {}
    for alert_id, incident_id in rows:
        incidents.setdefault(str(alert_id), []).append(int(incident_id))
    expected = set(alert_ids)
    return Delivery(
        expected=len(alert_ids),
        raised=len(outbox.keys() & expected),
        incidents=len(rows),
        lost=len(expected - incidents.keys()),
        duplicates=sum(len(ids) - 1 for ids in incidents.values()),
        unexpected=len(incidents.keys() - expected),
        unacked=sum(1 for acked_at, _ in outbox.values() if acked_at is None),
        mismatched=sum(
            1
            for alert_id, (acked_at, incident_id) in outbox.items()
            if acked_at is not None and [_int(incident_id)] != incidents.get(alert_id)
        ),
    )


def _int(text: object) -> int | None:
    try:
        return int(str(text))
    except ValueError:
        return None
