"""Telemetry reads and retention: raw readings fold into rollup buckets, then both expire.

Raw readings (one every heartbeat, ~2,900 a day per robot) are kept for
`telemetry_raw_days`; older ones are folded into `telemetry_bucket_s` buckets
(samples, average and minimum battery, hottest CPU, last charging flag) and deleted;
everything older than `telemetry_retention_days` is deleted. `compact_telemetry` does
both and is safe to run at any time, as often as wanted: folding merges into an existing
bucket, so a reading that arrives late (robot clocks drift) is not lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlite_utils

from fleet.store.common import write_transaction
from homecare.settings import FleetSettings

DAY_S = 86_400.0


@dataclass(frozen=True)
class TelemetryPoint:
    """One point of a robot's series: a raw reading, or a bucket of folded readings.

    For a bucket, `ts` is the bucket's start, `battery_pct` the average, `charging` the
    last reading's flag, `cpu_temp_c` and `uptime_s` the largest; `samples` says how many
    readings it stands for and `battery_min` the lowest battery among them.
    """

    ts: float
    battery_pct: float | None
    charging: bool | None
    cpu_temp_c: float | None
    uptime_s: float | None
    samples: int = 1
    battery_min: float | None = None
    downsampled: bool = False


@dataclass(frozen=True)
class RobotPresence:
    robot_id: str
    state: str | None
    last_seen: float | None
    battery_pct: float | None


@dataclass(frozen=True)
class CompactionReport:
    folded_rows: int = 0
    buckets_written: int = 0
    expired_rows: int = 0
    expired_buckets: int = 0

    def __add__(self, other: CompactionReport) -> CompactionReport:
        return CompactionReport(
            self.folded_rows + other.folded_rows,
            self.buckets_written + other.buckets_written,
            self.expired_rows + other.expired_rows,
            self.expired_buckets + other.expired_buckets,
        )


# reads


def robot_in_agency(db: sqlite_utils.Database, robot_id: str, agency_id: int) -> bool:
    row = db.execute(
        "SELECT 1 FROM robots WHERE id = ? AND agency_id = ?", (robot_id, agency_id)
    ).fetchone()
    return row is not None


def telemetry_points(
    db: sqlite_utils.Database,
    robot_id: str,
    *,
    since: float,
    until: float | None = None,
    limit: int = 1000,
) -> list[TelemetryPoint]:
    """At most `limit` points with since <= ts < until, oldest first, rollups and raw merged."""
    raw = db.execute(
        "SELECT ts, battery_pct, charging, cpu_temp_c, uptime_s FROM telemetry"
        f" WHERE robot_id = ? AND {_window('ts', until)} ORDER BY ts LIMIT ?",
        (robot_id, since, *_until(until), limit),
    ).fetchall()
    buckets = db.execute(
        "SELECT bucket_start, battery_avg, charging_last, cpu_temp_max, uptime_max, samples,"
        " battery_min FROM telemetry_rollup"
        f" WHERE robot_id = ? AND {_window('bucket_start', until)} ORDER BY bucket_start LIMIT ?",
        (robot_id, since, *_until(until), limit),
    ).fetchall()
    points = [_raw_point(row) for row in raw] + [_bucket_point(row) for row in buckets]
    points.sort(key=lambda point: point.ts)
    return points[:limit]


def robot_presence(db: sqlite_utils.Database, agency_id: int) -> list[RobotPresence]:
    """The agency's robots in service (not retired) with their latest state, if any."""
    rows = db.execute(
        "SELECT robots.id, robot_state.state, robot_state.last_seen, robot_state.battery_pct"
        " FROM robots LEFT JOIN robot_state ON robot_state.robot_id = robots.id"
        " WHERE robots.agency_id = ? AND robots.status != 'retired' ORDER BY robots.id",
        (agency_id,),
    ).fetchall()
    return [
        RobotPresence(str(rid), state, last_seen, battery)
        for rid, state, last_seen, battery in rows
    ]


def _window(column: str, until: float | None) -> str:
    return f"{column} >= ?" + (f" AND {column} < ?" if until is not None else "")


def _until(until: float | None) -> tuple[float, ...]:
    return () if until is None else (until,)


def _raw_point(
    row: tuple[float, float | None, int | None, float | None, float | None],
) -> TelemetryPoint:
    ts, battery, charging, cpu_temp, uptime = row
    return TelemetryPoint(ts, battery, _flag(charging), cpu_temp, uptime)


