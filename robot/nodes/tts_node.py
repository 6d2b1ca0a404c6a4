"""tts: /speech/say -> speech (speaker and/or WAV files) -> /speech/spoken; /dialog/intent for
"slower" and "louder".

Thin wiring of `speech.tts.SpeechQueue` (priority queue, one worker thread,
pyttsx3/espeak-ng in a child process) and the resident's `VoiceProfile`.
Callbacks only hand work to the queue; a timer collects what finished and
publishes SayDone, so the executor never waits on audio.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from homecare.settings import get_settings
from robot.runtime import EVENTS, Runtime, load_params
from robot.runtime.stamps import header, new_id
from speech.tts import (
    EspeakSpeaker,
    OutputMode,
    Priority,
    ProfileError,
    ProfileStore,
    Speaker,
    SpeechDone,
    SpeechQueue,
    SpeechRequest,
    Status,
    UnknownLanguageError,
    VoiceProfile,
)
from speech.tts.aplay import AplayPlayer
from speech.tts.phrases import confirmation
from speech.tts.text import MAX_TEXT_CHARS
from speech.tts.voice import (
    DEFAULT_RATE_WPM,
    DEFAULT_VOLUME,
    MAX_RATE_WPM,
    MIN_RATE_WPM,
    normalise_language,
)
from speech.tts.worker import SynthesisWorker

PROFILE_INTENTS = ("speak.slower", "speak.louder")


class TtsNodeParams(BaseModel):
    lang: str = Field(default="ru", description="The resident's language, for empty requests.")
    output: Literal["wav", "speaker", "both"] = Field(
        default="speaker", description="Play on the speaker, write WAV files, or both."
    )
    wav_dir: str = Field(default="", description="Where WAVs go (empty: data_dir/speech).")
    profile_path: str = Field(
        default="",
        description="The resident's rate and volume (empty: data_dir/resident/voice_profile.json,"
        " erased with the resident's data when a rental ends).",
    )
    default_rate_wpm: int = Field(
        default=DEFAULT_RATE_WPM,
        ge=MIN_RATE_WPM,
        le=MAX_RATE_WPM,
        description="Words per minute until the resident asks for slower (then the profile).",
    )
    default_volume: float = Field(
        default=DEFAULT_VOLUME, ge=0.0, le=1.0, description="0..1 until the resident asks louder."
    )
    synth_timeout_s: float = Field(
        default=10.0, gt=0, description="Longer than this, the engine is restarted."
    )
    audio_device: str = Field(default="default", description="ALSA device for aplay -D.")
    max_text_chars: int = Field(default=MAX_TEXT_CHARS, ge=20)
    pump_period_s: float = Field(default=0.05, gt=0, description="How often results are sent.")


class TtsNode:
    def __init__(self, rt: Runtime, speaker: Speaker | None = None) -> None:
        self.rt = rt
        self.params = p = with_data_dir(load_params(rt, TtsNodeParams), get_settings().data_dir)
        self.store = ProfileStore(
            Path(p.profile_path).expanduser(), VoiceProfile(p.default_rate_wpm, p.default_volume)
        )
        self.profile = self._load_profile()
        self.queue = SpeechQueue(
            speaker or real_speaker(p),
            rt.clock,
            lambda: self.profile,
            output=OutputMode(p.output),
            wav_dir=Path(p.wav_dir).expanduser(),
            max_text_chars=p.max_text_chars,
        )
        types = rt.types
        self.spoken = rt.publisher("/speech/spoken", types.SayDone, EVENTS)
        rt.subscribe("/speech/say", types.SayRequest, self.on_say, EVENTS)
        rt.subscribe("/dialog/intent", types.Intent, self.on_intent, EVENTS)
        rt.timer(p.pump_period_s, self.pump)

    def on_say(self, message: Any) -> None:
        utterance_id = message.utterance_id or new_id()
        self.queue.submit(
            SpeechRequest(
                utterance_id,
                message.text,
                message.lang or self.params.lang,
                Priority.from_number(int(message.priority)),
                float(message.rate_scale),
            )
        )

    def on_intent(self, intent: Any) -> None:
        if intent.name not in PROFILE_INTENTS:
            return
        if intent.name == "speak.slower":
            profile, change = self.profile.slower()
        else:
            profile, change = self.profile.louder()
        if profile != self.profile:
            self.profile = profile
            try:
                self.store.save(profile)
            except ProfileError as error:
                # The resident still hears the change now; it is lost at the next restart.
                self.rt.log.error("tts voice profile not saved", error=str(error))
        self.rt.log.info(
            "tts voice profile",
            change=change.value,
            rate_wpm=profile.rate_wpm,
            volume=profile.volume,
        )
        lang = self._language(intent.lang)
        self.queue.submit(
            SpeechRequest(
                new_id(), confirmation(change, lang), lang, Priority.NORMAL, profile=profile
            )
        )

    def pump(self) -> None:
        for done in self.queue.take_done():
            self.publish_done(done)

    def publish_done(self, done: SpeechDone) -> None:
        self.spoken.publish(
            self.rt.types.SayDone(
                header=header(self.rt),
                utterance_id=done.utterance_id,
                status=int(done.status),
                audio_path=str(done.audio_path) if done.audio_path else "",
            )
        )
        if done.status is Status.FAILED:
            self.rt.log.warning("tts failed", utterance_id=done.utterance_id, reason=done.reason)
            return
        first_audio_ms = "-" if done.first_audio_s is None else round(done.first_audio_s * 1000)
        self.rt.log.debug(
            "tts done",
            utterance_id=done.utterance_id,
            status=done.status.name.lower(),
            first_audio_ms=first_audio_ms,
            duration_s=round(done.duration_s, 2),
        )

    def close(self) -> None:
        """Stop speaking and end the engine's process (tests; the process ends with us anyway)."""
        self.queue.close()

    def _load_profile(self) -> VoiceProfile:
        try:
            return self.store.load()
        except ProfileError as error:
            # A broken file must not silence the robot: defaults, and the next change rewrites it.
            self.rt.log.error("tts voice profile unreadable, using defaults", error=str(error))
            return self.store.default

    def _language(self, lang: str) -> str:
        for candidate in (lang, self.params.lang):
            try:
                return normalise_language(candidate)
            except UnknownLanguageError:
                continue
        return "ru"


def with_data_dir(params: TtsNodeParams, data_dir: Path) -> TtsNodeParams:
    """Fill the paths the parameters leave empty from the data_dir setting."""
    return params.model_copy(
        update={
            "wav_dir": params.wav_dir or str(data_dir / "speech"),
            "profile_path": params.profile_path
            or str(data_dir / "resident" / "voice_profile.json"),
        }
    )


def real_speaker(params: TtsNodeParams) -> EspeakSpeaker:
    return EspeakSpeaker(
        SynthesisWorker(timeout_s=params.synth_timeout_s), AplayPlayer(params.audio_device)
    )


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(TtsNode, "tts", args)
