"""Time from a request to the first audio, for the speech-latency benchmark.

"First audio" is the WAV fully written (file output) or the player started
(speaker output). The engine is started and warmed up before any timing, as
on a robot that has been running for a while.

    from speech.tts.latency import FirstAudioProbe
    with FirstAudioProbe(out_dir) as tts:            # starts espeak-ng, not timed
        seconds = tts.first_audio("Сейчас десять часов.", "ru")
"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import TracebackType

from homecare.clock import Clock, SystemClock
from speech.tts.errors import TtsError
from speech.tts.espeak_speaker import EspeakSpeaker
from speech.tts.model import OutputMode, Priority, SpeechRequest, Status
from speech.tts.port import Speaker
from speech.tts.queue import SpeechQueue
from speech.tts.voice import VoiceProfile

WARM_UP_TEXTS = {"ru": "Здравствуйте.", "en": "Hello."}


class FirstAudioProbe:
    """The real queue and engine writing WAVs into `out_dir`; `first_audio` times one reply."""

    def __init__(
        self,
        out_dir: Path,
        speaker: Speaker | None = None,
        clock: Clock | None = None,
        profile: VoiceProfile | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.timeout_s = timeout_s
        voice_profile = profile or VoiceProfile()
        self.queue = SpeechQueue(
            speaker or EspeakSpeaker(),
            clock or SystemClock(),
            lambda: voice_profile,
            output=OutputMode.WAV,
            wav_dir=out_dir,
        )
        self._ids = itertools.count(1)
        for lang, text in WARM_UP_TEXTS.items():
            self.first_audio(text, lang)

    def first_audio(self, text: str, lang: str) -> float:
        """Seconds from submitting `text` to its WAV being fully written."""
        utterance_id = f"latency-{next(self._ids)}"
        self.queue.submit(SpeechRequest(utterance_id, text, lang, Priority.NORMAL))
        done = self.queue.wait_for(utterance_id, self.timeout_s)
        if done is None:
            raise TtsError(f"no audio within {self.timeout_s:g} s for {utterance_id}")
        if done.status is not Status.SPOKEN or done.first_audio_s is None:
            raise TtsError(f"speech failed for {utterance_id}: {done.reason}")
        return done.first_audio_s

    def close(self) -> None:
        self.queue.close()

    def __enter__(self) -> FirstAudioProbe:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
