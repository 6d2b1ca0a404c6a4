"""API latency: `GET /api/v1/robots` with 10,000 robots, open-loop at 100 requests/s.

The real app (`fleet.app.create_app`) runs under uvicorn in its own process on a
database seeded through the store. The client sends on a fixed schedule, whatever
the answers do (open loop), and measures each request from its scheduled start,
so a slow answer that delays the next ones shows up as queueing, not as fewer
requests. The same schedule against `GET /api/v1/health`, run just before,
is the baseline the ratio compares with.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlite_utils

from benchmarks.broker import REPO_ROOT, free_port, process_cpu_seconds
from benchmarks.report import Figure, Section, percentile
from fleet.api.security import hash_password
from fleet.mqtt_passwords import hash_mqtt_password
from fleet.protocol import Telemetry
from fleet.store import open_database, record_telemetry
from fleet.store.accounts import create_agency, create_user, signing_key
from fleet.store.robots import create_robot
from homecare.clock import SystemClock

TARGET_P99_MS = 100.0
EMAIL, PASSWORD = "admin@bench.example", "Bench-Password-42"
ROBOTS_PATH, BASELINE_PATH = "/api/v1/robots", "/api/v1/health"


@dataclass(frozen=True)
class ApiParams:
    robots: int = 10_000
    reporting_share: float = 0.9  # robots with a robot_state row (the rest never reported)
    rate: float = 100.0
    duration_s: float = 20.0
    warmup_s: float = 2.0


@dataclass
class Schedule:
    path: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    late_starts: int = 0  # requests the client itself started over 10 ms late
    server_cpu_ms: float = 0.0  # CPU per request, server process
    client_cpu_ms: float = 0.0  # CPU per request, this (client) process

    def failures(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != 200)


# seeding


def seed(db_path: Path, params: ApiParams) -> None:
    """One agency with an admin and `params.robots` robots, most with a latest state."""
    now = SystemClock().now().timestamp()
    db = open_database(db_path, SystemClock())
    # Seeding only: 10,000 provisioning transactions need not each wait for the disk.
    db.execute("PRAGMA synchronous=OFF")
    agency = create_agency(db, "Bench agency", "RU-PER", now)
    create_user(
        db,
        agency,
        email=EMAIL,
        password_hash=hash_password(PASSWORD),
        full_name="Bench admin",
        role="admin",
        now=now,
    )
    signing_key(db, now)
    password_hash = hash_mqtt_password("bench")  # one hash for all: hashing is not measured
    robot_ids = [
        create_robot(
            db,
            agency,
            serial=f"HC2-{index:06d}",
            model="HomeCare 2",
            password_hash=password_hash,
            user_id=None,
            now=now,
        )
        for index in range(params.robots)
    ]
    _report_state(db, robot_ids[: int(len(robot_ids) * params.reporting_share)], now)
    db.conn.close()


def _report_state(db: sqlite_utils.Database, robot_ids: list[str], now: float) -> None:
    """Latest state through the ingest's own store call; one robot in ten has gone quiet."""
    fresh = [(rid, Telemetry(ts=now, battery_pct=80.0, charging=False)) for rid in robot_ids]
    quiet, online = fresh[::10], [item for index, item in enumerate(fresh) if index % 10]
    record_telemetry(db, online, now)
    record_telemetry(db, quiet, now - 3600)


# the server


