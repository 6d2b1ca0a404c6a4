"""The `Speaker` port: turn text into audio and play it.

Real adapter: `speech.tts.espeak_speaker.EspeakSpeaker` (pyttsx3 + espeak-ng in
a child process, `aplay` for the sound). In-memory one for tests of the queue:
`speech.tts.memory_speaker.MemorySpeaker`. Both obey the same contract
(the contract tests in tests/integration/test_tts_espeak.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from speech.tts.voice import Voice
from speech.tts.wav import AudioInfo


class Playback(Protocol):
    """One sound being played."""

    def wait(self, timeout_s: float) -> bool:
        """Block until the sound ends (True) or `timeout_s` passes (False)."""
        ...

    def stop(self) -> None:
        """Cut the sound off now (safe from any thread, and when already ended)."""
        ...

    def check(self) -> None:
        """After the end: raise AudioOutputError if the sound never reached a device.

        A playback cut off by `stop()` is not an error.
        """
        ...


class Speaker(Protocol):
    def warm_up(self) -> None:
        """Get ready so the first utterance is as quick as the others (may raise TtsError)."""
        ...

    def synthesize(self, text: str, voice: Voice, wav_path: Path) -> AudioInfo:
        """Write `text` spoken with `voice` as a WAV file at `wav_path` (blocks until written).

        Raises SynthesisError (SynthesisTimeoutError when the engine hung),
        SynthesisUnavailableError or OutputPathError.
        """
        ...

    def play(self, wav_path: Path) -> Playback:
        """Start playing a WAV file; returns at once. Raises AudioOutputError."""
        ...

    def close(self) -> None: ...
