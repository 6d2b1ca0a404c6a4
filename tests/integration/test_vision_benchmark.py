"""`python -m benchmarks.vision` runs end to end with a few frames (shape only, never times)."""

from __future__ import annotations

import json

import pytest

from benchmarks import vision


def test_the_vision_benchmark_reports_fps_with_the_machine(
    capsys: pytest.CaptureFixture[str],
) -> None:
    vision.main(["--frames", "60", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 60 and report["resolution"] == "320x240"
    assert report["fps"] > 0 and report["target_fps"] == 200.0
    assert "cores" in report["machine"]


def test_synthetic_frames_stand_in_when_the_clips_are_absent() -> None:
    clip = vision.synthetic_clip(40)
    frames, busy = vision.measure([clip])
    assert frames == 40 and busy > 0
