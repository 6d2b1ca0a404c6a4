"""Voice-activity detection: cut a stream of 16-bit PCM into utterances.

Energy against an adaptive noise floor: a frame is voiced when it is louder
than the floor by `margin_db` (and above an absolute minimum). The floor is
the quietest frame of the last `floor_window_s` ("minimum statistics"):
speech dips between syllables, a fan or a hum does not, so steady noise
becomes the floor within one window and does not count as speech. Time is
counted in audio samples, not on a clock, so the result depends only on the
audio.

Why not webrtcvad: it would be a new compiled dependency, and what decides
usability for older speakers here is the end-of-speech pause (they pause
mid-sentence), which is ours to set in either case.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

from speech.asr.pcm import SAMPLE_WIDTH_BYTES, SILENCE_DBFS, level_dbfs


class EndReason(Enum):
    PAUSE = "pause"
    """The speaker was silent for `end_of_speech_s`."""
    MAX_LENGTH = "max_length"
    """The utterance reached `max_utterance_s` (someone talking on, or a TV)."""
    STREAM_END = "stream_end"
    """The audio ended (file source) while speech was going on."""


@dataclass(frozen=True)
class VadParams:
    frame_s: float = 0.03
    end_of_speech_s: float = 1.2
    """Silence that ends an utterance; older speakers pause mid-sentence, 0.5 s cuts them off."""
    max_utterance_s: float = 15.0
    min_speech_s: float = 0.15
    """Voiced audio needed to start an utterance (clicks and knocks are shorter)."""
    pre_roll_s: float = 0.3
    """Audio kept from before the start, so the first syllable reaches the recogniser."""
    margin_db: float = 10.0
    min_speech_dbfs: float = -50.0
    floor_window_s: float = 5.0
    """The noise floor is the quietest frame this far back."""

    def __post_init__(self) -> None:
        for name in ("frame_s", "end_of_speech_s", "max_utterance_s", "floor_window_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.min_speech_s < 0 or self.pre_roll_s < 0:
            raise ValueError("min_speech_s and pre_roll_s must not be negative")


@dataclass(frozen=True)
class VadStep:
    """What one frame changed: audio for the recogniser, and where an utterance starts or ends."""

    started: bool = False
    audio: bytes = b""
    """Audio that belongs to the current utterance (with the pre-roll when it starts)."""
    ended: EndReason | None = None


class VoiceActivityDetector:
    """Feed frames of `params.frame_s` (any size works; timing uses their real length)."""

    def __init__(self, sample_rate: int, params: VadParams | None = None) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {sample_rate}")
        self.sample_rate = sample_rate
        self.params = params or VadParams()
        self.frame_bytes = max(1, round(self.params.frame_s * sample_rate)) * SAMPLE_WIDTH_BYTES
        window_frames = max(1, round(self.params.floor_window_s / self.params.frame_s))
        self._recent_levels: deque[float] = deque(maxlen=window_frames)
        self._pending = b""
        self.reset()

    def reset(self) -> None:
        """Forget any utterance in progress (the floor is kept: the room has not changed)."""
        self.in_speech = False
        self._voiced_run_s = 0.0
        self._silent_run_s = 0.0
        self._utterance_s = 0.0
        self._pre_roll: deque[bytes] = deque()
        self._pre_roll_s = 0.0
        self._pending = b""

    def feed(self, pcm: bytes) -> list[VadStep]:
        """Split `pcm` into frames and classify each; returns the steps that carry something."""
        self._pending += pcm
        steps: list[VadStep] = []
        while len(self._pending) >= self.frame_bytes:
            frame = self._pending[: self.frame_bytes]
            self._pending = self._pending[self.frame_bytes :]
            step = self.process_frame(frame)
            if step.started or step.audio or step.ended:
                steps.append(step)
        return steps

    def finish(self) -> VadStep | None:
        """The stream ended: close an utterance in progress."""
        if not self.in_speech:
            self.reset()
            return None
        audio = self._pending
        self.reset()
        return VadStep(audio=audio, ended=EndReason.STREAM_END)

    def process_frame(self, frame: bytes) -> VadStep:
        seconds = len(frame) / SAMPLE_WIDTH_BYTES / self.sample_rate
        voiced = self._is_voiced(level_dbfs(frame))
        if self.in_speech:
            return self._continue_utterance(frame, seconds, voiced)
        return self._wait_for_speech(frame, seconds, voiced)

    @property
    def noise_floor_dbfs(self) -> float:
        return min(self._recent_levels) if self._recent_levels else SILENCE_DBFS

    def _is_voiced(self, level: float) -> bool:
        self._recent_levels.append(level)
        p = self.params
        return level >= p.min_speech_dbfs and level >= self.noise_floor_dbfs + p.margin_db

    def _wait_for_speech(self, frame: bytes, seconds: float, voiced: bool) -> VadStep:
        p = self.params
        self._pre_roll.append(frame)
        self._pre_roll_s += seconds
        self._voiced_run_s = self._voiced_run_s + seconds if voiced else 0.0
        if self._voiced_run_s >= max(p.min_speech_s, seconds) - 1e-9:
            self.in_speech = True
            audio = b"".join(self._pre_roll)
            self._utterance_s = len(audio) / SAMPLE_WIDTH_BYTES / self.sample_rate
            self._silent_run_s = 0.0
            self._pre_roll.clear()
            self._pre_roll_s = 0.0
            return VadStep(started=True, audio=audio)
        # Keep enough for the onset (min_speech_s) plus the pre-roll before it.
        keep_s = p.pre_roll_s + p.min_speech_s
        while self._pre_roll and self._pre_roll_s - seconds > keep_s:
            dropped = self._pre_roll.popleft()
            self._pre_roll_s -= len(dropped) / SAMPLE_WIDTH_BYTES / self.sample_rate
        return VadStep()

    def _continue_utterance(self, frame: bytes, seconds: float, voiced: bool) -> VadStep:
        p = self.params
        self._utterance_s += seconds
        self._silent_run_s = 0.0 if voiced else self._silent_run_s + seconds
        ended: EndReason | None = None
        if self._silent_run_s >= p.end_of_speech_s - 1e-9:
            ended = EndReason.PAUSE
        elif self._utterance_s >= p.max_utterance_s - 1e-9:
            ended = EndReason.MAX_LENGTH
        if ended is not None:
            pending = self._pending
            self.reset()
            self._pending = pending  # audio after the end belongs to what comes next
        return VadStep(audio=frame, ended=ended)


@dataclass(frozen=True)
class Segment:
    """One utterance cut from a stream: where it starts (s), its audio and why it ended."""

    start_s: float
    pcm: bytes
    ended: EndReason


def segment(pcm: bytes, sample_rate: int, params: VadParams | None = None) -> list[Segment]:
    """Cut a whole recording into utterances (tests, tools)."""
    detector = VoiceActivityDetector(sample_rate, params)
    segments: list[Segment] = []
    current: list[bytes] = []
    start_s = 0.0
    position = 0
    frame_bytes = detector.frame_bytes
    for offset in range(0, len(pcm) - frame_bytes + 1, frame_bytes):
        step = detector.process_frame(pcm[offset : offset + frame_bytes])
        position = offset + frame_bytes
        if step.started:
            current = []
            start_s = (position - len(step.audio)) / SAMPLE_WIDTH_BYTES / sample_rate
        if step.audio:
            current.append(step.audio)
        if step.ended:
            segments.append(Segment(start_s, b"".join(current), step.ended))
            current = []
    last = detector.finish()
    if last is not None:
        segments.append(
            Segment(start_s, b"".join([*current, last.audio]), last.ended or EndReason.STREAM_END)
        )
    return segments
