"""The fleet store on real SQLite files: migrations, idempotent incidents, batched telemetry."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fleet.protocol import AlertPayload, RobotState, Telemetry
from fleet.store import open_database, record_alert, record_state, record_telemetry
from fleet.store.database import apply_migrations, schema_version
from fleet.store.migrations import MIGRATIONS
from homecare.clock import ManualClock
from homecare.errors import HomecareError

TS = 1_767_600_000.0


def test_migrations_apply_once_and_the_database_uses_wal(tmp_path: Path) -> None:
    clock = ManualClock()
    db = open_database(tmp_path / "fleet.db", clock)
    newest = MIGRATIONS[-1][0]
    assert schema_version(db) == newest
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"agencies", "users", "robots", "residents", "rentals", "telemetry", "robot_state",
            "incidents", "audit_log"} <= set(db.table_names())  # fmt: skip
    assert apply_migrations(db, clock) == []
    db.conn.close()
    assert schema_version(open_database(tmp_path / "fleet.db", clock)) == newest


def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    clock = ManualClock()
    db = open_database(tmp_path / "fleet.db", clock)
    db.execute("INSERT INTO schema_migrations VALUES (999, 'future', 0)")
    db.conn.close()
    with pytest.raises(HomecareError, match="newer than this program"):
        open_database(tmp_path / "fleet.db", clock)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    path.write_bytes(b"not sqlite" * 500)
    with pytest.raises(HomecareError, match=r"fleet database .*fleet\.db"):
        open_database(path, ManualClock())


def test_the_same_alert_twice_is_one_incident(tmp_path: Path) -> None:
    db = open_database(tmp_path / "fleet.db", ManualClock())
    alert = AlertPayload(alert_id="a-1", kind="fall", severity="critical", ts=TS, details={"x": 1})
    first = record_alert(db, "r1", alert, now=TS + 1)
    again = record_alert(db, "r1", alert, now=TS + 5)
    assert first.created and not again.created
    assert first.incident_id == again.incident_id
    assert db.execute("SELECT COUNT(*), MIN(received_at) FROM incidents").fetchone() == (1, TS + 1)


def test_telemetry_batch_fills_the_series_and_the_latest_state(tmp_path: Path) -> None:
    db = open_database(tmp_path / "fleet.db", ManualClock())
    record_state(db, "r1", RobotState(state="ready", bdseq=0, fw="1.0", ts=TS), now=TS)
    batch = [
        ("r1", Telemetry(battery_pct=80, charging=False, ts=TS + 1)),
        ("r2", Telemetry(battery_pct=50, charging=True, ts=TS + 1)),
        ("r1", Telemetry(battery_pct=79, charging=False, ts=TS + 2)),
    ]
    record_telemetry(db, batch, now=TS + 3)
    assert db.execute("SELECT COUNT(*) FROM telemetry").fetchone()[0] == 3
    rows = {
        row[0]: row[1:]
        for row in db.execute("SELECT robot_id, state, fw, battery_pct, charging FROM robot_state")
    }
    assert rows["r1"] == ("ready", "1.0", 79.0, 0)
    assert rows["r2"] == ("ready", None, 50.0, 1)
    record_state(db, "r1", RobotState(state="lost", ts=TS + 4), now=TS + 4)
    assert db.execute("SELECT state, fw FROM robot_state WHERE robot_id='r1'").fetchone() == (
        "lost",
        "1.0",
    )


def test_a_failing_batch_writes_nothing(tmp_path: Path) -> None:
    db = open_database(tmp_path / "fleet.db", ManualClock())
    db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON robot_state BEGIN SELECT RAISE(ABORT, 'no'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        record_telemetry(db, [("r1", Telemetry(battery_pct=1, charging=False, ts=TS))], now=TS)
    assert db.execute("SELECT COUNT(*) FROM telemetry").fetchone()[0] == 0
