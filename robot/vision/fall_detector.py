"""Fall detection from one fixed camera with classic computer vision (OpenCV, no model).

`FallDetector.process(frame, t)` takes one frame and its time in seconds and
returns the events it decided on. It does no I/O and keeps no clock of its
own, so tests and the evaluation tool drive it with recorded or synthetic
frames. The rules, and what each one is for:

- **The person is the largest moving blob** (`foreground.py`: background
  subtraction on a small, brightness-normalised grey image). Every size below
  is measured relative to the person's own recent height, never in pixels or
  fractions of the picture, so the same thresholds hold near and far from the
  camera and at any resolution.
- **A fall is fast and ends lying.** A candidate fall is a blob whose top
  came down by at least `min_drop` of the person's height within
  `fall_window_s`, with a peak descent of at least `min_drop_speed` heights
  per second (over spans of 0.1..`speed_span_s`) of its top or of its centre
  (someone slumping forward off a chair has the head low already, and it is
  the body's mass that then plunges to the floor), that now lies wide
  (`width / height >= lying_aspect`) and low (`height <= max_lying_height`
  of the person's height). Lying down on a bed or sofa is slow (it fails the
  speed rule); sitting down hard, crouching and picking something up stay
  compact or upright (they fail the aspect or height rule).
- **A fall is one continuous track.** The largest moving region can flip
  between the person and something else (a curtain, a half-seen limb) from
  one frame to the next; a plunge whose frames leap more than `max_jump` of
  the person's height apart is such a flip, not a body moving.
- **A fall stays down for a moment.** `falling` fires only once
  `confirm_frames` frames in all, within `confirm_within_s`, look lying
  (`confirm_aspect`). A single wide frame is usually a half-seen body (someone
  sitting down at the picture's edge, an arm swung out), not a fall.
- **Down means not upright and still.** After `falling`, the person moving
  less than `still_speed` heights/s for `down_still_s` fires `down` (quickly, so the
  guardian can ask "are you all right?" within 1.5 s of the person coming to
  rest). A person who stops moving entirely can vanish from the foreground;
  that also counts as still.
- **Recovered** fires when an upright blob at least `recover_height` of the
  pre-fall height is seen for `recover_s` after `falling` or `down`.
- **Camera start-up and lighting changes never fire.** The first
  `warmup_s` only teach the background. A global brightness jump or a
  foreground covering most of the picture re-learns the background and mutes
  the rules for `relearn_s`, with the motion history cleared.
- **Ignore regions** (bed, sofa: rectangles in fractions of the picture) mute
  falls whose blob centre ends inside them.

Confidence grows with how fast and how far the person came down and how flat
they lie; it is a ranking aid for the guardian, not a calibrated probability.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from pydantic import BaseModel, Field, field_validator

from robot.vision.foreground import Blob, Foreground
from robot.vision.frames import Frame, check_frame


class FallPhase(StrEnum):
    FALLING = "falling"
    DOWN = "down"
    RECOVERED = "recovered"


@dataclass(frozen=True)
class IgnoreRegion:
    """A rectangle in fractions of the picture (0..1, y down), e.g. a bed or a sofa."""

    x: float
    y: float
    width: float
    height: float

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x <= self.x + self.width and self.y <= y <= self.y + self.height


class FallDetectorParams(BaseModel):
    working_width: int = Field(default=160, ge=64, le=640)
    warmup_s: float = Field(default=0.5, ge=0)
    background_history_s: float = Field(default=10.0, gt=0)
    # Exposure gain against the slowly updated reference beyond which the light changed.
    lighting_jump: float = Field(default=0.25, gt=0, lt=1)
    relearn_s: float = Field(default=0.5, ge=0)
    min_blob_area: float = Field(default=0.004, gt=0, lt=1)
    fall_window_s: float = Field(default=1.0, gt=0)
    # The person's height is the tallest blob seen this long before now.
    reference_window_s: float = Field(default=2.0, gt=0)
    min_drop: float = Field(default=0.3, gt=0, lt=1)
    # Heights per second, the peak over spans up to speed_span_s.
    min_drop_speed: float = Field(default=0.8, gt=0)
    speed_span_s: float = Field(default=0.4, gt=0.1)
    lying_aspect: float = Field(default=1.3, gt=0)
    max_lying_height: float = Field(default=0.8, gt=0, le=1)
    # Frames (with a blob) that must still look lying, within confirm_within_s.
    confirm_frames: int = Field(default=3, ge=1)
    # Heights the blob may move between two frames and still be the same body.
    max_jump: float = Field(default=0.5, gt=0)
    confirm_aspect: float = Field(default=1.1, gt=0)
    confirm_within_s: float = Field(default=0.5, gt=0)
    down_still_s: float = Field(default=0.4, ge=0)
    # Heights per second the blob centre may move and still count as lying still
    # (a lying body's blob jitters as the background model settles around it).
    still_speed: float = Field(default=1.0, gt=0)
    recover_height: float = Field(default=0.8, gt=0)
    recover_s: float = Field(default=0.5, ge=0)
    # After this long without `down` or recovery, a fall is given up (the person moved on).
    fall_timeout_s: float = Field(default=10.0, gt=0)
    # Flat x, y, width, height per region in fractions of the picture (ROS 2 parameters
    # hold flat arrays only): [0.6, 0.5, 0.4, 0.5] ignores the lower right quarter-ish.
    ignore_regions: list[float] = Field(default_factory=list)
    # Only sizes the background model's history in frames (the rules use frame times).
    assumed_fps: float = Field(default=30.0, gt=0)

    @field_validator("ignore_regions")
    @classmethod
    def _four_per_region(cls, values: list[float]) -> list[float]:
        if len(values) % 4:
            raise ValueError("needs x, y, width, height (4 numbers) per region")
        if any(not 0.0 <= value <= 1.0 for value in values):
            raise ValueError("regions are fractions of the picture: every number within 0..1")
        return values

    @property
    def regions(self) -> list[IgnoreRegion]:
        v = self.ignore_regions
        return [IgnoreRegion(v[i], v[i + 1], v[i + 2], v[i + 3]) for i in range(0, len(v), 4)]


@dataclass(frozen=True)
class FallDetection:
    phase: FallPhase
    confidence: float
    t: float  # time of the frame it was decided on, seconds


@dataclass(frozen=True)
class _Sample:
    t: float
    blob: Blob


@dataclass(frozen=True)
class _Candidate:
    """A fall seen on one frame, waiting for `confirm_frames` frames of lying."""

    t: float
    confidence: float
    reference: float
    frames: int


def _peak_descent(samples: list[_Sample], span_s: float) -> float:
    """The fastest descent of the blob's top or centre (picture heights/s), spans 0.1..span_s s.

    A peak, not an average: a fall is a short plunge, often after a slow start
    (sliding off a chair), which an average over the whole window would hide.
    The centre as well as the top: someone bent forward (slumping off a chair)
    has the head low already, and then it is the body's mass that plunges.
    """
    peak = 0.0
    for i, early in enumerate(samples):
        for late in samples[i + 1 :]:
            elapsed = late.t - early.t
            if elapsed > span_s:
                break
            if elapsed >= 0.1:
                top = late.blob.top - early.blob.top
                descent = max(top, late.blob.centre_y - early.blob.centre_y)
                peak = max(peak, descent / elapsed)
    return peak


class _State(StrEnum):
    WATCHING = "watching"
    FALLING = "falling"
    DOWN = "down"


class FallDetector:
    def __init__(self, params: FallDetectorParams | None = None) -> None:
        self.params = params or FallDetectorParams()
        p = self.params
        self.foreground = Foreground(
            working_width=p.working_width,
            history_frames=max(1, round(p.background_history_s * p.assumed_fps)),
            lighting_jump=p.lighting_jump,
            min_blob_area=p.min_blob_area,
        )
        self._regions = p.regions
        self._history: deque[_Sample] = deque()
        self._start: float | None = None
        self._muted_until = float("-inf")
        self._state = _State.WATCHING
        self._fall_t = 0.0
        self._reference_height = 0.0
        self._still_since: float | None = None
        self._upright_since: float | None = None
        self._last_blob: Blob | None = None
        self._last_blob_t = 0.0
        self._candidate: _Candidate | None = None

    @property
    def phase(self) -> str:
        """Where the detector stands: watching, falling or down."""
        return self._state.value

    def process(self, frame: Frame, t: float) -> list[FallDetection]:
        """Feed the frame taken at `t` seconds; returns the events decided on it.

        Raises `FrameError` for a frame it cannot use (the state is unchanged).
        """
        frame = check_frame(frame)
        if self._start is None:
            self._start = t
        result = self.foreground.update(frame)
        if result.relearnt:
            self._muted_until = t + self.params.relearn_s
            self._history.clear()
            self._candidate = None
            return []
        if t - self._start < self.params.warmup_s or t < self._muted_until:
            return []
        return self._step(result.blob, t)

    def _step(self, blob: Blob | None, t: float) -> list[FallDetection]:
        if blob is not None:
            self._history.append(_Sample(t, blob))
        while self._history and self._history[0].t < t - self.params.reference_window_s:
            self._history.popleft()
        if self._state is _State.WATCHING:
            return self._watch(blob, t)
        return self._follow(blob, t)

    def _watch(self, blob: Blob | None, t: float) -> list[FallDetection]:
        if blob is None:
            return []
        if self._candidate is not None:
            confirmed = self._confirm(self._candidate, blob, t)
            if confirmed is not None:
                return confirmed
        if self._ignored(blob):
            return []
        confidence = self._fall_confidence(blob, t)
        if confidence is not None:
            self._candidate = _Candidate(t, confidence, self._reference_height, 1)
            return self._confirm(self._candidate, blob, t, counted=True) or []
        return []

    def _confirm(
        self, candidate: _Candidate, blob: Blob, t: float, counted: bool = False
    ) -> list[FallDetection] | None:
        """Count frames that still show someone lying; a fall needs `confirm_frames` of them.

        A single wide frame is often a half-seen body (sitting down at the picture's
        edge, an arm swung out); a person who fell stays down for a moment.
        """
        p = self.params
        lying = blob.aspect >= p.confirm_aspect and blob.height <= 0.9 * candidate.reference
        if not counted and (not lying or t - candidate.t > p.confirm_within_s):
            self._candidate = None
            return None
        count = candidate.frames if counted else candidate.frames + 1
        if count < p.confirm_frames:
            self._candidate = _Candidate(
                candidate.t, candidate.confidence, candidate.reference, count
            )
            return []
        self._candidate = None
        self._state = _State.FALLING
        self._fall_t = t
        self._reference_height = candidate.reference
        self._still_since = None
        self._upright_since = None
        self._last_blob, self._last_blob_t = blob, t
        return [FallDetection(FallPhase.FALLING, candidate.confidence, t)]

    def _fall_confidence(self, blob: Blob, t: float) -> float | None:
        p = self.params
        if blob.aspect < p.lying_aspect or len(self._history) < 3:
            return None
        reference = max(sample.blob.height for sample in self._history)
        recent = [sample for sample in self._history if sample.t >= t - p.fall_window_s]
        highest = min(recent, key=lambda sample: sample.blob.top)
        drop = (blob.top - highest.blob.top) / max(reference, 1e-6)
        if drop < p.min_drop or blob.height > p.max_lying_height * reference:
            return None
        if self._jumped(blob, t, reference):
            return None
        speed = _peak_descent(recent, p.speed_span_s) / max(reference, 1e-6)
        if speed < p.min_drop_speed:
            return None
        self._reference_height = reference
        # Faster, deeper and flatter reads as more certain; capped below 1.
        score = 0.5 + 0.15 * min(speed / p.min_drop_speed - 1, 1) + 0.15 * min(drop, 1)
        score += 0.15 * min(blob.aspect / p.lying_aspect - 1, 1)
        return round(min(score, 0.95), 3)

    def _jumped(self, blob: Blob, t: float, reference: float) -> bool:
        """The blob leapt between frames lately: a different object, not a body moving.

        The largest moving region can flip between the person and something else
        (a curtain, a half-seen body part); a body cannot travel `max_jump` of its
        height between two frames, so the plunge must be one continuous track.
        """
        span = [s.blob for s in self._history if t - self.params.speed_span_s <= s.t < t]
        track = [*span, blob]
        return any(
            abs(later.top - earlier.top) + abs(later.centre_x - earlier.centre_x)
            > self.params.max_jump * reference
            for earlier, later in pairwise(track)
        )

    def _follow(self, blob: Blob | None, t: float) -> list[FallDetection]:
        p = self.params
        if self._upright(blob):
            self._upright_since = self._upright_since if self._upright_since is not None else t
            if t - self._upright_since >= p.recover_s:
                return self._reset(FallDetection(FallPhase.RECOVERED, 0.8, t))
            return []
        if blob is not None:  # no blob says nothing about posture: someone still vanishes
            self._upright_since = None
        if t - self._fall_t > p.fall_timeout_s:
            self._reset(None)
            return []
        if self._state is _State.DOWN:
            return []
        if self._still(blob, t):
            self._still_since = self._still_since if self._still_since is not None else t
            if t - self._still_since >= p.down_still_s:
                self._state = _State.DOWN
                return [FallDetection(FallPhase.DOWN, 0.9, t)]
        else:
            self._still_since = None
        return []

    def _upright(self, blob: Blob | None) -> bool:
        return (
            blob is not None
            and blob.aspect < 1.0
            and blob.height >= self.params.recover_height * self._reference_height
        )

    def _still(self, blob: Blob | None, t: float) -> bool:
        if blob is None:
            return True  # nothing moves where the person lies
        previous, previous_t = self._last_blob, self._last_blob_t
        self._last_blob, self._last_blob_t = blob, t
        if previous is None or t <= previous_t:
            return True
        step = abs(blob.centre_y - previous.centre_y) + abs(blob.centre_x - previous.centre_x)
        per_second = step / (t - previous_t) / max(self._reference_height, 1e-6)
        return per_second < self.params.still_speed

    def _ignored(self, blob: Blob) -> bool:
        return any(region.contains(blob.centre_x, blob.centre_y) for region in self._regions)

    def _reset(self, event: FallDetection | None) -> list[FallDetection]:
        self._state = _State.WATCHING
        self._history.clear()
        self._still_since = None
        self._upright_since = None
        return [event] if event is not None else []
