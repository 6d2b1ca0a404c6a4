"""Alert path: robot outbox -> broker -> incident committed -> ack back, per alert, on loopback.

The robot side is the real one (AlertOutbox in a SQLite file on disk, FleetLink,
MqttConnection over paho); the fleet side is the real FleetIngest in its own
process, as in a deployment. Alerts go out evenly spaced at a fixed rate. Each
alert's latency runs from the moment its outbox row is committed to the moment
the fleet's ack has marked it acknowledged in the outbox.

The robot loop here pumps the link as soon as something arrives. The fleet_link
node pumps on a timer (`pump_period_s`, 0.1 s by default), which on a robot adds
up to that period before the outbox row is marked; the ack has arrived by then.
"""

from __future__ import annotations

import queue
import sqlite3
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.broker import BenchBroker
from benchmarks.ingest_worker import start_worker, stop_workers
from benchmarks.mqtt_load import LoadGenerator
from benchmarks.report import Figure, Section, percentile
from fleet.protocol import AlertPayload
from fleet.store import open_database
from homecare.clock import SystemClock
from robot.fleet_link.link import FleetLink
from robot.fleet_link.mqtt import Inbound, MqttConnection, parse_broker_url
from robot.fleet_link.outbox import AlertOutbox

TARGET_P99_MS = 100.0
ROBOT_ID = "bench-robot"


@dataclass(frozen=True)
class AlertParams:
    rate_per_min: float = 1000.0
    duration_s: float = 60.0
    warmup_alerts: int = 5  # sent and acknowledged first, left out of the figures
    drain_timeout_s: float = 15.0
    # The fleet is not idle meanwhile: 1,000 robots' telemetry, one reading each per 30 s
    # heartbeat, goes into the same database (its batch commits can delay an incident's).
    telemetry_robots: int = 1000
    telemetry_rate: float = 1000 / 30


@dataclass
class AlertRun:
    latencies_ms: list[float] = field(default_factory=list)
    commit_ms: list[float] = field(default_factory=list)
    sent: int = 0
    acknowledged: int = 0
    incidents: int = 0
    fleet_counters: dict[str, int] = field(default_factory=dict)


class SignallingInbox(queue.SimpleQueue[Inbound]):
    """The connection's inbox, also telling the robot loop that something arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()

    def put(self, item: Inbound, block: bool = True, timeout: float | None = None) -> None:
        super().put(item, block, timeout)
        self.arrived.set()


class TimedOutbox(AlertOutbox):
    """The real outbox, noting when each alert was committed and when its ack cleared it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SystemClock())
        self.committed_at: dict[str, float] = {}
        self.cleared_at: dict[str, float] = {}
        self.commit_s: list[float] = []

    def add(self, alert: AlertPayload) -> bool:
        started = time.perf_counter()
        added = super().add(alert)
        self.committed_at[alert.alert_id] = now = time.perf_counter()
        self.commit_s.append(now - started)
        return added

    def acknowledge(self, alert_id: str, incident_id: str) -> bool:
        cleared = super().acknowledge(alert_id, incident_id)
        if cleared:
            self.cleared_at[alert_id] = time.perf_counter()
        return cleared


class Robot:
    """One robot's fleet link, driven from one thread like the node's executor."""

    def __init__(self, port: int, outbox_path: Path) -> None:
        self.connection = MqttConnection(parse_broker_url(f"mqtt://127.0.0.1:{port}"), ROBOT_ID)
        self.inbox = SignallingInbox()
        self.connection.inbox = self.inbox
        self.outbox = TimedOutbox(outbox_path)
        self.clock = SystemClock()
        self.link = FleetLink(ROBOT_ID, self.connection, self.outbox, self.clock, "bench")
        self.serial = 0

    def start(self) -> None:
        self.connection.start()
        if not self.connection.connected.wait(10):
            raise RuntimeError("the robot could not connect to the broker")

    def stop(self) -> None:
        self.connection.stop()
        self.outbox.close()

    def raise_alert(self) -> str:
        self.serial += 1
        alert = AlertPayload(
            alert_id=f"bench-{self.serial:06d}",
            kind="fall",
            severity="critical",
            ts=self.clock.now().timestamp(),
            details={"room": "kitchen", "confidence": 0.93},
        )
        self.link.raise_alert(alert)  # commit to the outbox, then publish
        return alert.alert_id

    def pump_until(self, deadline: float) -> None:
        """Handle acks the moment they arrive, until `deadline` (perf_counter)."""
        while (remaining := deadline - time.perf_counter()) > 0:
            if self.inbox.arrived.wait(remaining):
                self.inbox.arrived.clear()
                self.link.pump()

    def wait_acknowledged(self, alert_ids: list[str], timeout_s: float) -> None:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline and not self._all_cleared(alert_ids):
            self.pump_until(min(deadline, time.perf_counter() + 0.05))

    def _all_cleared(self, alert_ids: list[str]) -> bool:
        return all(alert_id in self.outbox.cleared_at for alert_id in alert_ids)


