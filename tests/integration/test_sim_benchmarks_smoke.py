"""The simulator's benchmarks run end to end in their quick modes, so they cannot rot.

Only shapes and counts are checked, never times (see benchmarks/README.md for figures).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("pybullet", reason="pybullet is not installed (pip install -e '.[sim]')")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", *args]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def test_sim_falls_prints_its_table_and_totals() -> None:
    printed = run("benchmarks.sim_falls", "--quick").stdout
    assert "falls detected: " in printed and "/1 (target >= 9/10)" in printed
    assert "non-falls alerted: " in printed and "/1 (target 0/10)" in printed
    rows = [line for line in printed.splitlines() if line.startswith("  forward, studio ")]
    assert len(rows) == 1 and rows[0].split()[2] == "fall"
    assert any(line.startswith("  pick something up, studio ") for line in printed.splitlines())
    assert "frames in" in printed


def test_sim_render_prints_frames_per_second_and_baselines() -> None:
    printed = run("benchmarks.sim_render", "--quick").stdout
    assert "advance + render" in printed and "target >= 20" in printed
    assert "baseline: empty scene" in printed and "baseline: numpy frame copy" in printed
    report = json.loads(run("benchmarks.sim_render", "--quick", "--json").stdout)
    assert report["frames"] == 60 and report["render_fps"] > 0
    assert report["ratio_to_empty_scene"] > 0
