"""Scoring the fall detector on labelled clips: sensitivity, specificity, speed.

A clip counts as detected when any fall event (`falling` or `down`) fires in
it. Only the detector's own work is timed for `fps`, not decoding the video.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from homecare.errors import UsageError
from robot.vision.fall_detector import FallDetector, FallDetectorParams, FallPhase
from robot.vision.video import Crop, read_frames

LABELS = ("fall", "no_fall")


@dataclass(frozen=True)
class ClipResult:
    clip: str
    label: str
    predicted: str
    first_event_s: float | None


@dataclass(frozen=True)
class Evaluation:
    sensitivity: float | None
    specificity: float | None
    clips: int
    frames: int
    fps: float
    per_clip: list[ClipResult]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_labels(path: Path) -> dict[str, str]:
    """clip file name -> "fall" or "no_fall" from a `clip,label` CSV; errors name the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"labels file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"labels file {path} cannot be read: {error}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or [cell.strip().lower() for cell in rows[0]] != ["clip", "label"]:
        raise UsageError(f"labels file {path}: line 1 must be the header 'clip,label'")
    labels: dict[str, str] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue  # blank lines are harmless
        labels.update([_label_row(path, line, row, labels)])
    if not labels:
        raise UsageError(f"labels file {path} lists no clips")
    return labels


def _label_row(path: Path, line: int, row: list[str], seen: dict[str, str]) -> tuple[str, str]:
    if len(row) != 2:
        raise UsageError(f"labels file {path}, line {line}: expected 'clip,label', got {row!r}")
    clip, label = row[0].strip(), row[1].strip().lower()
    if not clip:
        raise UsageError(f"labels file {path}, line {line}: the clip name is empty")
    if label not in LABELS:
        raise UsageError(
            f"labels file {path}, line {line}: label {row[1].strip()!r} must be fall or no_fall"
        )
    if clip in seen:
        raise UsageError(f"labels file {path}, line {line}: clip {clip} is listed twice")
    return clip, label


def evaluate(
    clips_dir: Path,
    labels: dict[str, str],
    crop: Crop | None = None,
    params: FallDetectorParams | None = None,
    progress: Callable[[ClipResult], None] | None = None,
) -> Evaluation:
    """Run a fresh detector over every labelled clip in `clips_dir`."""
    if not clips_dir.is_dir():
        raise UsageError(f"clips folder {clips_dir} does not exist")
    missing = [clip for clip in labels if not (clips_dir / clip).is_file()]
    if missing:
        raise UsageError(f"clips folder {clips_dir} lacks {', '.join(sorted(missing)[:5])}")
    results: list[ClipResult] = []
    frames, busy = 0, 0.0
    for clip, label in sorted(labels.items()):
        result, clip_frames, clip_busy = _run_clip(clips_dir / clip, label, crop, params)
        results.append(result)
        frames, busy = frames + clip_frames, busy + clip_busy
        if progress is not None:
            progress(result)
    return Evaluation(
        sensitivity=_rate(results, "fall"),
        specificity=_rate(results, "no_fall"),
        clips=len(results),
        frames=frames,
        fps=round(frames / busy, 1) if busy > 0 else 0.0,
        per_clip=results,
    )


def _run_clip(
    path: Path, label: str, crop: Crop | None, params: FallDetectorParams | None
) -> tuple[ClipResult, int, float]:
    detector = FallDetector(params)
    first: float | None = None
    frames, busy = 0, 0.0
    for t, frame in read_frames(path, crop):
        started = time.perf_counter()
        events = detector.process(frame, t)
        busy += time.perf_counter() - started
        frames += 1
        if first is None and any(e.phase is not FallPhase.RECOVERED for e in events):
            first = round(t, 3)
    predicted = "fall" if first is not None else "no_fall"
    return ClipResult(path.name, label, predicted, first), frames, busy


def _rate(results: list[ClipResult], label: str) -> float | None:
    """The share of `label` clips predicted right; None when there are none."""
    relevant = [result for result in results if result.label == label]
    if not relevant:
        return None
    right = sum(result.predicted == label for result in relevant)
    return round(right / len(relevant), 4)
