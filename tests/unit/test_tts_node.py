"""The tts node on a LocalRuntime: SayRequest in, SayDone out; "slower"/"louder" persist."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from homecare.clock import ManualClock
from robot.nodes.tts_node import TtsNode, TtsNodeParams, with_data_dir
from robot.runtime import EVENTS, LocalRuntime
from robot.runtime.local import LocalNode
from robot.runtime.stamps import header
from speech.tts.memory_speaker import MemorySpeaker
from tests.support import wait_until


class Robot:
    """The tts node with an in-memory speaker, and a probe standing in for the other nodes."""

    def __init__(self, tmp_path: Path, speaker: MemorySpeaker | None = None, **params: Any) -> None:
        self.speaker = speaker or MemorySpeaker()
        self.rt = LocalRuntime(
            clock=ManualClock(),
            parameters={
                "tts": {
                    "lang": "ru",
                    "output": "both",
                    "wav_dir": str(tmp_path / "speech"),
                    "profile_path": str(tmp_path / "resident" / "voice_profile.json"),
                    **params,
                }
            },
        )
        self.node: TtsNode = self.rt.add_node("tts", lambda rt: TtsNode(rt, self.speaker))  # type: ignore[assignment]
        self.probe: LocalNode = self.rt.node("probe")
        self.types: Any = self.probe.types  # message classes, looked up by name
        types = self.types
        self.say_requests = self.probe.publisher("/speech/say", types.SayRequest, EVENTS)
        self.intents = self.probe.publisher("/dialog/intent", types.Intent, EVENTS)
        self.spoken: list[Any] = []
        self.probe.subscribe("/speech/spoken", types.SayDone, self.spoken.append, EVENTS)

    def say(self, utterance_id: str, text: str, priority: int = 1, lang: str = "ru",
            rate_scale: float = 0.0) -> None:  # fmt: skip
        self.say_requests.publish(
            self.types.SayRequest(
                header=header(self.probe), text=text, lang=lang, priority=priority,
                utterance_id=utterance_id, rate_scale=rate_scale,
            )
        )  # fmt: skip
        self.rt.run_until_idle()

    def intent(self, name: str, lang: str = "ru") -> None:
        self.intents.publish(
            self.types.Intent(
                header=header(self.probe), name=name, slots_json="{}", text="", lang=lang,
                confidence=0.9,
            )
        )  # fmt: skip
        self.rt.run_until_idle()

    def until_spoken(self, count: int) -> list[Any]:
        def enough() -> bool:
            self.rt.run_for(0.05)  # the pump timer publishes what the worker finished
            return len(self.spoken) >= count

        wait_until(enough, 10, f"{count} SayDone messages")
        return self.spoken

    def close(self) -> None:
        self.node.close()
        assert self.rt.callback_errors == {}


def test_say_request_becomes_a_wav_and_a_say_done(tmp_path: Path) -> None:
    robot = Robot(tmp_path)
    robot.say("u-1", "Пора принять таблетку от давления.")
    [done] = robot.until_spoken(1)
    robot.close()
    assert (done.utterance_id, done.status) == ("u-1", done.STATUS_SPOKEN)
    assert done.audio_path == str(tmp_path / "speech" / "0001-u-1.wav")
    assert Path(done.audio_path).read_bytes()[:4] == b"RIFF"
    [(text, voice)] = robot.speaker.synthesized
    assert (text, voice.lang, voice.rate_wpm, voice.volume) == (
        "Пора принять таблетку от давления.", "ru", 150, 0.9
    )  # fmt: skip


def test_urgent_request_interrupts_and_both_are_reported(tmp_path: Path) -> None:
    speaker = MemorySpeaker(hold_playback=True)
    robot = Robot(tmp_path, speaker)
    types = robot.types.SayRequest
    robot.say("chat", "Какая сегодня хорошая погода.", priority=types.PRIORITY_CHAT)
    wait_until(lambda: len(speaker.playing()) == 1, 5, "the chat playing")
    robot.say("check", "Вам нужна помощь?", priority=types.PRIORITY_URGENT)
    robot.until_spoken(1)
    speaker.hold_playback = False
    speaker.finish_playing()
    spoken = robot.until_spoken(2)
    robot.close()
    done = robot.types.SayDone
    assert [(s.utterance_id, s.status) for s in spoken] == [
        ("chat", done.STATUS_INTERRUPTED),
        ("check", done.STATUS_SPOKEN),
    ]


def test_empty_text_fails_with_a_logged_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    robot = Robot(tmp_path)
    with caplog.at_level(logging.WARNING, logger="robot.tts"):
        robot.say("empty", "  ")
        [done] = robot.until_spoken(1)
    robot.close()
    assert (done.status, done.audio_path) == (done.STATUS_FAILED, "")
    [record] = [r for r in caplog.records if "tts failed" in r.getMessage()]
    assert "utterance_id=empty" in record.getMessage()
    assert "nothing to say: the text is empty" in record.getMessage()


def test_very_long_text_is_cut_at_a_sentence(tmp_path: Path) -> None:
    robot = Robot(tmp_path)
    robot.say("long", "Это очень длинное сообщение. " * 100)
    robot.until_spoken(1)
    robot.close()
    [(text, _)] = robot.speaker.synthesized
    assert 900 < len(text) <= 1000 and text.endswith("сообщение.")


def test_slower_and_louder_persist_and_are_confirmed_at_the_new_setting(tmp_path: Path) -> None:
    robot = Robot(tmp_path)
    robot.intent("speak.slower")
    robot.intent("speak.louder", lang="en")
    robot.intent("reminder.ack")  # not for the tts node
    robot.until_spoken(2)
    robot.say("repeat", "Повторяю.", rate_scale=0.8)
    robot.until_spoken(3)
    robot.close()

    said = [(text, voice.rate_wpm, voice.volume) for text, voice in robot.speaker.synthesized]
    assert said == [
        ("Хорошо, буду говорить медленнее.", 135, 0.9),
        ("All right, I will speak louder.", 135, 1.0),
        ("Повторяю.", 108, 1.0),  # a repeat slower is relative to the resident's own rate
    ]
    saved = json.loads((tmp_path / "resident" / "voice_profile.json").read_text())
    assert saved == {"rate_wpm": 135, "volume": 1.0}

    restarted = Robot(tmp_path)  # a new node reads the profile back
    restarted.intent("speak.louder")
    restarted.say("after-restart", "Здравствуйте.")
    restarted.until_spoken(2)
    restarted.close()
    assert [(t, v.rate_wpm, v.volume) for t, v in restarted.speaker.synthesized] == [
        ("Громче уже нельзя: это самая большая громкость.", 135, 1.0),
        ("Здравствуйте.", 135, 1.0),
    ]


def test_unreadable_profile_falls_back_to_defaults_and_is_rewritten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    profile = tmp_path / "resident" / "voice_profile.json"
    profile.parent.mkdir()
    profile.write_text("{broken")
    with caplog.at_level(logging.ERROR, logger="robot.tts"):
        robot = Robot(tmp_path, default_rate_wpm=160)
    assert any("voice profile unreadable" in r.getMessage() for r in caplog.records)
    robot.intent("speak.slower", lang="xx")  # an unknown language: the resident's own is used
    robot.until_spoken(1)
    robot.close()
    assert robot.speaker.synthesized[0][0] == "Хорошо, буду говорить медленнее."
    assert json.loads(profile.read_text()) == {"rate_wpm": 145, "volume": 0.9}


def test_empty_paths_come_from_the_data_dir(tmp_path: Path) -> None:
    params = with_data_dir(TtsNodeParams(), tmp_path)
    assert params.wav_dir == str(tmp_path / "speech")
    assert params.profile_path == str(tmp_path / "resident" / "voice_profile.json")
    assert with_data_dir(TtsNodeParams(wav_dir="/run/x"), tmp_path).wav_dir == "/run/x"


def test_bad_parameters_are_named(tmp_path: Path) -> None:
    from homecare.errors import ConfigError

    with pytest.raises(ConfigError, match="node tts: parameter output='loud'"):
        Robot(tmp_path, output="loud")
