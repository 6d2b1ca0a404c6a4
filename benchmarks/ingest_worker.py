"""A fleet service worker for the benchmarks: the real FleetIngest in its own process.

Each worker is a process, as a deployment would run them, so several workers do
not share one GIL (nor the benchmark's). Run as
`python -m benchmarks.ingest_worker --db D --port P`; it prints "ready" once
connected, and its counters as JSON when terminated (SIGTERM).
`start_worker`/`stop_workers` do that from the benchmarks.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from benchmarks.broker import REPO_ROOT
from fleet.mqtt_ingest import FleetIngest
from fleet.store import connect_database
from homecare.clock import SystemClock


def start_worker(
    db_path: Path,
    port: int,
    *,
    client_id: str = "bench-ingest",
    share_group: str | None = None,
    batch_size: int | None = None,
) -> subprocess.Popen[str]:
    """A worker process, returned once it is connected to the broker."""
    command = [sys.executable, "-m", "benchmarks.ingest_worker", "--db", str(db_path)]
    command += ["--port", str(port), "--client-id", client_id]
    if share_group:
        command += ["--share-group", share_group]
    if batch_size:
        command += ["--batch-size", str(batch_size)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    assert process.stdout is not None
    said = process.stdout.readline().strip()
    if said != "ready":
        process.kill()
        raise RuntimeError(f"an ingest worker failed to start (said {said!r})")
    return process


def stop_workers(processes: list[subprocess.Popen[str]]) -> dict[str, int]:
    """Terminate the workers; their counters, summed."""
    for process in processes:
        process.terminate()
    totals: dict[str, int] = {}
    for process in processes:
        output, _ = process.communicate(timeout=30)
        lines = [line for line in output.splitlines() if line.startswith("{")]
        for name, value in (json.loads(lines[-1]) if lines else {}).items():
            totals[name] = totals.get(name, 0) + int(value)
    return totals


def ingest_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for FleetIngest from the command line."""
    options: dict[str, Any] = {"client_id": args.client_id}
    if args.batch_size:  # otherwise FleetIngest's own default, as the service runs it
        options["batch_size"] = args.batch_size
    if args.share_group:
        options["share_group"] = args.share_group
    return options


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", default="bench-ingest")
    parser.add_argument("--share-group", default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    ingest = FleetIngest(
        connect_database(args.db), SystemClock(), "127.0.0.1", args.port, **ingest_options(args)
    )
    ingest.start()
    if not ingest.connected.wait(10):
        raise SystemExit("the worker could not connect to the broker")
    print("ready", flush=True)
    stop.wait()
    ingest.stop()
    json.dump(dict(ingest.counters), sys.stdout)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
