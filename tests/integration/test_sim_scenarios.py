"""`homecare sim run`: every shipped scenario passes end to end, as CI and developers run it.

Each run is the real CLI in a subprocess: the robot's nodes, the fleet service
with its broker, the physics world's camera. A broken expectation must fail
the run with a reason a person can act on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from simulations.scenario.loader import SCENARIOS_DIR, shipped_scenarios

HOMECARE = [sys.executable, "-m", "homecare"]
SILENT_SCENARIOS = {"bed_and_chair_no_alert"}  # the robot has nothing to say in them


def sim(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOMECARE, "sim", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def run_json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout.strip(), f"no JSON on stdout; stderr: {result.stderr}"
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


@pytest.mark.timeout(900)  # the 24-hour day takes minutes
@pytest.mark.parametrize("name", shipped_scenarios())
def test_every_shipped_scenario_passes(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    result = sim("run", name, "--headless", "--json", "--out", str(folder))
    answer = run_json(result)
    failed = [e for e in answer["expectations"] if not e["passed"]]
    assert result.returncode == 0 and answer["passed"], failed
    assert answer["scenario"] == name and answer["expectations"]
    assert answer["sim_seconds"] > 0 and answer["wall_seconds"] > 0
    assert not answer["callback_errors"]
    bag = folder / "bag"
    assert (bag / "metadata.yaml").exists() and list(bag.glob("*.mcap"))
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert name in report and "PASSED" in report
    assert all((folder / "plots" / f"{plot}.png").exists() for plot in ("timeline", "battery"))
    if name not in SILENT_SCENARIOS:
        assert list((folder / "speech").glob("*.wav")), "the robot's speech as WAV"


def test_a_broken_expectation_fails_the_run_with_its_reason(tmp_path: Path) -> None:
    text = (SCENARIOS_DIR / "medication_morning_taken.yaml").read_text(encoding="utf-8")
    broken = text.replace("    outcome: taken\n", "    outcome: missed\n")
    assert broken != text
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")

    result = sim("run", str(path), "--headless", "--json", "--out", str(tmp_path / "run"))

    assert result.returncode == 1, result.stderr
    answer = run_json(result)
    assert answer["passed"] is False
    by_name = {e["name"]: e for e in answer["expectations"]}
    failed = by_name["the fleet recorded the pill as taken"]
    assert failed["passed"] is False
    assert "expected pill-morning: missed" in failed["detail"]
    assert "the fleet got taken at 08:00:" in failed["detail"]
    assert by_name["no missed-medication incident"]["passed"] is True


def test_a_scenario_with_an_unknown_room_is_refused_with_file_line_and_field(
    tmp_path: Path,
) -> None:
    text = (SCENARIOS_DIR / "fall_kitchen_silent.yaml").read_text(encoding="utf-8")
    path = tmp_path / "typo.yaml"
    path.write_text(text.replace("room: kitchen}", "room: kitchn}"), encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "room: kitchen}" in row)

    for command in (["check", str(path)], ["run", str(path), "--headless", "--json"]):
        result = sim(*command)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.strip() == (
            f"error: {path}:{line}: timeline[0].room: unknown room 'kitchn' "
            "(rooms: hall, bathroom, kitchen, living_room, bedroom)"
        )


def test_list_names_every_shipped_scenario_with_its_description() -> None:
    result = sim("list")
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.splitlines()}
    assert listed == set(shipped_scenarios())
    assert "24 hours, 6 reminders" in result.stdout
