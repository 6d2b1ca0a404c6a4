"""Telemetry ingest: msgs/s that FleetIngest stores, next to a bare `mosquitto_sub`, same run.

One broker; for each offered load, one load generator running through three
phases (so each sees the same offered load), each subscriber set measured alone:

1. bare: `mosquitto_sub -t 'hc/v1/r/+/telemetry' -q 0`, its output lines counted;
2. FleetIngest, one worker process;
3. FleetIngest, N worker processes on an MQTT shared subscription.

A phase counts what its subscriber fully handled over a fixed window after a
warm-up: for FleetIngest, telemetry rows committed to SQLite (validated, stored
in batches, robot_state updated), read as the growth of the table's rowid.

Two offered loads, because on a 2-core machine one cannot show everything:
- flood (the generator writes as fast as mosquitto reads): the bare subscriber then
  gets the broker's full delivery rate, the baseline of the issue's ratio; but
  mosquitto spends a whole core reading and dropping what subscribers cannot take,
  which leaves one core for the workers;
- paced at three times the target rate: more than the ingest takes (so its
  sustained rate is what we count; two workers stored 18,500 of 20,000 msgs/s
  offered here, so twice was not enough), without the broker eating a core for
  messages it drops.
"""

from __future__ import annotations

import io
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.broker import BenchBroker, process_cpu_seconds
from benchmarks.ingest_worker import start_worker, stop_workers
from benchmarks.mqtt_load import LoadGenerator
from benchmarks.report import Figure, Section
from fleet.store import open_database
from homecare.clock import SystemClock

TARGET_RATE = 10_000.0
TARGET_RATIO = 0.5
SHARE_GROUP = "bench-ingest"
FLOOD = 0.0
PACED = 3 * TARGET_RATE


@dataclass(frozen=True)
class IngestParams:
    robots: int = 1000
    loads: tuple[float, ...] = (FLOOD, PACED)  # offered msgs/s; FLOOD: unpaced
    warmup_s: float = 3.0
    window_s: float = 10.0
    workers: int = 2
    batch_size: int | None = None  # None: FleetIngest's own default


@dataclass
class Phase:
    name: str
    load: float  # the offered load asked for (FLOOD or msgs/s)
    rate: float  # messages handled per second over the window
    offered_rate: float  # messages the generator wrote per second over the window
    cpu: dict[str, float] = field(default_factory=dict)  # cores used, per process
    counters: dict[str, int] = field(default_factory=dict)

    def is_bare(self) -> bool:
        return self.name == BARE


BARE = "bare mosquitto_sub"


class BareSubscriber:
    """`mosquitto_sub` printing one line per message; a thread counts the lines."""

    def __init__(self, port: int) -> None:
        command = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port)]
        command += ["-t", "hc/v1/r/+/telemetry", "-q", "0"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE)
        self.lines = 0
        self._reader = threading.Thread(target=self._count, daemon=True)
        self._reader.start()

    def count(self) -> int:
        return self.lines

    def pids(self) -> dict[str, int]:
        return {"mosquitto_sub": self.process.pid}

    def stop(self) -> dict[str, int]:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        return {"messages": self.lines}

    def _count(self) -> None:
        stream = self.process.stdout
        assert isinstance(stream, io.BufferedReader)
        # Payloads are one-line JSON: counting newlines in large reads costs next to nothing.
        while chunk := stream.read1(1 << 16):
            self.lines += chunk.count(b"\n")


class IngestWorkers:
    """N FleetIngest worker processes writing to one database (a shared subscription if N > 1)."""

    def __init__(self, db_path: Path, port: int, workers: int, batch_size: int | None) -> None:
        group = SHARE_GROUP if workers > 1 else None
        self.processes: list[subprocess.Popen[str]] = []
        try:
            for index in range(workers):
                name = f"bench-ingest-{index}"
                self.processes.append(
                    start_worker(
                        db_path, port, client_id=name, share_group=group, batch_size=batch_size
                    )
                )
        except BaseException:
            stop_workers(self.processes)  # the ones that did start
            raise
        self._reader = sqlite3.connect(db_path)

    def count(self) -> int:
        """Committed telemetry rows: rowids only grow, and max() is an index lookup."""
        row = self._reader.execute("SELECT MAX(rowid) FROM telemetry").fetchone()
        return int(row[0] or 0)

    def pids(self) -> dict[str, int]:
        return {f"worker{index}": process.pid for index, process in enumerate(self.processes)}

    def stop(self) -> dict[str, int]:
        self._reader.close()
        return stop_workers(self.processes)


Subscriber = BareSubscriber | IngestWorkers


def measure(
    name: str, subscriber: Subscriber, load: Load, broker: BenchBroker, params: IngestParams
) -> Phase:
    """Warm up, then count what `subscriber` handled over the window; stop it."""
    pids = {"broker": _pid(broker), **subscriber.pids()}
    try:
        time.sleep(params.warmup_s)
        start = _sample(subscriber.count, load.generator, pids)
        time.sleep(params.window_s)
        end = _sample(subscriber.count, load.generator, pids)
    finally:
        counters = subscriber.stop()
    elapsed = end.at - start.at
    return Phase(
        name=name,
        load=load.rate,
        rate=(end.handled - start.handled) / elapsed,
        offered_rate=(end.offered - start.offered) / elapsed,
        cpu={key: round((end.cpu[key] - start.cpu[key]) / elapsed, 2) for key in pids},
        counters=counters,
    )


