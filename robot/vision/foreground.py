"""The moving person as a blob: background subtraction that survives lighting changes.

Pure image processing (OpenCV on numpy arrays, no I/O). Each frame is shrunk
to a fixed working width (speed, and the same rules at any camera
resolution) and turned grey. What each step is for:

- **Exposure.** A camera's auto-exposure scales every pixel together. The
  gain is the median ratio between a slowly updated reference image and the
  frame, over a sparse grid, so a person (a minority of pixels) does not move
  it; the frame is scaled by it before the background model sees it. Dark
  rooms are stretched once, at (re)learning, so a person's contrast clears
  the model's noise floor.
- **Lighting changes and start-up.** A gain beyond `lighting_jump` (a lamp,
  curtains, exposure settling after start-up), or a foreground covering most
  of the picture, means the background is stale: it is re-learnt from the
  current frame instead of reporting motion.
- **Shadows.** MOG2 marks pixels a little darker than the background as
  shadow; on grey frames a dark-clothed person on a dark floor looks just
  like that, so only slight darkening (ratio above 0.7) counts as shadow.
- **Ghosts and still people.** Where someone stood when the background was
  learnt stays "foreground" after they leave. Only foreground near pixels
  that changed within `motion_memory_frames` counts, so ghosts fade while the
  person stays visible as long as they move.
- **Ghosts next to the person.** A person in view when the camera starts
  walks (or falls) away from their own ghost, so for a while the ghost counts
  as recent motion and joins their blob, hiding the drop of a fall. Ghosts
  never change, so the still part of the foreground (unchanged for
  `_STILL_FRAMES`) is split off, and each still region's outline is checked:
  something really there has its outline as edges in the frame; a ghost has
  them in the background model only, the frame showing plain scenery there.
  A region is dropped only when most of its outline is an edge in the
  background alone and almost none of it an edge in the frame alone, so a
  still person in front of a textured or dark background (edges on both
  sides, or on neither) is kept.
- **Split bodies.** Clothes matching the background split a person into
  pieces; sizeable pieces close to the largest are joined into one box.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from robot.vision.frames import Frame

# Shadow pixels are marked 127 by MOG2; only certain foreground (255) counts.
_FOREGROUND = 200
_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
# Clothes that match the wall split a person into pieces; closing joins them again.
# The reference brightness follows the scene over a few seconds (slow exposure drift).
_REFERENCE_RATE = 0.01
_SPREAD = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
# Grey-level change between consecutive frames that counts as motion (above sensor noise).
_MOTION_LEVEL = 12
_JOIN = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
# Frames without change after which foreground counts as still (a ghost candidate).
_STILL_FRAMES = 6
# A gradient this strong is an edge: a step of about _MOTION_LEVEL grey levels.
_EDGE_LEVEL = 2 * _MOTION_LEVEL
# A ghost's outline: most of it an edge in the background only, almost none in the frame only.
_GHOST_OUTLINE = 0.6
_OBJECT_OUTLINE = 0.05


@dataclass(frozen=True)
class Blob:
    """The largest moving region, in fractions of the picture's height (y down) and width."""

    top: float
    bottom: float
    left: float
    right: float
    centre_x: float
    centre_y: float
    area: float  # fraction of the picture
    aspect: float  # width / height in pixels, so a lying person reads > 1 whatever the frame

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class ForegroundResult:
    blob: Blob | None
    relearnt: bool  # the background was reset on this frame: motion cannot be trusted