def _bucket_point(
    row: tuple[float, float | None, int | None, float | None, float | None, int, float | None],
) -> TelemetryPoint:
    ts, battery, charging, cpu_temp, uptime, samples, battery_min = row
    return TelemetryPoint(
        ts, battery, _flag(charging), cpu_temp, uptime, samples, battery_min, downsampled=True
    )


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


# retention


def compact_telemetry(
    db: sqlite_utils.Database, now: float, settings: FleetSettings
) -> CompactionReport:
    """Fold raw readings past `telemetry_raw_days` into buckets; delete past the retention.

    One short transaction per robot, so the ingest (another connection) waits at most
    for one robot's share, never for the whole table.
    """
    bucket_s = settings.telemetry_bucket_s
    # Whole buckets only: a bucket is folded once its last second is past the raw period.
    fold_before = math.floor((now - settings.telemetry_raw_days * DAY_S) / bucket_s) * bucket_s
    expire_before = now - settings.telemetry_retention_days * DAY_S
    report = CompactionReport()
    for robot_id in _robots_with_telemetry(db):
        with write_transaction(db) as connection:
            expired = connection.execute(
                "DELETE FROM telemetry WHERE robot_id = ? AND ts < ?", (robot_id, expire_before)
            ).rowcount
            buckets = connection.execute(
                _FOLD, {"robot": robot_id, "bucket_s": bucket_s, "before": fold_before}
            ).rowcount
            folded = connection.execute(
                "DELETE FROM telemetry WHERE robot_id = ? AND ts < ?", (robot_id, fold_before)
            ).rowcount
            expired_buckets = connection.execute(
                "DELETE FROM telemetry_rollup WHERE robot_id = ? AND bucket_start < ?",
                (robot_id, expire_before),
            ).rowcount
        report += CompactionReport(folded, buckets, expired, expired_buckets)
    return report


def _robots_with_telemetry(db: sqlite_utils.Database) -> list[str]:
    return sorted(
        set(_distinct_robots(db, "telemetry")) | set(_distinct_robots(db, "telemetry_rollup"))
    )


def _distinct_robots(db: sqlite_utils.Database, table: str) -> list[str]:
    # A "loose index scan": one index seek per robot instead of reading every row.
    rows = db.execute(
        f"WITH RECURSIVE robot(id) AS (SELECT MIN(robot_id) FROM {table} UNION ALL"
        f" SELECT (SELECT MIN(robot_id) FROM {table} WHERE robot_id > robot.id) FROM robot"
        " WHERE robot.id IS NOT NULL) SELECT id FROM robot WHERE id IS NOT NULL"
    ).fetchall()
    return [str(row[0]) for row in rows]


# Battery is required by the protocol, so weighting the averages by `samples` is exact.
# MIN/MAX of two values is NULL if either is: COALESCE keeps the one that exists.
_FOLD = """
INSERT INTO telemetry_rollup (robot_id, bucket_start, bucket_s, samples, battery_avg,
    battery_min, cpu_temp_max, uptime_max, charging_last, last_ts)
SELECT :robot, bucket, :bucket_s, COUNT(*), AVG(battery_pct), MIN(battery_pct),
    MAX(cpu_temp_c), MAX(uptime_s), MAX(CASE WHEN newest_first = 1 THEN charging END), MAX(ts)
FROM (
    SELECT ts, battery_pct, charging, cpu_temp_c, uptime_s,
        CAST(ts / :bucket_s AS INTEGER) * :bucket_s AS bucket,
        ROW_NUMBER() OVER (PARTITION BY CAST(ts / :bucket_s AS INTEGER) ORDER BY ts DESC)
            AS newest_first
    FROM telemetry WHERE robot_id = :robot AND ts < :before
)
WHERE true GROUP BY bucket
ON CONFLICT (robot_id, bucket_start) DO UPDATE SET
    samples = samples + excluded.samples,
    battery_avg = (battery_avg * samples + excluded.battery_avg * excluded.samples)
        / (samples + excluded.samples),
    battery_min = MIN(COALESCE(battery_min, excluded.battery_min),
        COALESCE(excluded.battery_min, battery_min)),
    cpu_temp_max = MAX(COALESCE(cpu_temp_max, excluded.cpu_temp_max),
        COALESCE(excluded.cpu_temp_max, cpu_temp_max)),
    uptime_max = MAX(COALESCE(uptime_max, excluded.uptime_max),
        COALESCE(excluded.uptime_max, uptime_max)),
    charging_last = CASE WHEN excluded.last_ts >= last_ts
        THEN excluded.charging_last ELSE charging_last END,
    last_ts = MAX(last_ts, excluded.last_ts)
"""
