"""`SpeechQueue`: a priority queue in front of a `Speaker`, run by one worker thread.

Callers `submit` and return at once; results are collected with `take_done`
(a robot node polls it from a timer, so its executor never waits on audio).
One utterance is made and played at a time; an URGENT request kills the
playback of anything less urgent, which is reported INTERRUPTED.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from homecare.clock import Clock
from speech.tts.agenda import Pending, SpeechAgenda
from speech.tts.errors import AudioOutputError, OutputPathError, TtsError
from speech.tts.model import OutputMode, Priority, SpeechDone, SpeechRequest, Status
from speech.tts.port import Playback, Speaker
from speech.tts.text import MAX_TEXT_CHARS, prepare_text
from speech.tts.voice import VoiceProfile

# A playback that runs this much longer than its audio is stuck (a blocked sound device).
PLAYBACK_SLACK_S = 5.0
INTERRUPTED_REASON = "interrupted by an urgent message"

_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_NUMBERED_WAV = re.compile(r"^(\d+)-.*\.wav$")


@dataclass
class _Playing:
    priority: Priority
    playback: Playback
    interrupted: bool = False


class SpeechQueue:
    def __init__(
        self,
        speaker: Speaker,
        clock: Clock,
        profile: Callable[[], VoiceProfile],
        *,
        output: OutputMode = OutputMode.SPEAKER,
        wav_dir: Path | None = None,
        max_text_chars: int = MAX_TEXT_CHARS,
    ) -> None:
        if output.writes_file and wav_dir is None:
            raise ValueError(f"output {output.value!r} needs a wav_dir")
        self.speaker = speaker
        self.clock = clock
        self.profile = profile
        self.output = output
        self.wav_dir = wav_dir
        self.max_text_chars = max_text_chars
        self._agenda = SpeechAgenda()
        self._done: list[SpeechDone] = []
        self._playing: _Playing | None = None
        self._closed = False
        self._changed = threading.Condition()
        self._scratch_dir: Path | None = None
        self._next_number = 1
        if wav_dir is not None and output.writes_file:
            try:
                wav_dir.mkdir(parents=True, exist_ok=True)
                self._next_number = next_file_number(wav_dir)
            except OSError as error:
                raise OutputPathError(
                    f"cannot use {wav_dir} for speech WAV files: {error.strerror or error}"
                ) from None
        self._thread = threading.Thread(target=self._run, name="tts-queue", daemon=True)
        self._thread.start()

    # caller side (any thread)

    def submit(self, request: SpeechRequest) -> None:
        with self._changed:
            if self._closed:
                raise TtsError("the speech queue is closed")
            self._agenda.add(request, self.clock.monotonic())
            playing = self._playing
            if playing and not playing.interrupted and self._agenda.interrupts(playing.priority):
                playing.interrupted = True
                playing.playback.stop()
            self._changed.notify_all()

    def take_done(self) -> list[SpeechDone]:
        """Results since the last call, in the order they finished."""
        with self._changed:
            done, self._done = self._done, []
            return done

    def wait_for(self, utterance_id: str, timeout_s: float) -> SpeechDone | None:
        """Block until `utterance_id` is done (and take its result); None after `timeout_s`."""

        def find() -> SpeechDone | None:
            return next((d for d in self._done if d.utterance_id == utterance_id), None)

        with self._changed:
            if not self._changed.wait_for(lambda: find() is not None, timeout_s):
                return None
            done = find()
            assert done is not None
            self._done.remove(done)
            return done

    def waiting(self) -> int:
        with self._changed:
            return len(self._agenda)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            if self._playing:
                self._playing.playback.stop()
            self._changed.notify_all()
        self._thread.join(timeout=10.0)
        self.speaker.close()
        if self._scratch_dir is not None:
            shutil.rmtree(self._scratch_dir, ignore_errors=True)

    # worker thread

    def _run(self) -> None:
        with contextlib.suppress(TtsError):  # the same error comes back with the first request
            self.speaker.warm_up()
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._closed or len(self._agenda) > 0)
                if self._closed:
                    return
                pending = self._agenda.pop()
            done = self._speak(pending)
            if done is not None:
                with self._changed:
                    self._done.append(done)
                    self._changed.notify_all()

    def _speak(self, pending: Pending) -> SpeechDone | None:
        request = pending.request
        try:
            text = prepare_text(request.text, self.max_text_chars)
            profile = request.profile or self.profile()
            voice = profile.voice(request.lang, request.rate_scale)
            wav_path = self._wav_path(request.utterance_id)
            audio = self.speaker.synthesize(text, voice, wav_path)
        except TtsError as error:
            return SpeechDone(request.utterance_id, Status.FAILED, reason=str(error))
        kept_path = wav_path if self.output.writes_file else None
        if not self.output.plays:
            return SpeechDone(
                request.utterance_id,
                Status.SPOKEN,
                kept_path,
                first_audio_s=self.clock.monotonic() - pending.submitted_at,
                duration_s=audio.duration_s,
            )
        with self._changed:
            if self._closed:
                return None
            if self._agenda.interrupts(request.priority):
                # Something urgent came while this was being made: it waits its turn again.
                self._agenda.put_back(pending)
                wav_path.unlink(missing_ok=True)
                return None
            try:
                playback = self.speaker.play(wav_path)
            except AudioOutputError as error:
                self._forget_scratch(wav_path)
                return SpeechDone(request.utterance_id, Status.FAILED, kept_path, str(error))
            playing = self._playing = _Playing(request.priority, playback)
        first_audio_s = self.clock.monotonic() - pending.submitted_at
        finished = playback.wait(audio.duration_s * 2 + PLAYBACK_SLACK_S)
        with self._changed:
            self._playing = None
        status, reason = Status.SPOKEN, ""
        if not finished:
            playback.stop()
            playback.wait(PLAYBACK_SLACK_S)
            status = Status.FAILED
            reason = f"playback did not end within {audio.duration_s * 2 + PLAYBACK_SLACK_S:.0f} s"
        elif playing.interrupted:
            status, reason = Status.INTERRUPTED, INTERRUPTED_REASON
        else:
            try:
                playback.check()
            except AudioOutputError as error:
                status, reason = Status.FAILED, str(error)
        self._forget_scratch(wav_path)
        return SpeechDone(
            request.utterance_id, status, kept_path, reason, first_audio_s, audio.duration_s
        )

    def _wav_path(self, utterance_id: str) -> Path:
        if self.output.writes_file:
            assert self.wav_dir is not None
            number, self._next_number = self._next_number, self._next_number + 1
            return self.wav_dir / wav_file_name(number, utterance_id)
        if self._scratch_dir is None:
            self._scratch_dir = Path(tempfile.mkdtemp(prefix="homecare-tts-"))
        return self._scratch_dir / wav_file_name(0, utterance_id)

    def _forget_scratch(self, wav_path: Path) -> None:
        if not self.output.writes_file:
            wav_path.unlink(missing_ok=True)


def wav_file_name(number: int, utterance_id: str) -> str:
    """`0007-<utterance_id>.wav`: sorts in the order spoken, unique, safe on any filesystem."""
    safe_id = _UNSAFE_IN_FILE_NAME.sub("_", utterance_id)[:64] or "utterance"
    return f"{number:04d}-{safe_id}.wav"


def next_file_number(wav_dir: Path) -> int:
    """One past the highest number already in `wav_dir`, so a restart never overwrites."""
    numbers = [
        int(match.group(1))
        for path in wav_dir.iterdir()
        if (match := _NUMBERED_WAV.match(path.name)) is not None
    ]
    return max(numbers, default=0) + 1
