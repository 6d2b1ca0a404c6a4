"""One fault-injection run: real mosquitto, real fleet service, real robot link, and chaos.

    robot process --(CuttableProxy)--> mosquitto <-- `homecare fleet serve --mqtt`

The robot raises its alert sequence while the schedule (`fault_chaos.py`) SIGKILLs
the robot, the broker or the fleet service and restarts it, or cuts the link for a
while; then a final outage is held until every alert has been raised, everything is
healed, and the run waits (with a deadline) for the outbox to drain. The processes
are stopped and the databases compared (`fault_check.py`).

Every wait has a deadline; sleeps only pace the chaos (a part stays down so long).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.broker import free_port
from benchmarks.fault_chaos import ChaosParams, Fault, chaos_schedule
from benchmarks.fault_check import Delivery, check_delivery, outbox_progress
from benchmarks.fault_processes import (
    BrokerProcess,
    Deployment,
    FleetProcess,
    Restartable,
    RobotProcess,
    deploy,
)
from benchmarks.fault_robot import alert_id
from simulations.uplink import CuttableProxy

log = logging.getLogger("benchmarks.fault_injection")


@dataclass(frozen=True)
class FaultParams:
    alerts: int = 10_000
    rate: float = 50.0  # alerts per second while the robot runs
    chaos: ChaosParams = field(default_factory=ChaosParams)
    drain_timeout_s: float = 180.0  # after the final heal; the target is 60 s
    final_min_s: float = 0.0  # hold the final outage at least this long (a long outage)


@dataclass
class FaultRun:
    delivery: Delivery | None = None
    kills: dict[str, int] = field(default_factory=dict)
    cuts: int = 0
    applied: list[str] = field(default_factory=list)  # "t=12.3s broker down 1.2s", in order
    final_outage: str = ""
    final_outage_s: float = 0.0
    backlog_at_heal: int = 0
    drain_s: float | None = None  # final heal (restart or restore begins) -> outbox empty
    robot_reconnect_s: float | None = None  # final heal -> robot connected (if it had to)
    duration_s: float = 0.0


class Cluster:
    """The running parts, and how to fail and heal each."""

    def __init__(self, deployment: Deployment, params: FaultParams) -> None:
        self.broker = BrokerProcess(deployment)
        self.fleet = FleetProcess(deployment)
        self.proxy = CuttableProxy("127.0.0.1", deployment.broker_port, free_port())
        self.robot = RobotProcess(
            deployment, self.proxy.port, params.chaos.seed, params.alerts, params.rate
        )
        self.parts: dict[str, Restartable] = {
            "broker": self.broker, "fleet": self.fleet, "robot": self.robot,
        }  # fmt: skip

    def start(self) -> None:
        self.proxy.start()
        for part in (self.broker, self.fleet, self.robot):
            part.start()
            part.wait_ready()

    def stop(self) -> None:
        # The robot first (a clean stop), the broker last, so nobody logs a lost broker.
        for part in (self.robot, self.fleet, self.broker):
            part.stop()
        self.proxy.stop()

    def fail(self, target: str) -> None:
        if target == "link":
            self.proxy.cut()
        else:
            self.parts[target].kill()

    def heal(self, target: str) -> None:
        if target == "link":
            self.proxy.restore()
            return
        part = self.parts[target]
        part.start()
        part.wait_ready()


def run_fault_injection(params: FaultParams, folder: Path | None = None) -> FaultRun:
    """The whole run in `folder` (default: a temporary folder, removed afterwards)."""
    with _run_folder(folder) as where:
        deployment = deploy(where)
        cluster = Cluster(deployment, params)
        started = time.monotonic()
        try:
            cluster.start()
            run = _exercise(cluster, params, started)
        finally:
            cluster.stop()
        run.kills = {name: part.kills for name, part in cluster.parts.items()}
        run.cuts = cluster.proxy.cuts
        ids = [alert_id(params.chaos.seed, index) for index in range(params.alerts)]
        run.delivery = check_delivery(cluster.robot.outbox, deployment.db_path, deployment.rid, ids)
        run.duration_s = time.monotonic() - started
    return run


def _exercise(cluster: Cluster, params: FaultParams, started: float) -> FaultRun:
    run = FaultRun()
    faults, final = chaos_schedule(params.alerts, params.chaos)
    # Generous: the sequence at its rate, three times over, plus the outages.
    deadline = started + 3 * params.alerts / params.rate + 120 + 10 * len(faults)
    deadline += params.final_min_s
    for fault in faults:
        _strike_when_due(cluster, fault, deadline)
        at = time.monotonic() - started
        run.applied.append(f"t={at:.1f}s {fault.target} down {fault.down_s:.1f}s")
        time.sleep(fault.down_s)  # pacing the outage, not synchronisation
        cluster.heal(fault.target)
    _strike_when_due(cluster, final, deadline)
    struck = time.monotonic()
    run.final_outage = final.target
    _wait(lambda: _progress(cluster)[0] >= params.alerts, deadline, cluster, "all alerts raised")
    time.sleep(max(0.0, struck + params.final_min_s - time.monotonic()))  # pacing
    run.final_outage_s = time.monotonic() - struck
    healed, healed_wall = time.monotonic(), time.time()
    cluster.heal(final.target)
    run.backlog_at_heal = _progress(cluster)[1]
    drain_deadline = healed + params.drain_timeout_s
    _wait(lambda: _progress(cluster)[1] == 0, drain_deadline, cluster, "the outbox to drain")
    run.drain_s = time.monotonic() - healed
    reconnected = cluster.robot.connected_since(healed_wall)
    run.robot_reconnect_s = None if reconnected is None else reconnected - healed_wall
    return run


def _strike_when_due(cluster: Cluster, fault: Fault, deadline: float) -> None:
    what = f"{fault.after_alerts} alerts raised"
    _wait(lambda: _progress(cluster)[0] >= fault.after_alerts, deadline, cluster, what)
    time.sleep(fault.delay_s)  # the random moment within the sequence
    log.info("fault: %s down for %.1f s", fault.target, fault.down_s)
    cluster.fail(fault.target)


def _progress(cluster: Cluster) -> tuple[int, int]:
    return outbox_progress(cluster.robot.outbox)


def _wait(condition: Callable[[], bool], deadline: float, cluster: Cluster, what: str) -> None:
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"fault injection: gave up waiting for {what}")
        for part in cluster.parts.values():
            if part.starts and not part.down and not part.running():
                raise RuntimeError(f"{part.name} died on its own:\n{part.log_text()[-2000:]}")
        time.sleep(0.05)


@contextmanager
def _run_folder(folder: Path | None) -> Iterator[Path]:
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o711)
        yield folder
        return
    # mosquitto started as root drops to its own user: the folder must be traversable.
    where = Path(tempfile.mkdtemp(prefix="homecare-faults-"))
    where.chmod(0o711)
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)
