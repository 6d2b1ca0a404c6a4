"""Voice-activity detection on synthetic signals: silence, noise, tone bursts with pauses."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from speech.asr.pcm import to_pcm
from speech.asr.vad import EndReason, VadParams, VoiceActivityDetector, segment

RATE = 16000
Signal = npt.NDArray[np.float64]


def silence(seconds: float) -> Signal:
    return np.zeros(round(seconds * RATE))


def tone(seconds: float, amplitude: float = 0.3, hz: float = 440.0) -> Signal:
    t = np.arange(round(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * hz * t)


def noise(seconds: float, amplitude: float = 0.03, seed: int = 1) -> Signal:
    return np.random.default_rng(seed).normal(0.0, amplitude, round(seconds * RATE))


def syllables(seconds: float) -> Signal:
    """Speech-like: 0.2 s of sound, 0.1 s dip, repeated (energy dips between syllables)."""
    one = np.concatenate([tone(0.2), tone(0.1, amplitude=0.003)])
    return np.tile(one, int(seconds / 0.3) + 1)[: round(seconds * RATE)]


def pcm(*parts: Signal) -> bytes:
    return to_pcm(np.concatenate(parts))


def test_silence_and_steady_noise_are_not_speech() -> None:
    assert segment(pcm(silence(5)), RATE) == []
    assert segment(pcm(noise(8)), RATE) == []
    assert segment(pcm(noise(8, amplitude=0.2)), RATE) == []  # loud fan: the floor follows


def test_a_pause_shorter_than_end_of_speech_keeps_one_utterance() -> None:
    # Two words 0.8 s apart: one utterance with the default 1.2 s, two with 0.5 s.
    audio = pcm(silence(1), tone(0.6), silence(0.8), tone(0.6), silence(2))
    [utterance] = segment(audio, RATE)
    assert utterance.ended is EndReason.PAUSE
    assert 0.6 <= utterance.start_s <= 1.0  # starts just before the tone (pre-roll)
    # the audio runs from the onset to 1.2 s after the last tone ends (at 3.0 s)
    assert len(utterance.pcm) / 2 / RATE == pytest.approx(3.0 + 1.2 - utterance.start_s, abs=0.05)

    short = segment(audio, RATE, VadParams(end_of_speech_s=0.5))
    assert [s.ended for s in short] == [EndReason.PAUSE, EndReason.PAUSE]


def test_bursts_after_long_pauses_are_separate_utterances() -> None:
    audio = pcm(silence(0.5), tone(0.5), silence(2), tone(1.0), silence(2), tone(0.3), silence(2))
    segments = segment(audio, RATE)
    assert len(segments) == 3
    starts = [s.start_s for s in segments]
    assert starts == sorted(starts)
    assert starts[1] == pytest.approx(3.0 - 0.3, abs=0.1)  # the pre-roll before the onset


def test_speech_over_background_noise_is_found() -> None:
    background = noise(7, amplitude=0.01)
    speech = np.concatenate([silence(3), tone(1.0), silence(3)])
    [utterance] = segment(to_pcm(background + speech), RATE)
    assert utterance.start_s == pytest.approx(3.0 - 0.3, abs=0.15)


def test_a_click_is_too_short_to_start_an_utterance() -> None:
    assert segment(pcm(silence(1), tone(0.06), silence(2)), RATE) == []


def test_talking_on_is_cut_at_max_utterance_length() -> None:
    params = VadParams(max_utterance_s=4.0)
    segments = segment(pcm(silence(0.5), syllables(10), silence(2)), RATE, params)
    assert [s.ended for s in segments][:2] == [EndReason.MAX_LENGTH, EndReason.MAX_LENGTH]
    assert len(segments[0].pcm) / 2 / RATE == pytest.approx(4.0, abs=0.05)
    assert segments[-1].ended is EndReason.PAUSE


def test_stream_ending_mid_speech_closes_the_utterance() -> None:
    [utterance] = segment(pcm(silence(1), tone(1)), RATE)
    assert utterance.ended is EndReason.STREAM_END


def test_chunks_of_any_size_give_the_same_steps() -> None:
    audio = pcm(silence(1), tone(0.7), silence(1.5))
    whole = VoiceActivityDetector(RATE)
    by_bytes = VoiceActivityDetector(RATE)
    steps_whole = whole.feed(audio)
    steps_chunked = [
        step for i in range(0, len(audio), 1234) for step in by_bytes.feed(audio[i : i + 1234])
    ]
    assert [(s.started, s.ended) for s in steps_whole] == [
        (s.started, s.ended) for s in steps_chunked
    ]
    assert b"".join(s.audio for s in steps_whole) == b"".join(s.audio for s in steps_chunked)


def test_reset_abandons_the_utterance_in_progress() -> None:
    detector = VoiceActivityDetector(RATE)
    steps = detector.feed(pcm(silence(0.5), tone(0.5)))
    assert any(s.started for s in steps) and detector.in_speech
    detector.reset()
    assert not detector.in_speech
    assert detector.finish() is None


@pytest.mark.parametrize("field", ["end_of_speech_s", "max_utterance_s", "frame_s"])
def test_nonpositive_durations_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        VadParams(**{field: 0.0})
