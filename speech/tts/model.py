"""What goes into the speech queue and what comes out (mirrors SayRequest / SayDone)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from pathlib import Path

from speech.tts.voice import VoiceProfile


class Priority(IntEnum):
    """SayRequest.PRIORITY_*: higher goes first; URGENT interrupts what is playing."""

    CHAT = 0
    NORMAL = 1
    REMINDER = 2
    URGENT = 3

    @classmethod
    def from_number(cls, number: int) -> Priority:
        """A message's priority; an unknown number is treated as NORMAL rather than dropped."""
        try:
            return cls(number)
        except ValueError:
            return cls.NORMAL


class Status(IntEnum):
    """SayDone.STATUS_*."""

    SPOKEN = 0
    INTERRUPTED = 1
    FAILED = 2


class OutputMode(StrEnum):
    WAV = "wav"
    SPEAKER = "speaker"
    BOTH = "both"

    @property
    def writes_file(self) -> bool:
        return self is not OutputMode.SPEAKER

    @property
    def plays(self) -> bool:
        return self is not OutputMode.WAV


@dataclass(frozen=True)
class SpeechRequest:
    utterance_id: str
    text: str
    lang: str
    priority: Priority = Priority.NORMAL
    rate_scale: float = 1.0
    """Multiplies the resident's rate; 0 (unset in a message) means 1.0."""
    profile: VoiceProfile | None = None
    """Speak with these settings instead of the resident's current ones (a confirmation of
    "slower" is said at the setting it confirms, even if "slower" came again meanwhile)."""


@dataclass(frozen=True)
class SpeechDone:
    utterance_id: str
    status: Status
    audio_path: Path | None = None
    """The WAV written for the utterance (None when only played)."""
    reason: str = ""
    """Why it failed or was interrupted; empty when spoken."""
    first_audio_s: float | None = None
    """From the request to the first audio: the WAV fully written (file output) or the
    player started (speaker output). None when no audio came out."""
    duration_s: float = 0.0
    """Length of the synthesised audio."""
