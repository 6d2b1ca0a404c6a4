"""Reading video clips frame by frame with OpenCV (the `vision` extra).

An unreadable file or a crop outside the picture raises a `HomecareError`
naming the file, never an OpenCV traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from homecare.errors import HomecareError, UsageError
from robot.vision.frames import Frame

# When a file does not say its frame rate, assume the usual camera rate.
FALLBACK_FPS = 30.0


@dataclass(frozen=True)
class Crop:
    """A rectangle in pixels: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def parse(cls, text: str) -> Crop:
        """`"X,Y,W,H"` as a crop; `UsageError` when it is not four whole numbers."""
        parts = [part.strip() for part in text.split(",")]
        if len(parts) != 4 or not all(part.isdigit() for part in parts):
            raise UsageError(f"crop {text!r} must be X,Y,W,H in whole pixels, e.g. 320,0,320,240")
        x, y, width, height = (int(part) for part in parts)
        if width == 0 or height == 0:
            raise UsageError(f"crop {text!r} has an empty width or height")
        return cls(x, y, width, height)


class VideoError(HomecareError):
    """A clip that cannot be read."""


def clip_fps(path: Path) -> float:
    """The clip's frame rate (FALLBACK_FPS when the file does not say)."""
    capture = _open(path)
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS))
    finally:
        capture.release()
    return fps if 1.0 <= fps <= 240.0 else FALLBACK_FPS


def read_frames(path: Path, crop: Crop | None = None) -> Iterator[tuple[float, Frame]]:
    """(seconds from the clip's start, BGR frame) for every frame, cropped if asked."""
    capture = _open(path)
    fps = float(capture.get(cv2.CAP_PROP_FPS))
    fps = fps if 1.0 <= fps <= 240.0 else FALLBACK_FPS
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            yield index / fps, _cropped(np.asarray(frame, dtype=np.uint8), crop, path)
            index += 1
        if index == 0:
            raise VideoError(f"video {path}: no frame could be decoded")
    finally:
        capture.release()


def _open(path: Path) -> cv2.VideoCapture:
    if not path.is_file():
        raise VideoError(f"video {path} does not exist")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise VideoError(f"video {path} cannot be opened (not a video OpenCV can decode)")
    return capture


def _cropped(frame: Frame, crop: Crop | None, path: Path) -> Frame:
    if crop is None:
        return frame
    height, width = frame.shape[:2]
    if crop.x + crop.width > width or crop.y + crop.height > height:
        raise UsageError(
            f"crop {crop.x},{crop.y},{crop.width},{crop.height} lies outside "
            f"the {width}x{height} frames of {path}"
        )
    return frame[crop.y : crop.y + crop.height, crop.x : crop.x + crop.width]