@dataclass(frozen=True)
class Load:
    rate: float
    generator: LoadGenerator


@dataclass(frozen=True)
class _Sample:
    at: float
    handled: int
    offered: int
    cpu: dict[str, float]


def _sample(count: Callable[[], int], load: LoadGenerator, pids: dict[str, int]) -> _Sample:
    return _Sample(
        at=time.monotonic(),
        handled=count(),
        offered=load.sent(),
        cpu={name: process_cpu_seconds(pid) for name, pid in pids.items()},
    )


def _pid(broker: BenchBroker) -> int:
    assert broker.process is not None
    return broker.process.pid


def run_ingest_benchmark(params: IngestParams) -> Section:
    with tempfile.TemporaryDirectory(prefix="fleet-bench-ingest-") as folder:
        db_path = Path(folder) / "fleet.db"
        open_database(db_path, SystemClock()).conn.close()
        with BenchBroker(Path(folder)) as broker:
            phases = [
                phase for rate in params.loads for phase in _run_load(db_path, broker, rate, params)
            ]
        robots_stored = _robots_in_state(db_path)
    return ingest_section(phases, robots_stored, params)


def _run_load(db_path: Path, broker: BenchBroker, rate: float, params: IngestParams) -> list[Phase]:
    """The bare, 1-worker and N-worker phases under one offered load."""
    generator = LoadGenerator(broker.port, params.robots, rate)
    generator.start()
    load = Load(rate, generator)
    try:
        phases = [measure(BARE, BareSubscriber(broker.port), load, broker, params)]
        for count in sorted({1, params.workers}):
            workers = IngestWorkers(db_path, broker.port, count, params.batch_size)
            name = f"FleetIngest, {count} worker{'s' if count > 1 else ''}"
            phases.append(measure(name, workers, load, broker, params))
    finally:
        generator.stop()
    return phases


def _robots_in_state(db_path: Path) -> int:
    with sqlite3.connect(db_path) as connection:
        row = connection.execute("SELECT COUNT(*) FROM robot_state").fetchone()
    return int(row[0])


def load_label(rate: float) -> str:
    return "flood" if rate == FLOOD else f"{rate:,.0f}/s offered"


def ingest_section(phases: list[Phase], robots_stored: int, params: IngestParams) -> Section:
    section = Section(
        f"Telemetry ingest, {params.robots:,} robots (MQTT QoS 0 -> FleetIngest -> SQLite)"
    )
    for rate in params.loads:
        section.figures += _load_figures([phase for phase in phases if phase.load == rate])
    ingest = [phase for phase in phases if not phase.is_bare()]
    best = max(ingest, key=lambda phase: phase.rate)
    section.notes += _ingest_notes(phases, robots_stored, params, best)
    section.details = {
        "params": asdict(params),
        "phases": [asdict(phase) for phase in phases],
        "robots_in_state": robots_stored,
        "best": asdict(best),
    }
    return section


def _load_figures(phases: list[Phase]) -> list[Figure]:
    """Each ingest phase against the target, and against the bare subscriber of its load.

    Only under the flood is the bare subscriber's rate the broker's full delivery
    rate; under a paced load it takes everything offered, so its ratio gets no verdict.
    """
    bare, label = phases[0], load_label(phases[0].load)
    figures = [Figure(f"{label}: {BARE}", bare.rate, "msgs/s")]
    for phase in phases[1:]:
        ratio = phase.rate / bare.rate if bare.rate else 0.0
        judged = phase.load == FLOOD
        figures += [
            Figure(
                f"{label}: {phase.name}",
                phase.rate,
                "msgs/s",
                ">= 10,000 msgs/s",
                phase.rate >= TARGET_RATE,
            ),
            Figure(
                f"{label}: {phase.name} / bare",
                100 * ratio,
                "%",
                ">= 50 %" if judged else "",
                (ratio >= TARGET_RATIO) if judged else None,
            ),
        ]
    return figures


def _ingest_notes(
    phases: list[Phase], robots_stored: int, params: IngestParams, best: Phase
) -> list[str]:
    notes = [
        f"window {params.window_s:g} s after {params.warmup_s:g} s warm-up per phase; "
        f"robot_state rows at the end: {robots_stored}/{params.robots}; best: {best.name}, "
        f"{load_label(best.load)}: {best.rate:,.0f} msgs/s"
    ]
    notes.extend(_phase_note(phase) for phase in phases)
    return notes


def _phase_note(phase: Phase) -> str:
    """Where the CPU went: CPU per message is steadier than msgs/s on a busy machine."""
    cpu = ", ".join(f"{name} {cores:.2f}" for name, cores in phase.cpu.items())
    subscriber_cores = sum(cores for name, cores in phase.cpu.items() if name != "broker")
    per_message = 1e6 * subscriber_cores / phase.rate if phase.rate else float("nan")
    problems = {k: v for k, v in phase.counters.items() if k in {"bad_payloads", "errors"}}
    took_all = phase.load != FLOOD and phase.rate >= 0.97 * phase.offered_rate
    return (
        f"{load_label(phase.load)}, {phase.name}: generator wrote {phase.offered_rate:,.0f} "
        f"msgs/s; CPU cores: {cpu}; subscriber CPU {per_message:.0f} us/msg"
        + ("; took everything offered" if took_all else "")
        + (f"; {problems}" if any(problems.values()) else "")
    )
