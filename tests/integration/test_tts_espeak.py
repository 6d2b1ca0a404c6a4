"""Real speech: pyttsx3 driving espeak-ng in its own process, aplay for the sound.

Run as a module (`python -m tests.integration.test_tts_espeak FD`) this file
is also a speech engine that hangs on one text, as pyttsx3's runAndWait can.
"""

from __future__ import annotations

import array
import ctypes.util
import math
import os
import signal
import sys
import threading
import wave
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from homecare.clock import SystemClock
from speech.tts import (
    AudioOutputError,
    EspeakSpeaker,
    OutputMode,
    OutputPathError,
    Priority,
    SpeechQueue,
    SpeechRequest,
    Status,
    SynthesisTimeoutError,
    SynthesisUnavailableError,
    VoiceProfile,
)
from speech.tts.aplay import AplayPlayer
from speech.tts.engine_process import serve
from speech.tts.latency import FirstAudioProbe
from speech.tts.memory_speaker import MemorySpeaker
from speech.tts.port import Speaker
from speech.tts.voice import Voice
from speech.tts.worker import SynthesisWorker
from tests.support import wait_until

REPOSITORY = Path(__file__).resolve().parents[2]
HANG_TEXT = "hang here"
RU_TEXT = "Пора принять таблетку от давления."
NO_SUCH_DEVICE = "homecare_no_such_device"

pytestmark = pytest.mark.integration


