"""The asr node's wiring: listener events to /speech/heard, and half-duplex muting.

The recogniser and the microphone are in-memory stand-ins here (vosk itself is
tested in tests/integration/test_vosk_*.py).
"""

from __future__ import annotations

import logging
import queue
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from homecare.clock import ManualClock
from robot.nodes import asr_node
from robot.nodes.asr_node import AsrNode, grammar_phrases
from robot.runtime import EVENTS, LocalRuntime
from robot.runtime.local import LocalNode, LocalPublisher
from robot.runtime.stamps import header
from speech.asr.errors import ModelNotFoundError
from speech.asr.grammar import Grammar, build_grammar
from speech.asr.pcm import to_pcm
from speech.asr.recognizer import Recognition, RejectionPolicy, Word, judge
from tests.support import wait_until

RATE = 16000


def tone(seconds: float) -> bytes:
    t = np.arange(round(seconds * RATE)) / RATE
    return to_pcm(0.3 * np.sin(2 * np.pi * 440 * t))


def silence(seconds: float) -> bytes:
    return bytes(2 * round(seconds * RATE))


class QueueMicrophone:
    """A microphone the test speaks into; counts reads to know when a chunk was handled."""

    sample_rate = RATE

    def __init__(self) -> None:
        self.chunks: queue.Queue[bytes | None] = queue.Queue()
        self.reads = 0
        self.given = 0

    def read(self) -> bytes | None:
        self.reads += 1
        return self.chunks.get()

    def close(self) -> None:
        self.chunks.put(None)

    def say(self, pcm: bytes) -> None:
        for i in range(0, len(pcm), 3200):
            self.chunks.put(pcm[i : i + 3200])
            self.given += 1
        # Blocked in its next read: everything given so far has been processed.
        wait_until(lambda: self.reads > self.given, 10, "the listener to take the audio")


class ScriptedRecognizer:
    def __init__(self, finals: list[list[Word]], min_confidence: float) -> None:
        self.sample_rate = RATE
        self.finals = finals
        self.policy = RejectionPolicy(min_confidence=min_confidence)

    def accept(self, pcm: bytes) -> None:
        pass

    def partial(self) -> str:
        return self.finals[0][0].text if self.finals and self.finals[0] else ""

    def finish(self) -> Recognition:
        return judge(self.finals.pop(0) if self.finals else [], self.policy)

    def reset(self) -> None:
        pass


@dataclass
class FakeModel:
    finals: list[list[Word]]
    path: Path = Path("/models/fake")

    def grammar(self, phrases: list[str], garbage: Any = ()) -> Grammar:
        return build_grammar(phrases, lambda word: True)

    def recognizer(self, rate: int, grammar: Any, min_confidence: float) -> ScriptedRecognizer:
        return ScriptedRecognizer(self.finals, min_confidence)


@dataclass
class Robot:
    rt: LocalRuntime
    clock: ManualClock
    node: AsrNode
    microphone: QueueMicrophone
    probe: LocalNode
    say_requests: LocalPublisher
    spoken: LocalPublisher
    heard: list[Any] = field(default_factory=list)

    def speak_and_settle(self, pcm: bytes) -> None:
        self.microphone.say(pcm)
        self.rt.run_for(0.2)

    def robot_says(self, utterance_id: str) -> None:
        types = self.probe.types
        self.say_requests.publish(
            types.SayRequest(header=header(self.probe), text="hello", lang="en",
                             utterance_id=utterance_id)
        )  # fmt: skip
        self.rt.run_until_idle()

    def robot_finished(self, utterance_id: str) -> None:
        types = self.probe.types
        self.spoken.publish(types.SayDone(header=header(self.probe), utterance_id=utterance_id))
        self.rt.run_until_idle()