class Foreground:
    def __init__(
        self,
        working_width: int,
        history_frames: int,
        lighting_jump: float,
        min_blob_area: float,
        motion_memory_frames: int = 45,
    ) -> None:
        self.motion_memory_frames = min(motion_memory_frames, 254)
        self.working_width = working_width
        self.history_frames = history_frames
        self.lighting_jump = lighting_jump
        self.min_blob_area = min_blob_area
        self._model = self._new_model()
        # The scene's brightness in raw grey levels, following slow changes only.
        self._reference: npt.NDArray[np.float32] | None = None
        self._boost = 1.0
        self._previous: Frame | None = None
        # Frames since each pixel last changed (saturating): ghosts of where someone
        # stood when the background was learnt never change, a person does.
        self._since_motion: Frame | None = None

    def _new_model(self) -> cv2.BackgroundSubtractorMOG2:
        model = cv2.createBackgroundSubtractorMOG2(
            history=self.history_frames, varThreshold=25, detectShadows=True
        )
        # A still person is absorbed only once their weight beats the old background
        # (about history * ln 2 frames): someone lying still stays visible.
        model.setBackgroundRatio(0.6)
        model.setShadowThreshold(0.7)
        return model

    def update(self, frame: Frame) -> ForegroundResult:
        grey = self._grey(frame)
        if self._reference is None:
            self.relearn(grey)
            return ForegroundResult(None, relearnt=True)
        gain = self._gain(grey)
        if abs(gain - 1.0) > self.lighting_jump:
            self.relearn(grey)
            return ForegroundResult(None, relearnt=True)
        cv2.accumulateWeighted(grey, self._reference, _REFERENCE_RATE)
        normalised = np.asarray(cv2.convertScaleAbs(grey, alpha=gain * self._boost), dtype=np.uint8)
        mask = self._model.apply(normalised)
        binary = cv2.threshold(mask, _FOREGROUND, 255, cv2.THRESH_BINARY)[1]
        recent = self._recent_motion(normalised)
        if cv2.countNonZero(binary) > 0.5 * binary.size:
            # Most of the picture "moved": the light changed or the camera moved, not a person.
            self.relearn(grey)
            return ForegroundResult(None, relearnt=True)
        present = self._drop_ghosts(np.asarray(binary, dtype=np.uint8), normalised)
        moving = cv2.bitwise_and(present, recent)
        blob = _largest_blob(np.asarray(moving, dtype=np.uint8), self.min_blob_area)
        return ForegroundResult(blob, relearnt=False)

    def _recent_motion(self, normalised: Frame) -> Frame:
        """255 near pixels that changed within the last `motion_memory_frames`."""
        previous, self._previous = self._previous, normalised
        if previous is None or self._since_motion is None:
            self._since_motion = np.full(normalised.shape, 255, dtype=np.uint8)
            return np.zeros(normalised.shape, dtype=np.uint8)
        changed = cv2.absdiff(normalised, previous) > _MOTION_LEVEL
        # Saturating +1 (numpy would wrap 255 around to 0).
        self._since_motion = np.minimum(self._since_motion, 254) + np.uint8(1)
        self._since_motion[changed] = 0
        recent = np.where(self._since_motion < self.motion_memory_frames, 255, 0).astype(np.uint8)
        # Plain clothes change only at their edges: spread motion over the body.
        return np.asarray(cv2.dilate(recent, _SPREAD), dtype=np.uint8)

    def _drop_ghosts(self, binary: Frame, normalised: Frame) -> Frame:
        """`binary` without ghosts: still regions whose outline is in the background only.

        Someone in view when the background was learnt leaves a ghost where they
        were, and it touches the real person as they move off. The still part of
        the foreground is split off (pixels unchanged for `_STILL_FRAMES`; a moving
        person is never wholly still) and each still region's outline is checked:
        an object present now has its edges in the frame, a ghost has them in the
        background model only (the frame shows plain scenery there).
        """
        if self._since_motion is None:
            return binary
        still = np.where(self._since_motion >= _STILL_FRAMES, binary, 0).astype(np.uint8)
        still = np.asarray(cv2.morphologyEx(still, cv2.MORPH_OPEN, _KERNEL), dtype=np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(still, connectivity=8)
        if count <= 1:
            return binary
        # Pieces of a ghost (head, torso) matter; specks of noise do not.
        min_area = self.min_blob_area * binary.size * 0.25
        sizeable = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= min_area]
        if not sizeable:
            return binary
        frame_edges = _edges(normalised)
        background_edges = _edges(np.asarray(self._model.getBackgroundImage(), dtype=np.uint8))
        out = binary.copy()
        for label in sizeable:
            x, y, w, h = (int(v) for v in stats[label, :4])
            y0, x0 = max(y - 2, 0), max(x - 2, 0)
            region = (labels[y0 : y + h + 2, x0 : x + w + 2] == label).astype(np.uint8)
            outline = cv2.morphologyEx(region, cv2.MORPH_GRADIENT, _KERNEL) > 0
            now = frame_edges[y0 : y + h + 2, x0 : x + w + 2][outline]
            before = background_edges[y0 : y + h + 2, x0 : x + w + 2][outline]
            if _is_ghost(now, before):
                out[y0 : y + h + 2, x0 : x + w + 2][region > 0] = 0
        return out

    def relearn(self, grey: Frame) -> None:
        """Forget the background: the current frame becomes the whole scene."""
        self._reference = grey.astype(np.float32)
        # Dark rooms are stretched so a person's contrast clears the model's noise floor.
        self._boost = min(4.0, max(1.0, 128.0 / max(float(np.median(grey)), 1.0)))
        self._model = self._new_model()
        self._model.apply(cv2.convertScaleAbs(grey, alpha=self._boost), learningRate=1.0)
        self._previous = None

    def _gain(self, grey: Frame) -> float:
        """How much to scale `grey` to match the reference: the camera's exposure change.

        The median ratio over a sparse grid ignores the person (a minority of pixels),
        unlike the frame's own median, which shifts when someone dark walks close.
        """
        assert self._reference is not None
        reference = self._reference[::4, ::4]
        current = grey[::4, ::4].astype(np.float32)
        usable = (reference > 10) & (reference < 245) & (current > 5)
        if int(np.count_nonzero(usable)) < 16:
            return 1.0
        return float(np.median(reference[usable] / current[usable]))

    def _grey(self, frame: Frame) -> Frame:
        height, width = frame.shape[:2]
        size = (self.working_width, max(1, round(height * self.working_width / width)))
        small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return np.asarray(grey, dtype=np.uint8)


