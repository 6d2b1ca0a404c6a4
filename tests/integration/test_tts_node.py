"""The tts node with the real engine (espeak-ng in its own process) on a LocalRuntime."""

from __future__ import annotations

import ctypes.util
import logging
import wave
from pathlib import Path
from typing import Any

import pytest

from homecare.clock import SystemClock
from robot.runtime import EVENTS, LocalRuntime
from robot.runtime.stamps import header

pytestmark = pytest.mark.integration


def run_tts(tmp_path: Path, texts: list[tuple[str, str]], **params: Any) -> list[Any]:
    if ctypes.util.find_library("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    from robot.nodes.tts_node import TtsNode

    rt = LocalRuntime(
        clock=SystemClock(),
        parameters={
            "tts": {
                "wav_dir": str(tmp_path / "speech"),
                "profile_path": str(tmp_path / "voice_profile.json"),
                **params,
            }
        },
    )
    node: Any = rt.add_node("tts", TtsNode)
    probe = rt.node("probe")
    types: Any = probe.types
    spoken: list[Any] = []
    probe.subscribe("/speech/spoken", types.SayDone, spoken.append, EVENTS)
    say = probe.publisher("/speech/say", types.SayRequest, EVENTS)
    try:
        for utterance_id, text in texts:
            say.publish(
                types.SayRequest(
                    header=header(probe), text=text, lang="ru", priority=1,
                    utterance_id=utterance_id,
                )
            )  # fmt: skip
        assert rt.run_until(lambda: len(spoken) == len(texts), timeout=60), "no SayDone"
    finally:
        node.close()
    assert rt.callback_errors == {}
    return spoken


def test_wav_and_speaker_output_writes_real_speech(tmp_path: Path) -> None:
    spoken = run_tts(
        tmp_path,
        [("greeting", "Доброе утро!"), ("pill", "Пора принять таблетку от давления.")],
        output="both",
        audio_device="null",  # ALSA's null device: plays nowhere, but plays
    )
    assert [(s.utterance_id, s.status) for s in spoken] == [("greeting", 0), ("pill", 0)]
    paths = [Path(s.audio_path) for s in spoken]
    assert [p.name for p in paths] == ["0001-greeting.wav", "0002-pill.wav"]
    with wave.open(str(paths[1]), "rb") as audio:
        assert audio.getsampwidth() == 2 and audio.getnframes() / audio.getframerate() > 1.0


def test_speaker_output_without_a_device_reports_failed_and_logs_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="robot.tts"):
        [done] = run_tts(
            tmp_path, [("unheard", "Вам нужна помощь?")], audio_device="homecare_no_such_device"
        )
    assert (done.status, done.audio_path) == (2, "")  # STATUS_FAILED, nothing kept
    [record] = [r for r in caplog.records if "tts failed" in r.getMessage()]
    assert "no audio output device: aplay said:" in record.getMessage()
