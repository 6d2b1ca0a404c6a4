"""The listening loop: audio -> VAD -> recogniser -> partial and final results.

`Listener` is the synchronous core (feed chunks, get events); `ListeningThread`
runs it on a source in a worker thread, because decoding is heavy (free
decoding is about real time on 2 cores) and must not hold up the robot's
executor. Events go into a queue that the node drains on its own thread.

Half-duplex: while `muted` (the robot is speaking) audio is dropped and any
utterance in progress is abandoned, so the robot does not hear itself.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from speech.asr.errors import AudioFormatError
from speech.asr.pcm import SAMPLE_WIDTH_BYTES
from speech.asr.recognizer import Recognition, Recognizer
from speech.asr.sources import Microphone
from speech.asr.vad import EndReason, VadParams, VadStep, VoiceActivityDetector


@dataclass(frozen=True)
class PartialText:
    text: str


@dataclass(frozen=True)
class FinalResult:
    recognition: Recognition
    ended: EndReason
    audio_s: float
    """Length of the utterance's audio (for the real-time factor and logs)."""


@dataclass(frozen=True)
class ListenerFailed:
    """The source or recogniser failed; listening stopped."""

    message: str


ListenerEvent = PartialText | FinalResult | ListenerFailed


class Listener:
    def __init__(self, recognizer: Recognizer, vad_params: VadParams | None = None) -> None:
        self.recognizer = recognizer
        self.vad = VoiceActivityDetector(recognizer.sample_rate, vad_params)
        self._muted = threading.Event()
        self._last_partial = ""
        self._utterance_bytes = 0

    @property
    def muted(self) -> bool:
        return self._muted.is_set()

    def mute(self) -> None:
        """The robot speaks: stop listening (safe from any thread)."""
        self._muted.set()

    def unmute(self) -> None:
        self._muted.clear()

    def process(self, pcm: bytes) -> list[ListenerEvent]:
        if self.muted:
            self._abandon()
            return []
        events: list[ListenerEvent] = []
        for step in self.vad.feed(pcm):
            events.extend(self._apply(step))
        return events

    def end_of_stream(self) -> list[ListenerEvent]:
        step = self.vad.finish()
        return self._apply(step) if step is not None and not self.muted else []

    def _apply(self, step: VadStep) -> list[ListenerEvent]:
        events: list[ListenerEvent] = []
        if step.started:
            self._last_partial = ""
            self._utterance_bytes = 0
        if step.audio:
            self.recognizer.accept(step.audio)
            self._utterance_bytes += len(step.audio)
        if step.ended is not None:
            audio_s = self._utterance_bytes / SAMPLE_WIDTH_BYTES / self.recognizer.sample_rate
            events.append(FinalResult(self.recognizer.finish(), step.ended, audio_s))
            self._last_partial = ""
            self._utterance_bytes = 0
        elif step.audio:
            partial = self.recognizer.partial()
            if partial and partial != self._last_partial:
                self._last_partial = partial
                events.append(PartialText(partial))
        return events

    def _abandon(self) -> None:
        if self.vad.in_speech:
            self.recognizer.reset()
        self.vad.reset()
        self._last_partial = ""
        self._utterance_bytes = 0


class ListeningThread:
    """Reads `source` in a daemon thread, feeds `listener`, queues its events."""

    def __init__(
        self,
        source: Microphone,
        listener: Listener,
        on_event: Callable[[], None] | None = None,
        max_queued_events: int = 1000,
    ) -> None:
        if source.sample_rate != listener.recognizer.sample_rate:
            raise AudioFormatError(
                f"the audio source delivers {source.sample_rate} Hz but the recogniser was "
                f"built for {listener.recognizer.sample_rate} Hz"
            )
        self.source = source
        self.listener = listener
        self.events: queue.Queue[ListenerEvent] = queue.Queue(maxsize=max_queued_events)
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._on_event = on_event
        self._thread = threading.Thread(target=self._run, name="asr-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.source.close()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def drain(self) -> list[ListenerEvent]:
        drained: list[ListenerEvent] = []
        while True:
            try:
                drained.append(self.events.get_nowait())
            except queue.Empty:
                return drained

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                chunk = self.source.read()
                if chunk is None:
                    self._emit(self.listener.end_of_stream())
                    break
                self._emit(self.listener.process(chunk))
        except Exception as error:  # reported to the node, which logs it; the thread ends
            self._emit([ListenerFailed(f"{type(error).__name__}: {error}")])
        finally:
            self.finished.set()
            if self._on_event is not None:
                self._on_event()

    def _emit(self, events: list[ListenerEvent]) -> None:
        for event in events:
            # Blocks while the node is far behind (backpressure), but never past stop().
            while not self._stop.is_set():
                try:
                    self.events.put(event, timeout=0.1)
                    break
                except queue.Full:
                    continue
        if events and self._on_event is not None:
            self._on_event()


def transcribe(
    source: Microphone, recognizer: Recognizer, vad_params: VadParams | None = None
) -> list[FinalResult]:
    """Every utterance of a finite source (a WAV file), decoded in this thread.

    Silence or steady noise gives an empty list: nothing heard, not an error.
    """
    if source.sample_rate != recognizer.sample_rate:
        raise AudioFormatError(
            f"the audio source delivers {source.sample_rate} Hz but the recogniser was "
            f"built for {recognizer.sample_rate} Hz"
        )
    listener = Listener(recognizer, vad_params)
    finals: list[FinalResult] = []
    while (chunk := source.read()) is not None:
        finals.extend(e for e in listener.process(chunk) if isinstance(e, FinalResult))
    finals.extend(e for e in listener.end_of_stream() if isinstance(e, FinalResult))
    return finals
