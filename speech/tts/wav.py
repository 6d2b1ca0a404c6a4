"""Reading back the WAV files the engine writes: is it real audio, and how long?"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

from speech.tts.errors import SynthesisError


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    sample_width_bytes: int
    channels: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def read_audio_info(path: Path) -> AudioInfo:
    """The format of the WAV at `path`; SynthesisError if it is missing, broken or silent-empty."""
    try:
        with wave.open(str(path), "rb") as audio:
            info = AudioInfo(
                audio.getframerate(), audio.getsampwidth(), audio.getnchannels(), audio.getnframes()
            )
    except FileNotFoundError:
        raise SynthesisError(f"the speech engine wrote no audio file at {path}") from None
    except (wave.Error, EOFError, OSError) as error:
        raise SynthesisError(f"the speech engine wrote a broken WAV file {path}: {error}") from None
    if info.frames == 0:
        raise SynthesisError(f"the speech engine wrote no audio into {path}")
    return info


def write_silence(path: Path, seconds: float, sample_rate: int = 22050) -> AudioInfo:
    """A valid 16-bit mono WAV of silence (the in-memory speaker's "speech")."""
    frames = max(1, round(seconds * sample_rate))
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(sample_rate)
        audio.writeframes(b"\x00\x00" * frames)
    return AudioInfo(sample_rate, 2, 1, frames)
