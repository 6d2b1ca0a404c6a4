"""The fleet benchmarks, printed by one command.

    .venv/bin/python -m benchmarks.fleet [--quick] [--only ingest|alerts|api] [--json]

Prints the machine, then each figure the issues name with its target and
PASS/MISS: telemetry ingest (with a bare mosquitto_sub as the baseline, same
broker, same run), the alert path latency, and the robots list API latency
(with the health route as the baseline). Not a test: it takes a few minutes
(`--quick`: about one) and its figures move with whatever else the machine does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable

from benchmarks.fleet_alerts import AlertParams, run_alert_benchmark
from benchmarks.fleet_api import ApiParams, run_api_benchmark
from benchmarks.fleet_ingest import FLOOD, PACED, IngestParams, run_ingest_benchmark
from benchmarks.machine import describe_machine, load_average
from benchmarks.report import Section, render
from homecare.clock import SystemClock

PARTS = ("ingest", "alerts", "api")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.fleet",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="short windows (rougher figures)")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--workers",
        type=int,
        default=max(2, os.cpu_count() or 2),
        help="ingest worker processes for the shared-subscription phase",
    )
    parser.add_argument(
        "--loads",
        type=_rates,
        default=(FLOOD, PACED),
        help="offered telemetry loads in msgs/s, comma-separated; 0 floods (default: 0,30000)",
    )
    return parser.parse_args(argv)


def _rates(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(","))


def plan(args: argparse.Namespace) -> dict[str, Callable[[], Section]]:
    """What to run, with the parameters `--quick` and the options choose."""
    quick = args.quick
    ingest = IngestParams(
        loads=args.loads,
        workers=args.workers,
        warmup_s=1.5 if quick else 3.0,
        window_s=4.0 if quick else 10.0,
    )
    alerts = AlertParams(duration_s=15.0 if quick else 60.0)
    api = ApiParams(duration_s=5.0 if quick else 20.0)
    steps: dict[str, Callable[[], Section]] = {
        "ingest": lambda: run_ingest_benchmark(ingest),
        "alerts": lambda: run_alert_benchmark(alerts),
        "api": lambda: run_api_benchmark(api),
    }
    chosen = args.only or list(PARTS)
    return {name: step for name, step in steps.items() if name in chosen}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = describe_machine()
    date = SystemClock().now().date().isoformat()
    sections = []
    for name, step in plan(args).items():
        print(f"running {name} ...", file=sys.stderr, flush=True)
        section = step()
        # Other work on the machine moves every figure: say how busy it was meanwhile.
        section.notes.append(f"load average after this part: {load_average()}")
        sections.append(section)
    if args.json:
        document = {
            "date": date,
            "machine": machine.as_dict(),
            "quick": args.quick,
            "sections": [section.as_dict() for section in sections],
        }
        print(json.dumps(document, indent=2))
    else:
        print(render(machine.line(), date + (" (--quick)" if args.quick else ""), sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
