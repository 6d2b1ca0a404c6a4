"""Alerts survive SIGKILLs of the robot, the broker and the fleet service, and link cuts.

The harness of `python -m benchmarks.fault_injection` with a small sequence: a real
mosquitto (the `homecare fleet mqtt-config` configuration, persistence on), the real
`homecare fleet serve --mqtt`, the real robot fleet link in its own process behind a
cuttable TCP proxy. Every alert must be exactly one incident, acked at the robot with
that incident's id. The figures (10,000 alerts, drain time, p99) belong to the benchmark.
"""

from __future__ import annotations

import shutil

import pytest

from benchmarks.fault_chaos import TARGETS, ChaosParams, chaos_schedule
from benchmarks.fault_check import Delivery
from benchmarks.fault_harness import FaultParams, FaultRun, run_fault_injection
from benchmarks.fault_injection import fault_section
from benchmarks.report import render


@pytest.fixture(autouse=True)
def _needs_mosquitto() -> None:
    if not (shutil.which("mosquitto") or shutil.which("/usr/sbin/mosquitto")):
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")


def test_the_schedule_strikes_every_part_and_is_the_same_for_the_same_seed() -> None:
    params = ChaosParams(faults=5, seed=7)
    faults, final = chaos_schedule(200, params)
    assert {fault.target for fault in faults} == set(TARGETS)
    assert [fault.after_alerts for fault in faults] == sorted(f.after_alerts for f in faults)
    assert all(10 <= fault.after_alerts <= 170 for fault in faults)
    assert final.target != "robot" and final.after_alerts == 180
    assert chaos_schedule(200, params) == (faults, final)


def test_every_alert_is_one_incident_acked_at_the_robot_through_kills_and_cuts() -> None:
    # Four faults, one on each part in random order, one more at random, then a final
    # outage held until all 200 alerts are raised.
    params = FaultParams(alerts=200, rate=25.0, chaos=ChaosParams(faults=5, seed=11),
                         drain_timeout_s=90.0)  # fmt: skip
    run = run_fault_injection(params)
    delivery = run.delivery
    assert delivery is not None
    assert run.kills["robot"] >= 1 and run.kills["broker"] >= 1 and run.kills["fleet"] >= 1
    assert run.cuts >= 1
    assert delivery.raised == 200
    assert delivery.lost == 0, delivery
    assert delivery.duplicates == 0 and delivery.unexpected == 0, delivery
    assert delivery.incidents == 200
    assert delivery.unacked == 0 and delivery.mismatched == 0, delivery
    assert run.drain_s is not None


def test_the_report_gives_each_target_a_verdict() -> None:
    run = FaultRun(
        delivery=Delivery(expected=10, raised=10, incidents=10, lost=0, duplicates=0,
                          unexpected=0, unacked=0, mismatched=0),
        kills={"robot": 1, "broker": 1, "fleet": 1}, cuts=2, final_outage="link",
        drain_s=75.0,
    )  # fmt: skip
    section = fault_section(run, FaultParams(alerts=10))
    verdicts = {figure.name: figure.verdict() for figure in section.figures}
    assert verdicts == {
        "alerts sent": "",
        "incidents": "",
        "lost": "PASS",
        "duplicate incidents": "PASS",
        "not acked at the robot": "PASS",
        "drain after the last outage": "MISS",
    }
    assert "SIGKILLs: broker 1, fleet 1, robot 1; link cuts: 2" in render("m", "d", [section])
