"""Fall detector throughput at 320x240 on one core: `python -m benchmarks.vision`.

Frames are decoded into memory first, so only the detector is timed. It uses
the development clips (../shared/data/falls/urfd, RGB right half) when they
are present, else synthetic frames of a person walking in and falling.
Target (issue 4): at least 200 frames/s.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import cv2
import numpy as np

from benchmarks.machine import describe_machine
from robot.vision.fall_detector import FallDetector
from robot.vision.frames import Frame
from robot.vision.video import Crop, read_frames

TARGET_FPS = 200.0
REPO = Path(__file__).resolve().parents[1]
CLIPS = Path(os.environ.get("HOMECARE_SHARED_DIR", REPO.parent / "shared")) / "data/falls/urfd"


def load_clips(limit: int) -> list[list[tuple[float, Frame]]]:
    """Each development clip's frames (cropped to the RGB half), up to `limit` frames in all."""
    clips: list[list[tuple[float, Frame]]] = []
    total = 0
    for path in sorted(CLIPS.glob("*.mp4")):
        frames = list(read_frames(path, Crop(320, 0, 320, 240)))
        clips.append(frames[: limit - total])
        total += len(clips[-1])
        if total >= limit:
            break
    return clips


def synthetic_clip(count: int) -> list[tuple[float, Frame]]:
    """A textured room with a dark box that walks in, then drops to lying."""
    rng = np.random.default_rng(7)
    room = rng.integers(90, 200, size=(240, 320, 3), dtype=np.uint8)
    room = np.asarray(cv2.GaussianBlur(room, (9, 9), 0), dtype=np.uint8)
    frames: list[tuple[float, Frame]] = []
    for i in range(count):
        frame = room.copy()
        phase = (i % 150) / 150
        x = int(20 + 200 * min(phase * 2, 1.0))
        w, h = (36, 120) if phase < 0.7 else (120, 36)
        frame[220 - h : 220, x : x + w] = 40
        frames.append((i / 30.0, frame))
    return frames


def measure(clips: list[list[tuple[float, Frame]]]) -> tuple[int, float]:
    frames, busy = 0, 0.0
    for clip in clips:
        detector = FallDetector()
        started = time.perf_counter()
        for t, frame in clip:
            detector.process(frame, t)
        busy += time.perf_counter() - started
        frames += len(clip)
    return frames, busy


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=3000, help="frames to time (default 3000)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)  # the target is for one core
    source = "development clips" if (CLIPS / "labels.csv").is_file() else "synthetic frames"
    clips = (
        load_clips(args.frames) if source == "development clips" else [synthetic_clip(args.frames)]
    )
    frames, busy = measure(clips)
    fps = frames / busy if busy > 0 else 0.0
    machine = describe_machine()
    report = {
        "machine": machine.as_dict(),
        "source": source,
        "frames": frames,
        "resolution": "320x240",
        "fps": round(fps, 1),
        "target_fps": TARGET_FPS,
        "pass": fps >= TARGET_FPS,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(machine.line())
    verdict = "PASS" if fps >= TARGET_FPS else "MISS"
    print(
        f"fall detector, 320x240, one core, {source}: {frames} frames, "
        f"{fps:.0f} frames/s (target >= {TARGET_FPS:.0f}) {verdict}"
    )


if __name__ == "__main__":
    main()