def require_espeak() -> None:
    if ctypes.util.find_library("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    pytest.importorskip("pyttsx3", reason="pyttsx3 is not installed (pip install homecare[speech])")


@pytest.fixture(scope="module")
def worker() -> Iterator[SynthesisWorker]:
    require_espeak()
    synthesis = SynthesisWorker()
    yield synthesis
    synthesis.close()


def samples(path: Path) -> array.array[int]:
    with wave.open(str(path), "rb") as audio:
        data = array.array("h", audio.readframes(audio.getnframes()))
    if sys.byteorder == "big":
        data.byteswap()
    return data


def rms(path: Path) -> float:
    data = samples(path)
    return math.sqrt(sum(s * s for s in data) / len(data))


def voice(lang: str = "ru", rate: int = 150, volume: float = 0.9) -> Voice:
    return VoiceProfile(rate, volume).voice(lang)


@pytest.mark.parametrize(
    ("lang", "text"), [("ru", RU_TEXT), ("en", "Time to take your blood pressure pill.")]
)
def test_speech_is_a_16_bit_riff_wav_of_real_length(
    worker: SynthesisWorker, tmp_path: Path, lang: str, text: str
) -> None:
    path = tmp_path / f"{lang}.wav"
    info = worker.synthesize(text, voice(lang), path)
    header = path.read_bytes()[:12]
    assert header[:4] == b"RIFF" and header[8:12] == b"WAVE"
    assert (info.sample_width_bytes, info.channels) == (2, 1) and info.sample_rate >= 16000
    assert 1.0 < info.duration_s < 6.0
    assert rms(path) > 300  # speech, not silence
    assert not list(tmp_path.glob("*.part"))


def test_russian_at_100_wpm_lasts_longer_than_at_200(
    worker: SynthesisWorker, tmp_path: Path
) -> None:
    slow = worker.synthesize(RU_TEXT, voice(rate=100), tmp_path / "slow.wav")
    fast = worker.synthesize(RU_TEXT, voice(rate=200), tmp_path / "fast.wav")
    assert slow.duration_s > fast.duration_s * 1.3


def test_volume_changes_the_loudness(worker: SynthesisWorker, tmp_path: Path) -> None:
    worker.synthesize(RU_TEXT, voice(volume=0.3), tmp_path / "quiet.wav")
    worker.synthesize(RU_TEXT, voice(volume=1.0), tmp_path / "loud.wav")
    assert rms(tmp_path / "loud.wav") > rms(tmp_path / "quiet.wav") * 2


def test_a_hung_engine_times_out_clearly_and_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_espeak()
    monkeypatch.chdir(REPOSITORY)  # `python -m tests....` is found from the repository root
    hanging = SynthesisWorker(timeout_s=2.0, engine_module="tests.integration.test_tts_espeak")
    try:
        hanging.synthesize(RU_TEXT, voice(), tmp_path / "before.wav")
        first_engine = hanging.pid
        with pytest.raises(SynthesisTimeoutError, match=r"did not finish within 2 s; the speech"):
            hanging.synthesize(HANG_TEXT, voice("en"), tmp_path / "hung.wav")
        assert hanging.restarts == 1
        info = hanging.synthesize(RU_TEXT, voice(), tmp_path / "after.wav")
        assert info.duration_s > 1.0 and hanging.pid not in (None, first_engine)
    finally:
        hanging.close()


def test_an_engine_that_died_is_restarted_on_the_next_request(tmp_path: Path) -> None:
    require_espeak()
    synthesis = SynthesisWorker()
    try:
        synthesis.start()
        assert synthesis.pid is not None
        os.kill(synthesis.pid, signal.SIGKILL)
        info = synthesis.synthesize(RU_TEXT, voice(), tmp_path / "after.wav")
        assert info.duration_s > 1.0 and synthesis.restarts == 1
    finally:
        synthesis.close()


def test_an_engine_that_cannot_start_is_reported(tmp_path: Path) -> None:
    broken = SynthesisWorker(engine_module="speech.tts.no_such_engine")
    with pytest.raises(SynthesisUnavailableError, match="the speech engine stopped while starting"):
        broken.synthesize(RU_TEXT, voice(), tmp_path / "a.wav")
    broken.close()


# The Speaker contract: the real adapter and the in-memory one behave alike.


@pytest.fixture(params=["espeak", "memory"])
def speaker(request: pytest.FixtureRequest) -> Iterator[Speaker]:
    if request.param == "espeak":
        require_espeak()
        real = EspeakSpeaker(player=AplayPlayer(device="null"))  # ALSA's null device
        yield real
        real.close()
    else:
        yield MemorySpeaker()


def test_speaker_contract_writes_a_wav_and_plays_it(speaker: Speaker, tmp_path: Path) -> None:
    speaker.warm_up()
    info = speaker.synthesize(RU_TEXT, voice(), tmp_path / "contract.wav")
    assert (tmp_path / "contract.wav").read_bytes()[:4] == b"RIFF" and info.duration_s > 0.5
    playback = speaker.play(tmp_path / "contract.wav")
    assert playback.wait(30.0)
    playback.check()
    playback.stop()  # stopping a finished playback is harmless
    playback.check()


def test_real_speaker_refuses_a_path_it_cannot_write(tmp_path: Path) -> None:
    require_espeak()
    speaker = EspeakSpeaker()
    try:
        with pytest.raises(OutputPathError, match="is a directory"):
            speaker.synthesize(RU_TEXT, voice(), tmp_path)
        with pytest.raises(OutputPathError, match=r"folder .* does not exist"):
            speaker.synthesize(RU_TEXT, voice(), tmp_path / "missing" / "a.wav")
        with pytest.raises(OutputPathError, match=r"cannot write /proc/speech\.wav"):
            speaker.synthesize(RU_TEXT, voice(), Path("/proc/speech.wav"))
    finally:
        speaker.close()


def test_playback_without_a_device_fails_with_aplay_s_reason(tmp_path: Path) -> None:
    require_espeak()
    speaker = EspeakSpeaker(player=AplayPlayer(device=NO_SUCH_DEVICE))
    try:
        speaker.synthesize(RU_TEXT, voice(), tmp_path / "a.wav")
    finally:
        speaker.close()
    playback = speaker.play(tmp_path / "a.wav")
    assert playback.wait(30.0)
    with pytest.raises(AudioOutputError, match=r"^no audio output device: aplay said: .*open"):
        playback.check()


def test_missing_player_program_is_named(tmp_path: Path) -> None:
    with pytest.raises(AudioOutputError, match="no-such-player is not installed"):
        AplayPlayer(program="no-such-player").play(tmp_path / "a.wav")


def test_time_to_first_audio_is_measured(tmp_path: Path) -> None:
    require_espeak()
    with FirstAudioProbe(tmp_path) as probe:
        seconds = [probe.first_audio(text, lang) for text, lang in
                   [("Сейчас десять часов.", "ru"), ("It is ten o'clock.", "en")]]  # fmt: skip
    assert all(0.0 < s < 30.0 for s in seconds)
    assert len(list(tmp_path.glob("*.wav"))) == 4  # two warm-ups and two timed replies


def test_urgent_request_kills_a_real_playback_process(tmp_path: Path) -> None:
    require_espeak()
    # A player that "plays" for 30 s and notes each start: aplay's place, without a sound card.
    player = tmp_path / "slow-player"
    player.write_text(f'#!/bin/sh\necho started >> "{tmp_path}/starts"\nexec sleep 30\n')
    player.chmod(0o755)
    starts = tmp_path / "starts"

    def started() -> int:
        return len(starts.read_text().splitlines()) if starts.exists() else 0

    speaker = EspeakSpeaker(player=AplayPlayer(program=str(player)))
    queue = SpeechQueue(speaker, SystemClock(), VoiceProfile, output=OutputMode.SPEAKER)
    try:
        queue.submit(SpeechRequest("chat", "Какая хорошая погода.", "ru", Priority.CHAT))
        wait_until(lambda: started() == 1, 30, "the chat playing")
        queue.submit(SpeechRequest("check", "Вам нужна помощь?", "ru", Priority.URGENT))
        done = queue.wait_for("chat", 10.0)
        assert done is not None and done.status is Status.INTERRUPTED
        wait_until(lambda: started() == 2, 30, "the urgent question playing")
    finally:
        queue.close()  # stops the urgent one's 30 s "playback" too


class _HangsOnOneText:
    """The engine's connection, except that one text never comes back (a hung runAndWait)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def recv(self) -> Any:
        job = self.connection.recv()
        if job is not None and job[1] == HANG_TEXT:
            threading.Event().wait()
        return job

    def send(self, message: Any) -> None:
        self.connection.send(message)


if __name__ == "__main__":
    serve(_HangsOnOneText(Connection(int(sys.argv[1]))))  # type: ignore[arg-type]