def send_evenly(robot: Robot, params: AlertParams) -> list[str]:
    """Alerts on a fixed schedule (rate_per_min for duration_s), pumping in between."""
    interval = 60.0 / params.rate_per_min
    count = max(1, round(params.duration_s / interval))
    start = time.perf_counter()
    alert_ids = []
    for index in range(count):
        robot.pump_until(start + index * interval)
        alert_ids.append(robot.raise_alert())
    return alert_ids


def run_alert_benchmark(params: AlertParams) -> Section:
    with tempfile.TemporaryDirectory(prefix="fleet-bench-alerts-") as folder:
        run = _run(Path(folder), params)
    return alert_section(run, params)


def _run(folder: Path, params: AlertParams) -> AlertRun:
    db_path = folder / "fleet.db"
    open_database(db_path, SystemClock()).conn.close()
    with BenchBroker(folder) as broker:
        fleet = start_worker(db_path, broker.port)
        telemetry = LoadGenerator(broker.port, params.telemetry_robots, params.telemetry_rate)
        robot = Robot(broker.port, folder / "robot" / "outbox.db")
        try:
            telemetry.start()
            robot.start()
            run = _exercise(robot, params)
        finally:
            robot.stop()
            telemetry.stop()
            run_counters = stop_workers([fleet])
    run.fleet_counters = run_counters
    run.incidents = _incident_count(db_path)
    return run


def _exercise(robot: Robot, params: AlertParams) -> AlertRun:
    warmup = [robot.raise_alert() for _ in range(params.warmup_alerts)]
    robot.wait_acknowledged(warmup, timeout_s=15)
    alert_ids = send_evenly(robot, params)
    robot.wait_acknowledged(alert_ids, timeout_s=params.drain_timeout_s)
    outbox = robot.outbox
    cleared = [a for a in alert_ids if a in outbox.cleared_at]
    return AlertRun(
        latencies_ms=[1000 * (outbox.cleared_at[a] - outbox.committed_at[a]) for a in cleared],
        commit_ms=[1000 * seconds for seconds in outbox.commit_s[len(warmup) :]],
        sent=len(alert_ids),
        acknowledged=len(cleared),
    )


def _incident_count(db_path: Path) -> int:
    with sqlite3.connect(db_path) as connection:
        row = connection.execute(
            "SELECT COUNT(*) FROM incidents WHERE alert_id LIKE 'bench-%'"
        ).fetchone()
    return int(row[0])


def alert_section(run: AlertRun, params: AlertParams) -> Section:
    p99 = percentile(run.latencies_ms, 99)
    lost = run.sent - run.acknowledged
    section = Section(
        "Alert path (robot outbox -> mosquitto -> incident committed -> ack at robot)"
    )
    section.figures += [
        Figure("p50", percentile(run.latencies_ms, 50), "ms"),
        Figure("p99", p99, "ms", f"< {TARGET_P99_MS:.0f} ms", p99 < TARGET_P99_MS),
        Figure("max", max(run.latencies_ms, default=float("nan")), "ms"),
        Figure("alerts acknowledged", run.acknowledged, "alerts"),
        Figure("lost", lost, "alerts", "0", lost == 0),
    ]
    section.notes += [
        f"{run.sent} alerts at {params.rate_per_min:g}/min, evenly spaced, over "
        f"{params.duration_s:g} s (after {params.warmup_alerts} warm-up alerts, not counted); "
        f"meanwhile telemetry from {params.telemetry_robots:,} robots at "
        f"{params.telemetry_rate:.0f} msgs/s",
        f"incidents in the fleet database: {run.incidents} (sent, with warm-up: "
        f"{run.sent + params.warmup_alerts}); fleet counters: {run.fleet_counters}",
        f"outbox commit on the robot (synchronous=FULL, fsync): p50 "
        f"{percentile(run.commit_ms, 50):.1f} ms, p99 {percentile(run.commit_ms, 99):.1f} ms "
        "(before the latency clock starts)",
    ]
    section.details = {
        "params": asdict(params),
        "sent": run.sent,
        "acknowledged": run.acknowledged,
        "incidents": run.incidents,
        "fleet_counters": run.fleet_counters,
        "latencies_ms": [round(value, 3) for value in run.latencies_ms],
    }
    return section
