"""Telemetry retention: raw readings fold into buckets, both expire; the periodic runner."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import sqlite_utils

from fleet.periodic import PeriodicTask, telemetry_retention_task
from fleet.protocol import Telemetry
from fleet.store import open_database, record_telemetry
from fleet.store.telemetry import CompactionReport, compact_telemetry, telemetry_points
from homecare.clock import ManualClock
from homecare.settings import FleetSettings
from tests.fleet_api import START
from tests.support import wait_until

NOW = START.timestamp()
DAY = 86_400.0
# Raw for 7 days, 5-minute buckets, everything gone after 30 days.
SETTINGS = FleetSettings(telemetry_raw_days=7, telemetry_bucket_s=300, telemetry_retention_days=30)


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_database(tmp_path / "fleet.db", ManualClock(START))


def reading(
    ts: float, battery: float, charging: bool = False, cpu: float | None = 40.0
) -> Telemetry:
    return Telemetry(ts=ts, battery_pct=battery, charging=charging, cpu_temp_c=cpu, uptime_s=1000.0)


def rows(db: sqlite_utils.Database, table: str) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_raw_readings_past_the_raw_period_fold_into_buckets(db: sqlite_utils.Database) -> None:
    old = NOW - 8 * DAY  # on a bucket boundary
    record_telemetry(db, [
        ("r1", reading(old + 10, 80, charging=False, cpu=41)),
        ("r1", reading(old + 200, 70, charging=True, cpu=None)),
        ("r1", reading(old + 100, 60, charging=False, cpu=45)),
        ("r1", reading(old + 310, 50)),  # the next bucket
        ("r2", reading(old + 20, 10)),
        ("r1", reading(NOW - 60, 99)),  # recent: stays raw
    ], now=NOW)  # fmt: skip

    report = compact_telemetry(db, NOW, SETTINGS)

    assert report == CompactionReport(
        folded_rows=5, buckets_written=3, expired_rows=0, expired_buckets=0
    )
    assert rows(db, "telemetry") == 1
    first, second, recent = telemetry_points(db, "r1", since=0)
    assert (first.ts, first.samples, first.downsampled) == (old, 3, True)
    assert first.battery_pct == pytest.approx(70) and first.battery_min == 60
    assert first.cpu_temp_c == 45 and first.charging is True  # the last reading's flag
    assert (second.ts, second.samples, second.battery_pct) == (old + 300, 1, 50)
    assert (recent.ts, recent.downsampled) == (NOW - 60, False)
    assert [p.samples for p in telemetry_points(db, "r2", since=0)] == [1]


def test_compaction_is_idempotent_and_merges_late_readings(db: sqlite_utils.Database) -> None:
    old = NOW - 8 * DAY
    record_telemetry(db, [("r1", reading(old + 10, 80)), ("r1", reading(old + 20, 60))], now=NOW)
    compact_telemetry(db, NOW, SETTINGS)
    assert compact_telemetry(db, NOW, SETTINGS) == CompactionReport()

    # A robot with a wrong clock sends a reading into a bucket folded already.
    record_telemetry(db, [("r1", reading(old + 5, 40, charging=True, cpu=90))], now=NOW)
    compact_telemetry(db, NOW, SETTINGS)
    (bucket,) = telemetry_points(db, "r1", since=0)
    assert bucket.samples == 3 and bucket.battery_pct == pytest.approx(60)
    assert (bucket.battery_min, bucket.cpu_temp_c) == (40, 90)
    assert bucket.charging is False  # the reading at +5 s is not the newest of the bucket


def test_only_whole_buckets_fold(db: sqlite_utils.Database) -> None:
    boundary = NOW - 7 * DAY  # bucket-aligned: the raw period ends exactly here
    record_telemetry(
        db, [("r1", reading(boundary - 1, 50)), ("r1", reading(boundary + 1, 50))], now=NOW
    )
    later = NOW + 100  # the raw period now ends inside the bucket starting at `boundary`
    assert compact_telemetry(db, later, SETTINGS).folded_rows == 1
    assert [p.downsampled for p in telemetry_points(db, "r1", since=0)] == [True, False]


def test_everything_past_the_retention_is_deleted(db: sqlite_utils.Database) -> None:
    record_telemetry(db, [
        ("r1", reading(NOW - 40 * DAY, 50)),
        ("r1", reading(NOW - 20 * DAY, 50)),
        ("r2", reading(NOW - 31 * DAY, 50)),
    ], now=NOW)  # fmt: skip
    compact_telemetry(db, NOW - 12 * DAY, SETTINGS)  # fold all three while they are young
    assert rows(db, "telemetry_rollup") == 3 and rows(db, "telemetry") == 0
    record_telemetry(db, [("r3", reading(NOW - 35 * DAY, 50))], now=NOW)  # raw, never folded

    report = compact_telemetry(db, NOW, SETTINGS)

    assert (report.expired_rows, report.expired_buckets) == (1, 2)
    assert [p.ts for p in telemetry_points(db, "r1", since=0)] == [NOW - 20 * DAY]
    assert telemetry_points(db, "r2", since=0) == telemetry_points(db, "r3", since=0) == []


def test_a_periodic_task_runs_at_start_and_then_once_per_period() -> None:
    clock = ManualClock(START)
    runs: list[float] = []
    task = PeriodicTask("chore", clock, 3600, lambda: runs.append(clock.monotonic()))
    assert task.run_due() and runs == [0.0]
    clock.advance(3599)
    assert not task.run_due()
    clock.advance(1)
    assert task.run_due() and runs == [0.0, 3600.0]
    clock.advance(3 * 3600)  # a long pause: one catch-up run, not three
    assert task.run_due() and not task.run_due()
    assert task.counters == Counter(chore_runs=3)


def test_a_failing_run_is_counted_and_tried_again_next_period() -> None:
    clock = ManualClock(START)
    outcomes = iter([RuntimeError("disk full"), None])

    def flaky() -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    task = PeriodicTask("chore", clock, 60, flaky)
    assert task.run_due()
    clock.advance(60)
    assert task.run_due()
    assert task.counters == Counter(chore_failures=1, chore_runs=1)


def test_the_retention_task_on_its_thread_follows_the_manual_clock(
    db: sqlite_utils.Database,
) -> None:
    clock = ManualClock(START)
    counters: Counter[str] = Counter()
    record_telemetry(db, [("r1", reading(NOW - 8 * DAY, 50))], now=NOW)
    task = telemetry_retention_task(
        db, clock, SETTINGS, period_s=3600, poll_s=0.01, counters=counters
    )
    task.start()
    try:
        wait_until(lambda: task.runs == 1, what="the run at start")
        assert counters["telemetry_folded_rows"] == 1 and rows(db, "telemetry_rollup") == 1
        record_telemetry(db, [("r1", reading(NOW - 7 * DAY, 50))], now=NOW)
        clock.advance(3600)  # the raw period now covers this reading's bucket too
        wait_until(lambda: task.runs == 2, what="the run an hour later")
        assert counters["telemetry_folded_rows"] == 2 and rows(db, "telemetry") == 0
    finally:
        task.stop()
    assert counters["telemetry_retention_runs"] == 2
