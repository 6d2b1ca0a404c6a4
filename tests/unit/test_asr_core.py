"""Speech-input core without vosk: PCM and WAV checks, rejection, grammars, the listener loop."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from speech.asr.errors import AudioFormatError, MicrophoneUnavailableError
from speech.asr.grammar import build_grammar, normalise_phrase
from speech.asr.listener import (
    FinalResult,
    Listener,
    ListenerFailed,
    ListeningThread,
    PartialText,
    transcribe,
)
from speech.asr.pcm import level_dbfs, resample, samples, to_pcm
from speech.asr.recognizer import (
    UNKNOWN_WORD,
    Outcome,
    Recognition,
    RejectionPolicy,
    Word,
    judge,
)
from speech.asr.sources import SounddeviceMicrophone, WavFileSource, read_wav
from speech.asr.vad import EndReason
from tests.support import wait_until

RATE = 16000


def tone(seconds: float, rate: int = RATE, hz: float = 440.0, amplitude: float = 0.3) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    return to_pcm(amplitude * np.sin(2 * np.pi * hz * t))


def silence(seconds: float, rate: int = RATE) -> bytes:
    return bytes(2 * round(seconds * rate))


def write_wav(path: Path, pcm: bytes, rate: int = RATE, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return path


class ScriptedRecognizer:
    """Obeys the Recognizer contract; each utterance's final words come from a script."""

    def __init__(self, finals: list[list[Word]], sample_rate: int = RATE) -> None:
        self.sample_rate = sample_rate
        self.finals = finals
        self.accepted = 0
        self.resets = 0

    def accept(self, pcm: bytes) -> None:
        self.accepted += len(pcm)

    def partial(self) -> str:
        return "hel" if self.accepted < RATE else "hello"

    def finish(self) -> Recognition:
        words = self.finals.pop(0) if self.finals else []
        self.accepted = 0
        return judge(words, RejectionPolicy(min_confidence=0.5))

    def reset(self) -> None:
        self.resets += 1
        self.accepted = 0


# PCM and WAV


def test_level_of_full_scale_and_silence() -> None:
    assert level_dbfs(to_pcm(np.ones(160))) == pytest.approx(0.0, abs=0.01)
    assert level_dbfs(silence(0.01)) == -120.0
    assert level_dbfs(tone(0.1, amplitude=0.1)) == pytest.approx(-23.0, abs=0.2)


def test_odd_byte_counts_are_not_pcm() -> None:
    with pytest.raises(AudioFormatError, match="odd byte count"):
        samples(b"\x00\x01\x02")


def test_resampling_keeps_duration_and_pitch() -> None:
    source = tone(1.0, rate=22050, hz=440.0)
    converted = resample(source, 22050, RATE)
    values = samples(converted).astype(float)
    assert len(values) == RATE
    spectrum = np.abs(np.fft.rfft(values))
    assert np.argmax(spectrum) * RATE / len(values) == pytest.approx(440.0, abs=2.0)


def test_resampling_down_removes_what_the_new_rate_cannot_hold() -> None:
    # 10 kHz is above the 8 kHz Nyquist of 16 kHz audio: without the low-pass it would alias.
    converted = resample(tone(1.0, rate=44100, hz=10000.0), 44100, RATE)
    assert level_dbfs(converted) < level_dbfs(tone(1.0, hz=10000.0)) - 30


