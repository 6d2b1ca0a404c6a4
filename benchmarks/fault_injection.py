"""The fault-injection benchmark: alerts through SIGKILLs and link cuts, none lost or doubled.

    .venv/bin/python -m benchmarks.fault_injection [--alerts 10000] [--seed N] [--quick] [--json]

Runs `fault_harness.run_fault_injection` (real mosquitto with persistence, the real
`homecare fleet serve`, the real robot fleet link, a cuttable TCP proxy between robot
and broker), then the healthy-link alert latency of `benchmarks.fleet_alerts`, and
prints the machine, each figure with its target and PASS/MISS. Not a test: the full
run takes a few minutes (`--quick`: 1,000 alerts, a short latency window).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.fault_chaos import FINAL_TARGETS, ChaosParams
from benchmarks.fault_harness import FaultParams, FaultRun, run_fault_injection
from benchmarks.fleet_alerts import AlertParams, run_alert_benchmark
from benchmarks.machine import describe_machine, load_average
from benchmarks.report import Figure, Section, render
from homecare.clock import SystemClock

DRAIN_TARGET_S = 60.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.fault_injection",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--alerts", type=int, help="alerts in the sequence (default 10,000)")
    parser.add_argument("--seed", type=int, default=1, help="alert ids and the chaos schedule")
    parser.add_argument("--faults", type=int, help="faults before the final outage (default 20)")
    parser.add_argument("--rate", type=float, default=50.0, help="alerts/s the robot raises")
    parser.add_argument("--quick", action="store_true", help="1,000 alerts, 8 faults")
    parser.add_argument("--final", choices=FINAL_TARGETS, help="the final outage (default: drawn)")
    parser.add_argument(
        "--final-outage-s", type=float, default=0.0, help="hold the final outage this long at least"
    )
    parser.add_argument("--no-latency", action="store_true", help="skip the healthy-link part")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep the logs")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser.parse_args(argv)


def fault_params(args: argparse.Namespace) -> FaultParams:
    alerts = args.alerts or (1000 if args.quick else 10_000)
    faults = args.faults if args.faults is not None else (8 if args.quick else 20)
    chaos = ChaosParams(faults, args.seed, final_target=args.final)
    return FaultParams(alerts, args.rate, chaos, final_min_s=args.final_outage_s)


def fault_section(run: FaultRun, params: FaultParams) -> Section:
    delivery = run.delivery
    assert delivery is not None
    drain = float("nan") if run.drain_s is None else run.drain_s
    section = Section("Fault injection (SIGKILL robot / broker / fleet service, link cuts)")
    section.figures += [
        Figure("alerts sent", delivery.raised, "alerts"),
        Figure("incidents", delivery.incidents, "incidents"),
        Figure("lost", delivery.lost, "alerts", "0", delivery.lost == 0),
        Figure("duplicate incidents", delivery.duplicates, "incidents", "0",
               delivery.duplicates == 0),
        Figure("not acked at the robot", delivery.unacked + delivery.mismatched, "alerts", "0",
               delivery.unacked + delivery.mismatched == 0),
        Figure("drain after the last outage", drain, "s", f"< {DRAIN_TARGET_S:.0f} s",
               drain < DRAIN_TARGET_S),
    ]  # fmt: skip
    reconnect = "n/a" if run.robot_reconnect_s is None else f"{run.robot_reconnect_s:.1f} s"
    kills = ", ".join(f"{name} {count}" for name, count in sorted(run.kills.items()))
    section.notes += [
        f"{params.alerts:,} alerts at {params.rate:g}/s, seed {params.chaos.seed}; "
        f"SIGKILLs: {kills}; link cuts: {run.cuts}; whole run {run.duration_s:.0f} s",
        f"final outage: {run.final_outage}, {run.final_outage_s:.1f} s (until all alerts "
        f"were raised{_at_least(params)}); {run.backlog_at_heal} alerts pending when it ended; "
        f"drain timed from the restart or restore; robot reconnected after {reconnect}",
        f"incidents without an alert of the sequence: {delivery.unexpected}; acked with "
        f"another incident id than the fleet's: {delivery.mismatched}",
        "faults (time, part, down for): " + "; ".join(run.applied),
    ]
    section.details = {
        "delivery": vars(delivery),
        "kills": run.kills,
        "cuts": run.cuts,
        "applied": run.applied,
        "drain_s": run.drain_s,
        "robot_reconnect_s": run.robot_reconnect_s,
        "final_outage": run.final_outage,
        "final_outage_s": run.final_outage_s,
        "backlog_at_heal": run.backlog_at_heal,
        "duration_s": run.duration_s,
    }
    return section


def _at_least(params: FaultParams) -> str:
    return f", at least {params.final_min_s:g} s" if params.final_min_s else ""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = describe_machine()
    date = SystemClock().now().date().isoformat()
    params = fault_params(args)
    print(f"fault injection: {params.alerts:,} alerts ...", file=sys.stderr, flush=True)
    sections = [fault_section(run_fault_injection(params, args.keep), params)]
    if not args.no_latency:
        # End-to-end p99 on a healthy loopback link: the alert benchmark measures exactly that.
        print("healthy-link alert latency ...", file=sys.stderr, flush=True)
        sections.append(run_alert_benchmark(AlertParams(duration_s=15.0 if args.quick else 60.0)))
    for section in sections:
        section.notes.append(f"load average after this part: {load_average()}")
    if args.json:
        document = {
            "date": date,
            "machine": machine.as_dict(),
            "sections": [section.as_dict() for section in sections],
        }
        print(json.dumps(document, indent=2))
    else:
        print(render(machine.line(), date + (" (--quick)" if args.quick else ""), sections))
    failed = any(figure.passed is False for section in sections for figure in section.figures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
