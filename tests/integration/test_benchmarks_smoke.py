"""The fleet benchmarks run end to end with tiny parameters, so their code cannot rot.

Only shapes and counts are checked, never times: the figures themselves belong to
`python -m benchmarks.fleet`, on a quiet machine (see benchmarks/README.md).
"""

from __future__ import annotations

import shutil

import pytest

from benchmarks.fleet import parse_args, plan
from benchmarks.fleet_alerts import AlertParams, run_alert_benchmark
from benchmarks.fleet_api import ApiParams, run_api_benchmark
from benchmarks.fleet_ingest import IngestParams, run_ingest_benchmark
from benchmarks.machine import describe_machine
from benchmarks.mqtt_load import publish_packet, remaining_length, telemetry_chunks
from benchmarks.report import Figure, Section, percentile, render
from fleet import protocol
from fleet.protocol import Telemetry


@pytest.fixture(autouse=True)
def _needs_mosquitto() -> None:
    if not (shutil.which("mosquitto") or shutil.which("/usr/sbin/mosquitto")):
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    if not shutil.which("mosquitto_sub"):
        pytest.skip("mosquitto_sub is not installed (apt-get install mosquitto-clients)")


def names(section: Section) -> list[str]:
    return [figure.name for figure in section.figures]


def test_the_load_generator_writes_valid_mqtt_and_valid_telemetry() -> None:
    assert [remaining_length(n) for n in (0, 127, 128, 16383, 16384)] == [
        b"\x00",
        b"\x7f",
        b"\x80\x01",
        b"\xff\x7f",
        b"\x80\x80\x01",
    ]
    packet = publish_packet("hc/v1/r/a/telemetry", b"{}")
    assert packet == b"\x30\x17\x00\x13hc/v1/r/a/telemetry{}"
    chunks = telemetry_chunks(robots=3, size=5, rounds=4)
    assert [count for _, count in chunks] == [5, 5, 2]
    first = chunks[0][0]
    topic_length = int.from_bytes(first[2:4], "big")
    topic = first[4 : 4 + topic_length].decode()
    assert protocol.parse_topic(topic).channel == "telemetry"
    length = first[1]  # one length byte: these packets are under 128 bytes
    payload = first[4 + topic_length : 2 + length]
    assert protocol.decode(Telemetry, payload).battery_pct >= 0


def test_ingest_reports_bare_single_and_shared_phases() -> None:
    params = IngestParams(robots=50, loads=(2000.0,), warmup_s=0.5, window_s=1.0, workers=2)
    section = run_ingest_benchmark(params)
    assert names(section) == [
        "2,000/s offered: bare mosquitto_sub",
        "2,000/s offered: FleetIngest, 1 worker",
        "2,000/s offered: FleetIngest, 1 worker / bare",
        "2,000/s offered: FleetIngest, 2 workers",
        "2,000/s offered: FleetIngest, 2 workers / bare",
    ]
    phases = section.details["phases"]
    assert [phase["name"] for phase in phases] == [
        "bare mosquitto_sub",
        "FleetIngest, 1 worker",
        "FleetIngest, 2 workers",
    ]
    assert all(phase["rate"] > 0 and phase["offered_rate"] > 0 for phase in phases)
    assert section.details["robots_in_state"] == 50
    for phase in phases[1:]:
        assert phase["counters"]["telemetry_rows"] > 0
        assert phase["counters"].get("bad_payloads", 0) == 0
        assert phase["counters"].get("errors", 0) == 0


def test_alert_path_acknowledges_every_alert() -> None:
    params = AlertParams(rate_per_min=600, duration_s=1.0, warmup_alerts=2)
    section = run_alert_benchmark(params)
    assert names(section) == ["p50", "p99", "max", "alerts acknowledged", "lost"]
    assert section.details["sent"] == 10
    assert section.details["acknowledged"] == 10
    assert section.details["incidents"] == 12  # with the warm-up alerts
    assert len(section.details["latencies_ms"]) == 10
    assert {f.name: f.value for f in section.figures}["lost"] == 0


def test_api_times_the_robots_list_and_the_baseline() -> None:
    params = ApiParams(robots=200, rate=20, duration_s=1.0, warmup_s=0.5)
    section = run_api_benchmark(params)
    assert "robots p99" in names(section)
    assert "health p99 (baseline)" in names(section)
    for schedule in ("robots", "baseline"):
        assert section.details[schedule]["statuses"] == {200: 20}
        assert len(section.details[schedule]["latencies_ms"]) == 20


def test_the_report_names_machine_targets_and_verdicts() -> None:
    section = Section(
        "Part",
        [Figure("fast", 5.0, "ms", "< 10 ms", True), Figure("count", 3, "alerts", "0", False)],
    )
    text = render(describe_machine().line(), "2026-11-23", [section])
    assert "cores" in text and "mosquitto" in text and "SQLite" in text
    assert "PASS" in text and "MISS" in text
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([float(n) for n in range(1, 101)], 99) == 99.0


def test_the_command_line_plans_only_what_was_asked() -> None:
    assert list(plan(parse_args(["--quick", "--only", "alerts"]))) == ["alerts"]
    assert list(plan(parse_args(["--json"]))) == ["ingest", "alerts", "api"]