class ApiServer:
    def __init__(self, db_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "benchmarks.api_server", "--db", str(db_path)]
        self.process = subprocess.Popen([*command, "--port", str(self.port)], cwd=REPO_ROOT)

    def wait_ready(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the API server exited during start-up")
            try:
                httpx.get(self.url + BASELINE_PATH, timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the API server did not answer in time")

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


# the client


async def sign_in(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD}
    )
    response.raise_for_status()
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"


async def open_loop(
    client: httpx.AsyncClient, path: str, rate: float, duration_s: float
) -> Schedule:
    """`rate` requests/s for `duration_s`, each timed from when it was due."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    schedule = Schedule(path)

    async def one(index: int) -> None:
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        if loop.time() - due > 0.010:
            schedule.late_starts += 1
        response = await client.get(path)
        schedule.latencies_ms.append(1000 * (loop.time() - due))
        schedule.statuses[response.status_code] = schedule.statuses.get(response.status_code, 0) + 1

    await asyncio.gather(*(one(index) for index in range(round(rate * duration_s))))
    return schedule


async def measure(server: ApiServer, params: ApiParams) -> tuple[Schedule, Schedule]:
    # Enough connections that the client never queues a request behind a slow one.
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as client:
        await sign_in(client)
        await open_loop(client, ROBOTS_PATH, params.rate, params.warmup_s)  # warm-up, dropped
        baseline = await timed(
            server, open_loop(client, BASELINE_PATH, params.rate, params.duration_s)
        )
        robots = await timed(server, open_loop(client, ROBOTS_PATH, params.rate, params.duration_s))
    return baseline, robots


async def timed(server: ApiServer, run: Coroutine[Any, Any, Schedule]) -> Schedule:
    """Run a schedule, noting the CPU that server and client spent per request."""
    server_before, client_before = server.cpu_seconds(), process_cpu_seconds(os.getpid())
    schedule = await run
    requests = max(1, len(schedule.latencies_ms))
    schedule.server_cpu_ms = 1000 * (server.cpu_seconds() - server_before) / requests
    schedule.client_cpu_ms = 1000 * (process_cpu_seconds(os.getpid()) - client_before) / requests
    return schedule


def run_api_benchmark(params: ApiParams) -> Section:
    with tempfile.TemporaryDirectory(prefix="fleet-bench-api-") as folder:
        db_path = Path(folder) / "fleet.db"
        seed(db_path, params)
        robots_in_db = _count(db_path, "robots"), _count(db_path, "robot_state")
        server = ApiServer(db_path)
        try:
            server.wait_ready()
            baseline, robots = asyncio.run(measure(server, params))
        finally:
            server.stop()
    return api_section(baseline, robots, robots_in_db, params)


def _count(db_path: Path, table: str) -> int:
    with sqlite3.connect(db_path) as connection:
        return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def api_section(
    baseline: Schedule, robots: Schedule, robots_in_db: tuple[int, int], params: ApiParams
) -> Section:
    p99 = percentile(robots.latencies_ms, 99)
    base_p99 = percentile(baseline.latencies_ms, 99)
    section = Section(f"API (GET {ROBOTS_PATH}, default page, open loop at {params.rate:g} req/s)")
    section.figures += [
        Figure("robots p50", percentile(robots.latencies_ms, 50), "ms"),
        Figure("robots p99", p99, "ms", f"< {TARGET_P99_MS:.0f} ms", p99 < TARGET_P99_MS),
        Figure("health p50 (baseline)", percentile(baseline.latencies_ms, 50), "ms"),
        Figure("health p99 (baseline)", base_p99, "ms"),
        Figure("p99 ratio robots / health", p99 / base_p99 if base_p99 else float("nan"), "x"),
        Figure(
            "requests that failed",
            robots.failures() + baseline.failures(),
            "requests",
            "0",
            robots.failures() + baseline.failures() == 0,
        ),
    ]
    section.notes += [
        f"database: {robots_in_db[0]:,} robots, {robots_in_db[1]:,} with a latest state; "
        f"{len(robots.latencies_ms)} robots requests and {len(baseline.latencies_ms)} health "
        f"requests over {params.duration_s:g} s each, after a {params.warmup_s:g} s warm-up",
        f"statuses: robots {robots.statuses}, health {baseline.statuses}; client started "
        f"{robots.late_starts + baseline.late_starts} requests over 10 ms late",
        f"CPU per request, server / client (httpx): robots {robots.server_cpu_ms:.1f} / "
        f"{robots.client_cpu_ms:.1f} ms, health {baseline.server_cpu_ms:.1f} / "
        f"{baseline.client_cpu_ms:.1f} ms",
    ]
    section.details = {
        "params": asdict(params),
        "robots": asdict(robots),
        "baseline": asdict(baseline),
    }
    return section
