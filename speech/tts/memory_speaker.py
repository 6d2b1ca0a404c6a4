"""`MemorySpeaker`: an in-memory `Speaker` for tests of what drives it (never shipped as real).

It writes a real (silent) WAV so file handling is exercised, records what it
was asked to say and play, and can hold each playback until the test lets it
end, so priorities and interruptions can be checked without timing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from speech.tts.errors import AudioOutputError, SynthesisError
from speech.tts.voice import Voice
from speech.tts.wav import AudioInfo, write_silence


@dataclass
class MemoryPlayback:
    wav_path: Path
    speaker: MemorySpeaker
    ended: threading.Event = field(default_factory=threading.Event)
    stopped: bool = False

    def wait(self, timeout_s: float) -> bool:
        done = self.ended.wait(timeout_s)
        if done:
            self.speaker._ended(self)
        return done

    def stop(self) -> None:
        self.stopped = True
        self.ended.set()

    def check(self) -> None:
        if self.speaker.playback_error and not self.stopped:
            raise AudioOutputError(self.speaker.playback_error)


class MemorySpeaker:
    def __init__(self, hold_playback: bool = False, playback_error: str = "") -> None:
        self.hold_playback = hold_playback
        self.playback_error = playback_error
        self.fail_texts: set[str] = set()
        self.synthesized: list[tuple[str, Voice]] = []
        self.played: list[Path] = []
        self.max_playing_at_once = 0
        self.closed = False
        self._playing: list[MemoryPlayback] = []
        self._lock = threading.Condition()

    def warm_up(self) -> None:
        pass

    def synthesize(self, text: str, voice: Voice, wav_path: Path) -> AudioInfo:
        if text in self.fail_texts:
            raise SynthesisError(f"memory speaker told to fail on {text!r}")
        with self._lock:
            self.synthesized.append((text, voice))
        # About the length espeak-ng would give: words / (words per minute).
        return write_silence(wav_path, 60.0 * max(1, len(text.split())) / voice.rate_wpm)

    def play(self, wav_path: Path) -> MemoryPlayback:
        playback = MemoryPlayback(wav_path, self)
        with self._lock:
            self.played.append(wav_path)
            self._playing.append(playback)
            self.max_playing_at_once = max(self.max_playing_at_once, len(self._playing))
            self._lock.notify_all()
        if not self.hold_playback:
            playback.ended.set()
        return playback

    def playing(self) -> list[Path]:
        with self._lock:
            return [playback.wav_path for playback in self._playing]

    def finish_playing(self) -> None:
        """Let every held playback end as if the sound ran out."""
        with self._lock:
            for playback in self._playing:
                playback.ended.set()

    def close(self) -> None:
        self.closed = True
        self.finish_playing()

    def _ended(self, playback: MemoryPlayback) -> None:
        with self._lock:
            if playback in self._playing:
                self._playing.remove(playback)
