"""asr: microphone (or a WAV file) -> VAD -> vosk -> /speech/heard (partials and finals).

Thin wiring of `speech.asr.listener.Listener`. Decoding runs in a worker
thread (`ListeningThread`); a timer drains its events and publishes them on
the executor. Half-duplex: from a /speech/say until its /speech/spoken (plus
`echo_guard_s`), audio is ignored so the robot does not hear itself.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from homecare.errors import ConfigError, HomecareError
from homecare.settings import get_settings
from robot.runtime import EVENTS, Runtime, load_params
from robot.runtime.stamps import header
from speech.asr.errors import AsrError
from speech.asr.grammar import Grammar, garbage_words_for
from speech.asr.listener import (
    FinalResult,
    Listener,
    ListenerEvent,
    ListenerFailed,
    ListeningThread,
    PartialText,
)
from speech.asr.models import CATALOG, model_path
from speech.asr.recognizer import Outcome
from speech.asr.sources import Microphone, SounddeviceMicrophone, WavFileSource
from speech.asr.vad import VadParams
from speech.asr.vosk_adapter import VoskModel

MICROPHONE = "microphone"


class AsrNodeParams(BaseModel):
    lang: str = Field(default="", description="Language of the resident (empty: robot.language).")
    model_path: str = Field(
        default="", description="vosk model folder (empty: the installed model for lang)."
    )
    source: str = Field(
        default=MICROPHONE, description='"microphone", or the path of a 16-bit mono WAV file.'
    )
    sample_rate: int = Field(default=16000, gt=0, description="Microphone sample rate, Hz.")
    end_of_speech_s: float = Field(
        default=1.2, gt=0, description="Silence that ends an utterance (older speakers pause)."
    )
    max_utterance_s: float = Field(default=15.0, gt=0)
    grammar: bool = Field(
        default=False, description="Recognise only the NLU's phrases (or grammar_file's)."
    )
    grammar_file: str = Field(
        default="", description="Phrases one per line for grammar mode (empty: the NLU's)."
    )
    garbage_words: str = Field(
        default="",
        description="Grammar mode: comma-separated words that mark out-of-grammar speech "
        "(empty: the language's defaults).",
    )
    min_confidence: float = Field(
        default=0.5, ge=0, le=1, description="Finals below this mean confidence are rejected."
    )
    echo_guard_s: float = Field(
        default=0.3, ge=0, description="Audio still ignored after the robot stopped speaking."
    )
    max_speaking_s: float = Field(
        default=60.0, gt=0, description="Listen again even if /speech/spoken never comes."
    )
    publish_partials: bool = True
    require_audio: bool = Field(
        default=False,
        description="Fail at start without a microphone or model (else log it and stay idle).",
    )
    pump_period_s: float = Field(default=0.05, gt=0)


class AsrNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = p = load_params(rt, AsrNodeParams)
        self.lang = p.lang or get_settings().robot.language
        self.heard = rt.publisher("/speech/heard", rt.types.Utterance, EVENTS)
        self._speaking: dict[str, float] = {}
        """utterance_id -> monotonic time after which we stop waiting for its SayDone."""
        self._listen_again_at: float | None = None
        self.listening: ListeningThread | None = None
        self._reported_end = False
        try:
            self.listening = self._start_listening(p)
        except HomecareError as error:
            if p.require_audio:
                raise
            rt.log.warning("asr idle: no speech input", reason=str(error))
            return
        rt.subscribe("/speech/say", rt.types.SayRequest, self.on_say, EVENTS)
        rt.subscribe("/speech/spoken", rt.types.SayDone, self.on_spoken, EVENTS)
        rt.timer(p.pump_period_s, self.pump)

    def _start_listening(self, p: AsrNodeParams) -> ListeningThread:
        # The source first: no sound card is found in milliseconds, a model loads in seconds.
        source = self._open_source(p)
        try:
            model = VoskModel(model_path(self.lang, override=p.model_path), hint=self._model_hint())
            grammar = self._grammar(model, p) if p.grammar else None
            recognizer = model.recognizer(source.sample_rate, grammar, p.min_confidence)
        except BaseException:
            source.close()
            raise
        vad = VadParams(end_of_speech_s=p.end_of_speech_s, max_utterance_s=p.max_utterance_s)
        listening = ListeningThread(source, Listener(recognizer, vad))
        listening.start()
        self.rt.log.info(
            "asr listening",
            lang=self.lang,
            model=model.path.name,
            source=MICROPHONE if p.source == MICROPHONE else "wav",
            grammar=len(grammar.phrases) if grammar else "off",
        )
        return listening

    def _model_hint(self) -> str:
        get = (
            f"run `homecare models download {self.lang}`" if self.lang in CATALOG else "install one"
        )
        return f"{get} or set the asr node's model_path parameter"

    def _open_source(self, p: AsrNodeParams) -> Microphone:
        if p.source == MICROPHONE:
            return SounddeviceMicrophone(p.sample_rate)
        return WavFileSource(Path(p.source).expanduser())

    def _grammar(self, model: VoskModel, p: AsrNodeParams) -> Grammar:
        garbage = [w.strip() for w in p.garbage_words.split(",") if w.strip()]
        grammar = model.grammar(
            grammar_phrases(self.lang, p.grammar_file), garbage or garbage_words_for(self.lang)
        )
        if grammar.missing_words:
            # Words of our own phrase list, not what anyone said: fine to log.
            self.rt.log.warning(
                "asr grammar words missing from the model",
                count=len(grammar.missing_words),
                words=",".join(grammar.missing_words),
                dropped_phrases=len(grammar.dropped_phrases),
            )
        return grammar

    # half-duplex

    def on_say(self, request: Any) -> None:
        self._speaking[str(request.utterance_id)] = (
            self.rt.clock.monotonic() + self.params.max_speaking_s
        )
        self._listen_again_at = None
        if self.listening is not None:
            self.listening.listener.mute()

    def on_spoken(self, done: Any) -> None:
        self._speaking.pop(str(done.utterance_id), None)
        if not self._speaking:
            self._listen_again_at = self.rt.clock.monotonic() + self.params.echo_guard_s

    def _update_muting(self) -> None:
        now = self.rt.clock.monotonic()
        for utterance_id, give_up_at in list(self._speaking.items()):
            if now >= give_up_at:
                self.rt.log.warning(
                    "asr no /speech/spoken: listening again",
                    waited_s=self.params.max_speaking_s,
                )
                del self._speaking[utterance_id]
                if not self._speaking:
                    self._listen_again_at = now
        if self._listen_again_at is not None and now >= self._listen_again_at:
            self._listen_again_at = None
            if self.listening is not None:
                self.listening.listener.unmute()

    # results

    def pump(self) -> None:
        self._update_muting()
        if self.listening is None:
            return
        for event in self.listening.drain():
            self.publish(event)
        if self.listening.finished.is_set() and not self._reported_end:
            self._reported_end = True  # a WAV file has no more audio: say so once
            self.rt.log.info("asr source ended", source=self.params.source)

    def publish(self, event: ListenerEvent) -> None:
        if isinstance(event, PartialText):
            if self.params.publish_partials:
                self._publish_utterance(event.text, 0.0, is_final=False)
        elif isinstance(event, FinalResult):
            recognition = event.recognition
            if recognition.outcome is Outcome.HEARD:
                self._publish_utterance(recognition.text, recognition.confidence, is_final=True)
            else:
                # Never the words themselves: the reason and numbers only.
                self.rt.log.info(
                    "asr not published",
                    outcome=recognition.outcome.value,
                    reason=recognition.reason or "-",
                    audio_s=round(event.audio_s, 2),
                )
        elif isinstance(event, ListenerFailed):
            self.rt.log.error("asr stopped", reason=event.message)

    def _publish_utterance(self, text: str, confidence: float, is_final: bool) -> None:
        self.heard.publish(
            self.rt.types.Utterance(
                header=header(self.rt),
                text=text,
                lang=self.lang,
                confidence=float(confidence),
                is_final=is_final,
            )
        )

    def close(self) -> None:
        """Stop listening (tests; a robot stops with its process)."""
        if self.listening is not None:
            self.listening.stop()


def grammar_phrases(lang: str, grammar_file: str) -> list[str]:
    """The grammar: `grammar_file`'s lines, else the NLU's phrases for `lang`."""
    if grammar_file:
        path = Path(grammar_file).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise ConfigError(f"asr grammar_file {path}: {error.strerror or error}") from None
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    try:
        # Looked up at run time: the NLU is a separate package of speech/ and may be absent.
        phrases_of = importlib.import_module("speech.nlu").grammar_phrases
    except (ImportError, AttributeError):
        raise AsrError(
            "grammar mode needs speech.nlu.grammar_phrases(lang), which is not available: "
            "set the asr node's grammar_file parameter or grammar: false"
        ) from None
    return [str(phrase) for phrase in phrases_of(lang)]


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(AsrNode, "asr", args)