def test_wav_at_the_wrong_rate_is_a_clear_error(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", tone(0.5, rate=22050), rate=22050)
    with pytest.raises(AudioFormatError, match=r"22050 Hz but the recogniser expects 16000 Hz"):
        read_wav(path, expected_rate=RATE)
    assert read_wav(path, resample_to=RATE).sample_rate == RATE


@pytest.mark.parametrize(
    ("channels", "width", "message"),
    [(2, 2, "2 channel"), (1, 1, "8-bit")],
)
def test_wav_must_be_16_bit_mono(tmp_path: Path, channels: int, width: int, message: str) -> None:
    path = write_wav(tmp_path / "a.wav", bytes(1600 * channels * width), 8000, channels, width)
    with pytest.raises(AudioFormatError, match=message):
        read_wav(path)


def test_missing_and_malformed_wav_files(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match="does not exist"):
        read_wav(tmp_path / "nope.wav")
    (tmp_path / "text.wav").write_text("not audio")
    with pytest.raises(AudioFormatError, match="not a readable PCM WAV"):
        read_wav(tmp_path / "text.wav")


def test_wav_source_streams_chunks_then_ends(tmp_path: Path) -> None:
    audio = tone(0.35)
    source = WavFileSource(write_wav(tmp_path / "a.wav", audio), chunk_s=0.1)
    chunks = []
    while (chunk := source.read()) is not None:
        chunks.append(chunk)
    assert [len(c) for c in chunks] == [3200, 3200, 3200, 1600]
    assert b"".join(chunks) == audio


def test_no_sound_card_means_a_clear_microphone_error() -> None:
    with pytest.raises(MicrophoneUnavailableError, match=r"^no microphone: "):
        SounddeviceMicrophone(device="no such device here")


# rejection


def test_judging_words() -> None:
    policy = RejectionPolicy(min_confidence=0.6)
    assert judge([], policy).outcome is Outcome.NOTHING_HEARD
    heard = judge([Word("take", 0.9), Word("pills", 0.7)], policy)
    assert (heard.outcome, heard.text, heard.confidence) == (Outcome.HEARD, "take pills", 0.8)
    unsure = judge([Word("take", 0.5), Word("pills", 0.6)], policy)
    assert unsure.outcome is Outcome.REJECTED and "below 0.60" in unsure.reason
    unknown = judge([Word("take", 1.0), Word(UNKNOWN_WORD, 1.0)], policy)
    assert unknown.outcome is Outcome.REJECTED and "[unk]" in unknown.reason


def test_words_outside_the_grammar_are_rejected() -> None:
    policy = RejectionPolicy(min_confidence=0.0, allowed_words=frozenset({"yes", "no"}))
    assert judge([Word("yes", 0.9)], policy).heard
    stranger = judge([Word("yes", 0.9), Word("the", 0.9)], policy)
    assert stranger.outcome is Outcome.REJECTED and "'the'" in stranger.reason


# grammars


def test_grammar_keeps_whole_phrases_and_reports_missing_words() -> None:
    vocabulary = {"i", "took", "my", "pills", "yes", "no", "the", "a"}
    grammar = build_grammar(
        ["I took my pills", "  Yes ", "no", "yes", "I took my tablets", ""],
        vocabulary.__contains__,
        garbage_words=["the", "a", "yes", "zebra"],
    )
    assert grammar.phrases == ("i took my pills", "yes", "no")
    assert grammar.missing_words == ("tablets",)
    assert grammar.dropped_phrases == ("i took my tablets",)
    assert grammar.garbage_words == ("the", "a")  # grammar words and unknown words left out
    assert not grammar.with_unknown
    assert grammar.decoder_phrases() == ["i took my pills", "yes", "no", "the", "a"]
    assert grammar.words == {"i", "took", "my", "pills", "yes", "no"}


def test_unknown_word_only_when_the_vocabulary_has_it() -> None:
    grammar = build_grammar(["да"], {"да", UNKNOWN_WORD}.__contains__)
    assert grammar.with_unknown and grammar.decoder_phrases() == ["да", UNKNOWN_WORD]


def test_phrases_are_normalised_to_lower_case_single_spaces() -> None:
    assert normalise_phrase("  Я  ПРИНЯЛ\tтаблетку ") == "я принял таблетку"


# the listening loop


def test_listener_gives_partials_then_one_final_per_utterance() -> None:
    recognizer = ScriptedRecognizer([[Word("hello", 0.9)], [Word("again", 0.2)]])
    listener = Listener(recognizer)
    events = []
    audio = silence(0.5) + tone(1.5) + silence(1.5) + tone(0.5) + silence(1.5)
    for i in range(0, len(audio), 3200):
        events.extend(listener.process(audio[i : i + 3200]))
    partials = [e.text for e in events if isinstance(e, PartialText)]
    finals = [e for e in events if isinstance(e, FinalResult)]
    assert partials == ["hel", "hello", "hel", "hello"]  # only when the text changes
    assert [f.recognition.outcome for f in finals] == [Outcome.HEARD, Outcome.REJECTED]
    assert finals[0].recognition.text == "hello" and finals[0].ended is EndReason.PAUSE
    assert finals[0].audio_s == pytest.approx(0.3 + 1.5 + 1.2, abs=0.1)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["PartialText", "PartialText", "FinalResult"] * 2  # partials come first


def test_muted_listener_ignores_audio_and_drops_the_utterance_in_progress() -> None:
    recognizer = ScriptedRecognizer([[Word("me", 0.9)], [Word("resident", 0.9)]])
    listener = Listener(recognizer)
    listener.process(silence(0.5) + tone(0.5))
    assert listener.vad.in_speech
    listener.mute()
    assert listener.process(tone(1.0) + silence(2.0)) == []
    assert recognizer.resets == 1 and not listener.vad.in_speech
    listener.unmute()
    events = listener.process(tone(0.5) + silence(1.5))
    [final] = [e for e in events if isinstance(e, FinalResult)]
    assert final.recognition.text == "me"  # the first scripted result: nothing was finished


def test_transcribing_silence_hears_nothing(tmp_path: Path) -> None:
    source = WavFileSource(write_wav(tmp_path / "quiet.wav", silence(3)))
    assert transcribe(source, ScriptedRecognizer([[Word("x", 1.0)]])) == []


def test_source_and_recogniser_rates_must_agree(tmp_path: Path) -> None:
    source = WavFileSource(write_wav(tmp_path / "a.wav", silence(1, 8000), 8000))
    with pytest.raises(AudioFormatError, match="8000 Hz but the recogniser was built for 16000"):
        transcribe(source, ScriptedRecognizer([]))
    with pytest.raises(AudioFormatError, match="8000 Hz"):
        ListeningThread(source, Listener(ScriptedRecognizer([])))


def test_listening_thread_queues_events_and_reports_failures(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", silence(0.5) + tone(1.0) + silence(1.5))
    thread = ListeningThread(WavFileSource(path), Listener(ScriptedRecognizer([[Word("hi", 0.9)]])))
    thread.start()
    wait_until(thread.finished.is_set, 10, "the listener to read the whole file")
    events = thread.drain()
    assert isinstance(events[-1], FinalResult) and events[-1].recognition.text == "hi"

    class Broken(ScriptedRecognizer):
        def accept(self, pcm: bytes) -> None:
            raise AudioFormatError("bad chunk")

    failing = ListeningThread(WavFileSource(path), Listener(Broken([])))
    failing.start()
    wait_until(failing.finished.is_set, 10, "the failing listener to stop")
    assert failing.drain() == [ListenerFailed("AudioFormatError: bad chunk")]
