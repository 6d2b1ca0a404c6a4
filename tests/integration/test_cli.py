"""The `homecare` command as a user runs it: in a subprocess, with real files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import httpx
import pytest
from rosbags.highlevel import AnyReader

from tests.support import wait_until

HOMECARE = [sys.executable, "-m", "homecare"]


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOMECARE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_headless_demo_records_a_bag_that_rosbags_reads(tmp_path: Path) -> None:
    bag = tmp_path / "run1"
    result = run("demo", "--headless", "--duration", "4", "--speed", "60", "--record", str(bag))

    assert result.returncode == 0, result.stderr
    assert "ALERT" in result.stdout and "low_battery" in result.stdout
    with AnyReader([bag]) as reader:
        topics = {c.topic: c.msgtype for c in reader.connections}
        assert topics["/robot/battery"] == "sensor_msgs/msg/BatteryState"
        assert topics["/safety/alert"] == "homecare_interfaces/msg/Alert"
        alerts = [
            reader.deserialize(raw, c.msgtype)
            for c, _, raw in reader.messages()
            if c.topic == "/safety/alert"
        ]
    assert [a.kind for a in alerts] == ["low_battery"]
    assert (bag / "metadata.yaml").exists() and list(bag.glob("*.mcap"))
    info = run("bag", "info", str(bag))
    assert "/safety/alert\thomecare_interfaces/msg/Alert\t1" in info.stdout


def test_demo_refuses_to_overwrite_a_recording(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "keep.txt").write_text("data")
    result = run("demo", "--headless", "--duration", "1", "--record", str(tmp_path / "old"))
    assert_one_line_error(result, "not empty")
    assert (tmp_path / "old" / "keep.txt").read_text() == "data"


def test_unknown_message_type(tmp_path: Path) -> None:
    assert_one_line_error(
        run("interfaces", "show", "NoSuchType"), "unknown message type 'NoSuchType'"
    )


def test_malformed_yaml_config(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("robot:\n  language: [ru\n")
    result = run("demo", "--headless", "--duration", "1", "--config", str(config))
    assert_one_line_error(result, str(config), "not valid YAML", "line 3")


def test_malformed_parameter_file(tmp_path: Path) -> None:
    params = tmp_path / "robot.yaml"
    params.write_text("battery_monitor:\n  ros__parameters:\n    low_pct: 5\n    critical_pct: 9\n")
    result = run(
        "demo", "--headless", "--duration", "1",
        env={"HOMECARE_ROBOT__PARAMETERS_FILE": str(params)},
    )  # fmt: skip
    assert_one_line_error(result, "battery_monitor", "critical_pct")


def test_missing_setting() -> None:
    result = run("robot", "run", env={"HOMECARE_ROBOT__ID": ""})
    assert_one_line_error(result, "robot.id is missing", "HOMECARE_ROBOT__ID")


def test_bad_setting_value_from_environment() -> None:
    result = run("config", "show", env={"HOMECARE_ROBOT__LANGUAGE": "de"})
    assert_one_line_error(result, "robot.language")


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["demo", "--help"],
        ["robot", "--help"],
        ["robot", "run", "--help"],
        ["interfaces", "list", "--help"],
        ["bag", "info", "--help"],
        ["config", "show", "--help"],
    ],
)
def test_every_command_has_help(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 0 and "Usage" in result.stdout


def test_interfaces_list_names_the_project_types() -> None:
    result = run("interfaces", "list")
    assert "homecare_interfaces/msg/Alert" in result.stdout
    assert "homecare_interfaces/srv/GetRobotStatus" in result.stdout


def test_demo_runs_a_fleet_whose_dashboard_shows_the_robot_and_its_alert(tmp_path: Path) -> None:
    """Also the demo's story in the simulated home: a pill taken at 08:05, a vitamin missed at
    08:35, a benefits conversation at 08:40, an appointment booked by voice at 08:50 and a fall
    with no answer at 08:55, then where the report is."""
    process = subprocess.Popen(
        [*HOMECARE, "demo", "--headless", "--speed", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "300", "PYTHONUNBUFFERED": "1"},
    )
    try:
        login = dashboard_login(process)
        client = httpx.Client(base_url=login["url"], timeout=10)
        token = client.post(
            "/api/v1/auth/token", data={"username": login["email"], "password": login["password"]}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"

        def robot() -> dict[str, Any] | None:
            items = client.get("/api/v1/robots").json()["items"]
            return items[0] if items and items[0]["battery_pct"] is not None else None

        wait_until(
            lambda: robot() is not None, timeout=25, what="the demo robot's telemetry at the fleet"
        )
        shown = robot()
        assert shown is not None and shown["online"] and shown["status"] == "rented"
        assert 0 <= shown["battery_pct"] <= 100
        wait_until(
            lambda: bool(client.get("/api/v1/incidents").json()["items"]),
            timeout=25,
            what="the low-battery alert as an incident",
        )
        incident = client.get("/api/v1/incidents").json()["items"][0]
        assert (incident["kind"], incident["robot_id"]) == ("low_battery", shown["id"])
        page = client.get("/login")
        assert page.status_code == 200 and "<form" in page.text

        resident = client.get("/api/v1/residents").json()["items"][0]["id"]

        def adherence() -> dict[str, Any]:
            answer = client.get(f"/api/v1/residents/{resident}/adherence", params={"days": 2})
            counts: dict[str, Any] = answer.json()["total"]
            return counts

        wait_until(
            lambda: adherence()["missed"] == 1, timeout=40, what="the vitamin reported missed"
        )
        assert adherence()["taken"] == 1
        kinds = {item["kind"] for item in client.get("/api/v1/incidents").json()["items"]}
        assert "missed_medication" in kinds
    finally:
        stdout, stderr = process.communicate(timeout=400)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "pill-morning: taken" in stdout and "vitamin-d: missed" in stdout
    assert "intent    benefits.query" in stdout and "Скорее всего, вам положено" in stdout
    assert "Вы записаны: завтра" in stdout
    assert "fall      falling" in stdout and "ALERT     no_response [critical]" in stdout
    assert "✓ the fall became a critical incident within 45 s" in stdout
    demo = Path(os.environ["HOMECARE_DATA_DIR"]) / "demo"
    assert f"report: {demo / 'report.html'}" in stdout
    assert (demo / "report.html").exists() and (demo / "plots" / "timeline.png").exists()
    speech = sorted((demo / "speech").glob("*.wav"))
    assert len(speech) >= 5  # time, low battery, two reminders, re-prompts, ...
    with wave.open(str(speech[0])) as first:
        assert first.getnframes() > first.getframerate() // 2  # at least half a second of speech


def dashboard_login(process: subprocess.Popen[str]) -> dict[str, str]:
    """The URL and login the demo prints, read as it prints them."""
    assert process.stdout is not None
    pattern = re.compile(r"fleet dashboard: (\S+)\s+login (\S+) password (\S+)")
    for line in process.stdout:
        found = pattern.search(line)
        if found:
            return dict(zip(("url", "email", "password"), found.groups(), strict=True))
    raise AssertionError("the demo never printed the dashboard's URL and login")