def _is_ghost(now: npt.NDArray[np.float32], before: npt.NDArray[np.float32]) -> bool:
    """Whether an outline's edges (gradients along it) are in the background, not the frame.

    Only edge pixels clearly stronger on one side count (twice as strong and
    an edge at all): a still person in front of a textured wall has both.
    """
    background_only = float(np.mean((before > 2 * now) & (before > _EDGE_LEVEL)))
    frame_only = float(np.mean((now > 2 * before) & (now > _EDGE_LEVEL)))
    return background_only >= _GHOST_OUTLINE and frame_only <= _OBJECT_OUTLINE


def _edges(grey: Frame) -> npt.NDArray[np.float32]:
    """Gradient magnitude, (|dx| + |dy|) / 2 of 3x3 Sobel: a step of d grey levels reads ~2d."""
    dx = cv2.Sobel(grey, cv2.CV_16S, 1, 0, ksize=3)
    dy = cv2.Sobel(grey, cv2.CV_16S, 0, 1, ksize=3)
    magnitude = cv2.addWeighted(cv2.convertScaleAbs(dx), 0.5, cv2.convertScaleAbs(dy), 0.5, 0)
    return np.asarray(magnitude, dtype=np.float32)


def _largest_blob(binary: Frame, min_area: float) -> Blob | None:
    cleaned = cv2.morphologyEx(binary, cv2.MORPH_OPEN, _KERNEL)
    cleaned = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, _JOIN)
    count, _, stats, centroids = cv2.connectedComponentsWithStats(cleaned, connectivity=8)
    if count <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    best = 1 + int(np.argmax(areas))
    height, width = binary.shape[:2]
    if stats[best, cv2.CC_STAT_AREA] < min_area * height * width:
        return None
    left, top, right, bottom = _merged_box(np.asarray(stats, dtype=np.int32), best)
    total = 0.0
    centre_x = centre_y = 0.0
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if x >= left and y >= top and x + w <= right and y + h <= bottom:
            total += area
            centre_x += area * float(centroids[label][0])
            centre_y += area * float(centroids[label][1])
    return Blob(
        top=top / height,
        bottom=bottom / height,
        left=left / width,
        right=right / width,
        centre_x=centre_x / total / width,
        centre_y=centre_y / total / height,
        area=total / (height * width),
        aspect=(right - left) / max(bottom - top, 1),
    )


def _merged_box(stats: npt.NDArray[np.int32], best: int) -> tuple[int, int, int, int]:
    """The box of the largest region joined with sizeable pieces close to it.

    Clothes that match the background split a body into head, torso and legs.
    """
    x, y, w, h, area = (int(v) for v in stats[best])
    left, top, right, bottom = x, y, x + w, y + h
    margin_x, margin_y = w // 3 + 2, h // 3 + 2
    for label in range(1, stats.shape[0]):
        px, py, pw, ph, parea = (int(v) for v in stats[label])
        if label == best or parea < 0.15 * area:
            continue
        near = (
            px <= right + margin_x
            and px + pw >= left - margin_x
            and py <= bottom + margin_y
            and py + ph >= top - margin_y
        )
        if near:
            left, top = min(left, px), min(top, py)
            right, bottom = max(right, px + pw), max(bottom, py + ph)
    return left, top, right, bottom