@pytest.fixture
def robot(monkeypatch: pytest.MonkeyPatch) -> Iterator[Robot]:
    microphone = QueueMicrophone()
    finals = [[Word("i", 0.9), Word("took", 0.9)], [Word("mumble", 0.2)], [Word("yes", 0.9)]]
    monkeypatch.setattr(asr_node, "VoskModel", lambda path, hint="": FakeModel(finals))
    monkeypatch.setattr(AsrNode, "_open_source", lambda self, params: microphone)
    clock = ManualClock()
    rt = LocalRuntime(clock=clock)
    node = rt.add_node("asr", AsrNode, {"lang": "en", "model_path": "/models/fake"})
    assert isinstance(node, AsrNode)
    probe = rt.node("probe")
    robot = Robot(
        rt, clock, node, microphone, probe,
        say_requests=probe.publisher("/speech/say", probe.types.SayRequest, EVENTS),
        spoken=probe.publisher("/speech/spoken", probe.types.SayDone, EVENTS),
    )  # fmt: skip
    probe.subscribe("/speech/heard", probe.types.Utterance, robot.heard.append, EVENTS)
    yield robot
    node.close()
    assert rt.callback_errors == {}


def test_partials_then_a_final_reach_speech_heard(robot: Robot) -> None:
    robot.speak_and_settle(silence(0.5) + tone(1.0) + silence(1.5))
    partials = [u for u in robot.heard if not u.is_final]
    [final] = [u for u in robot.heard if u.is_final]
    assert partials and all(u.text == "i" and u.lang == "en" for u in partials)
    assert (final.text, final.lang, final.confidence) == ("i took", "en", pytest.approx(0.9))
    assert robot.heard[-1] is final


def test_rejected_speech_is_logged_not_published(
    robot: Robot, caplog: pytest.LogCaptureFixture
) -> None:
    robot.speak_and_settle(silence(0.5) + tone(1.0) + silence(1.5))
    robot.heard.clear()
    with caplog.at_level(logging.INFO):
        robot.speak_and_settle(tone(1.0) + silence(1.5))
    assert [u for u in robot.heard if u.is_final] == []
    [line] = [r.getMessage() for r in caplog.records if "asr not published" in r.getMessage()]
    assert "outcome=rejected" in line and "mumble" not in line  # never what was said


def test_the_robot_does_not_hear_itself(robot: Robot) -> None:
    robot.robot_says("u-1")
    robot.speak_and_settle(silence(0.5) + tone(1.0) + silence(1.5))  # its own voice
    assert robot.heard == []
    robot.robot_finished("u-1")
    robot.speak_and_settle(tone(0.5))  # echo tail within echo_guard_s: still ignored
    assert robot.heard == []
    robot.rt.run_for(0.5)
    robot.speak_and_settle(silence(1.0) + tone(1.0) + silence(1.5))
    assert [u.text for u in robot.heard if u.is_final] == ["i took"]


def test_listening_resumes_if_speech_spoken_never_comes(robot: Robot) -> None:
    robot.robot_says("lost")
    robot.rt.run_for(59)
    robot.speak_and_settle(silence(0.5) + tone(1.0) + silence(1.5))
    assert robot.heard == []
    robot.rt.run_for(2)
    robot.speak_and_settle(silence(1.0) + tone(1.0) + silence(1.5))
    assert [u.text for u in robot.heard if u.is_final] == ["i took"]


def test_without_a_model_the_node_idles_or_fails_as_asked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = str(tmp_path / "no-model")
    wav = tmp_path / "quiet.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(silence(1.0))
    params = {"lang": "ru", "model_path": missing, "source": str(wav)}
    rt = LocalRuntime(clock=ManualClock())
    with caplog.at_level(logging.WARNING):
        node = rt.add_node("asr", AsrNode, params)
    assert isinstance(node, AsrNode) and node.listening is None
    assert any(f"no vosk model at {missing}" in r.getMessage() for r in caplog.records)
    rt.run_for(1)
    assert rt.callback_errors == {}

    with pytest.raises(ModelNotFoundError, match=f"^no vosk model at {missing}: "):
        LocalRuntime(clock=ManualClock()).add_node(
            "asr", AsrNode, {**params, "require_audio": True}
        )


def test_grammar_file_lines_are_the_phrases(tmp_path: Path) -> None:
    path = tmp_path / "grammar.txt"
    path.write_text("# yes and no\nда\n\n  нет  \n", encoding="utf-8")
    assert grammar_phrases("ru", str(path)) == ["да", "нет"]
    with pytest.raises(Exception, match="grammar_file"):
        grammar_phrases("ru", str(tmp_path / "missing.txt"))
