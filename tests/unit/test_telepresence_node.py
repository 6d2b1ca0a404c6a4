"""The telepresence node with a real aiortc specialist peer on loopback (real time).

The specialist is `telepresence.loopback.SpecialistPeer` on its own thread and
event loop, standing in for the browser; signalling goes through the node's
topics exactly as fleet_link would carry it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import wave
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

from fleet import protocol
from homecare.clock import ManualClock, SystemClock
from homecare.errors import ConfigError
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from robot.local_launch import robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.nodes.telepresence_node import TelepresenceNode, parse_slots
from robot.runtime import EVENTS, LATCHED, SENSOR_DATA, LocalRuntime
from robot.runtime.local import LocalNode, LocalPublisher
from robot.runtime.stamps import header
from robot.vision.frames import array_to_image_fields
from speech.dialog import DialogManager, DialogParams, PublishIntent
from speech.dialog import Say as DialogSay
from speech.nlu import IntentParser, examples
from telepresence.devices import (
    AplaySink,
    ArecordSource,
    check_microphone_setting,
    check_speaker_setting,
    open_microphone,
    open_speaker,
)
from telepresence.errors import MediaError
from telepresence.loopback import SpecialistPeer
from telepresence.media import CountingAudioSink, CountingVideoSink, SilenceSource, WavFileSource
from telepresence.peer import CallState
from telepresence.sdp import check_sdp
from tests.support import wait_until

CID = "42"
T = TypeVar("T")
# The resident's camera: a plain colour the specialist can recognise (BGR, as OpenCV has it).
CAMERA_BGR = (40, 60, 200)  # red-ish in RGB: (200, 60, 40)


class Specialist:
    """A `SpecialistPeer` on its own thread and event loop (the browser's stand-in)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.video = CountingVideoSink()
        self.audio = CountingAudioSink()
        self.peer = self.run(self._make())

    async def _make(self) -> SpecialistPeer:
        return SpecialistPeer(SystemClock(), self.video, audio_sink=self.audio)

    def run(self, work: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def answer(self, offer: str) -> str:
        return self.run(self.peer.answer(offer))

    def close(self) -> None:
        self.run(self.peer.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@dataclass
class Home:
    rt: LocalRuntime
    node: TelepresenceNode
    probe: LocalNode
    signal_in: LocalPublisher
    intents: LocalPublisher
    camera: LocalPublisher
    out: list[protocol.CallSignal] = field(default_factory=list)
    said: list[Any] = field(default_factory=list)
    shared: list[bool] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    camera_on: bool = True

    @property
    def types(self) -> Any:
        return self.probe.types

    def send(self, type_: str, cid: str = CID, **fields: Any) -> None:
        signal = protocol.CallSignal.model_validate(
            {"ts": 1.7e9, "consultation_id": cid, "type": type_, **fields}
        )
        self.signal_in.publish(
            self.types.CallSignal(
                header=header(self.probe), consultation_id=cid, type=type_,
                json=signal.model_dump_json(),
            )
        )  # fmt: skip

    def ring(self, cid: str = CID) -> None:
        self.send(
            "ring", cid, caller_name="Анна Петрова", caller_role="социальный работник",
            lang="ru", connect_deadline_s=20.0,
        )  # fmt: skip

    def intent(self, name: str, slots: dict[str, object] | None = None) -> None:
        self.intents.publish(
            self.types.Intent(
                header=header(self.probe), name=name, slots_json=json.dumps(slots or {}),
                text=name, lang="ru", confidence=0.95,
            )
        )  # fmt: skip

    def push_frame(self) -> None:
        if self.camera_on:
            picture = np.full((120, 160, 3), CAMERA_BGR, dtype=np.uint8)
            fields = array_to_image_fields(picture, "rgb8")
            image_type = self.types.get("sensor_msgs/msg/Image")
            self.camera.publish(image_type(header=header(self.probe), **fields))

    def until(self, condition: Any, what: str, timeout: float = 20.0) -> None:
        if not self.rt.run_until(condition, timeout=timeout):
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        self.rt.run_until_idle()  # deliver what was published with it

    def types_out(self) -> list[str]:
        return [s.type for s in self.out]

    def last(self, type_: str) -> protocol.CallSignal:
        return [s for s in self.out if s.type == type_][-1]


@pytest.fixture
def home(request: pytest.FixtureRequest) -> Iterator[Home]:
    overrides = {"telepresence": getattr(request, "param", {})}
    rt = robot_runtime(SystemClock(), PACKAGED_ROBOT_PARAMETERS, "ru", overrides=overrides)
    start_nodes(rt, {"telepresence": ROBOT_NODES["telepresence"]})
    node = rt.instances["telepresence"]
    assert isinstance(node, TelepresenceNode)
    probe = rt.node("probe")
    types = probe.types
    home = Home(
        rt,
        node,
        probe,
        signal_in=probe.publisher("/telepresence/signal_in", types.CallSignal, EVENTS),
        intents=probe.publisher("/dialog/intent", types.Intent, EVENTS),
        camera=probe.publisher(
            "/camera/image_raw", types.get("sensor_msgs/msg/Image"), SENSOR_DATA
        ),
    )
    probe.subscribe(
        "/telepresence/signal_out",
        types.CallSignal,
        lambda m: home.out.append(protocol.decode(protocol.CallSignal, m.json)),
        EVENTS,
    )
    probe.subscribe("/speech/say", types.SayRequest, home.said.append, EVENTS)
    probe.subscribe("/fleet/event", types.FleetEvent, home.events.append, EVENTS)
    probe.subscribe(
        "/telepresence/camera_shared",
        types.get("std_msgs/msg/Bool"),
        lambda m: home.shared.append(bool(m.data)),
        LATCHED,
    )
    probe.timer(1 / 15, home.push_frame)  # the camera runs all the time
    try:
        yield home
    finally:
        node.close()
    assert rt.callback_errors == {}


@pytest.fixture
def specialist() -> Iterator[Specialist]:
    far_side = Specialist()
    yield far_side
    far_side.close()


def accept(home: Home) -> str:
    """Ring, say yes; returns the robot's offer."""
    home.ring()
    home.until(lambda: home.said, "the question")
    home.intent("yes")
    home.until(lambda: "state" in home.types_out(), "the offer and state connecting")
    return home.last("offer").sdp


def test_a_whole_call_with_consent_video_both_ways_and_hang_up_by_voice(
    home: Home, specialist: Specialist
) -> None:
    home.rt.run_for(0.5)
    assert home.node.frames_pushed == 0 and home.shared == [False]
    home.ring()
    home.until(lambda: home.said, "the question")
    [question] = home.said
    assert question.text == (
        "Анна Петрова, социальный работник, звонит вам по видеосвязи. Принять звонок?"
    )
    assert question.expects_answer and question.lang == "ru"
    home.intent("status.ok")  # "I'm fine" is not a yes
    home.rt.run_for(0.5)
    assert home.out == [] and home.node.peer is None and home.node.frames_pushed == 0

    home.intent("yes")
    home.until(lambda: "state" in home.types_out(), "the offer")
    assert home.types_out() == ["accepted", "offer", "state"]
    assert home.last("state").state == "connecting"
    offer = home.last("offer").sdp
    assert check_sdp(offer, "offer").first("video") is not None
    assert home.node.peer is not None

    home.send("answer", sdp=specialist.answer(offer))
    home.until(lambda: home.last("state").state == "connected", "state connected")
    assert home.shared[-1] is True
    assert "Камера включена" in home.said[-1].text
    home.until(lambda: specialist.video.frames >= 10, "the specialist to see the resident")
    home.until(lambda: home.node.remote_video_frames >= 10, "the robot to see the specialist")
    seen = specialist.video.last_frame
    assert seen is not None
    red, green, blue = (float(seen[:, :, i].mean()) for i in range(3))
    assert red > 150 and green < 110 and blue < 90, (red, green, blue)  # the camera's picture
    assert home.node.frames_pushed > 0

    peer = home.node.peer
    home.intent("call.end")
    home.until(lambda: "hangup" in home.types_out(), "the hangup")
    assert home.last("hangup").reason == "the resident ended the call"
    assert home.shared[-1] is False
    assert home.said[-1].text == "Звонок завершён, камера выключена."
    assert home.node.peer is None
    home.until(lambda: peer.state is CallState.CLOSED, "the peer to close")
    specialist.run(specialist.peer.closed.wait())  # the far side saw it end

    pushed = home.node.frames_pushed
    home.rt.run_for(0.5)
    assert home.node.frames_pushed == pushed  # no frame after the call

    home.ring("43")  # ready for the next call
    home.until(lambda: len(home.said) == 4, "the next question")
    assert home.said[-1].expects_answer


@pytest.mark.parametrize(
    "home", [{"microphone": "alsa:null", "speaker": "alsa:null"}], indirect=True
)
def test_the_microphone_and_speaker_are_open_only_during_the_call(
    home: Home, specialist: Specialist
) -> None:
    _needs_alsa_tools()
    home.send("answer", sdp=specialist.answer(accept(home)))
    home.until(lambda: home.last("state").state == "connected", "state connected")
    call = home.node._call
    assert call is not None
    microphone, speaker = call.audio_source, call.audio_sink
    assert isinstance(microphone, ArecordSource) and isinstance(speaker, AplaySink)
    home.until(lambda: specialist.audio.frames >= 20, "the specialist to hear the robot")
    home.until(lambda: microphone.bytes_captured > 0, "arecord to capture")
    home.until(lambda: speaker.frames >= 20, "the robot to play the specialist's sound")
    home.intent("call.end")
    home.until(lambda: "hangup" in home.types_out(), "the hangup")
    home.until(lambda: microphone._reader is None, "the microphone to close")
    captured = microphone.bytes_captured
    home.rt.run_for(0.3)
    assert microphone.bytes_captured == captured and microphone.failed is None


def test_no_declines_without_a_peer_or_a_single_frame(home: Home) -> None:
    home.ring()
    home.until(lambda: home.said, "the question")
    home.rt.run_for(0.3)
    home.intent("no")
    home.until(lambda: home.out, "the answer to the fleet")
    assert home.types_out() == ["declined"]
    assert home.out[0].reason == "the resident said no"
    home.rt.run_for(0.5)
    assert home.node.peer is None and home.node.frames_pushed == 0
    assert not home.node.media.running  # aiortc was never even started
    assert home.shared == [False]
    home.ring("43")
    home.until(lambda: len(home.said) == 3, "the next question")


def test_a_malformed_answer_is_refused_and_a_good_one_still_connects(
    home: Home, specialist: Specialist
) -> None:
    offer = accept(home)
    home.send("answer", sdp="v=0\r\nthis is not an answer")
    home.until(lambda: "error" in home.types_out(), "the error signal")
    assert "answer" in home.last("error").reason
    home.send("answer", sdp=specialist.answer(offer))
    home.until(lambda: home.last("state").state == "connected", "state connected")
    assert home.shared[-1] is True


def test_the_specialist_hangs_up(home: Home, specialist: Specialist) -> None:
    home.send("answer", sdp=specialist.answer(accept(home)))
    home.until(lambda: home.last("state").state == "connected", "state connected")
    peer = home.node.peer
    home.send("hangup", reason="the specialist hung up")
    home.until(lambda: home.shared[-1] is False, "the camera indicator off")
    assert home.node.peer is None and "hangup" not in home.types_out()
    home.until(lambda: peer is not None and peer.state is CallState.CLOSED, "the peer to close")
    specialist.run(specialist.peer.closed.wait())


def test_the_link_lost_brings_a_new_offer(home: Home, specialist: Specialist) -> None:
    home.send("answer", sdp=specialist.answer(accept(home)))
    home.until(lambda: home.last("state").state == "connected", "state connected")
    specialist.run(specialist.peer.close())  # the browser vanished
    home.until(lambda: home.last("state").state == "reconnecting", "state reconnecting", 40)
    home.until(lambda: home.types_out().count("offer") == 2, "a new offer")
    second = Specialist()
    try:
        home.send("answer", sdp=second.answer(home.last("offer").sdp))
        home.until(lambda: home.last("state").state == "connected", "connected again")
        home.until(lambda: second.video.frames >= 5, "video again")
    finally:
        second.close()


def test_signals_for_another_consultation_and_garbage_are_ignored(home: Home) -> None:
    home.ring()
    home.until(lambda: home.said, "the question")
    home.send("hangup", cid="99")
    home.signal_in.publish(
        home.types.CallSignal(
            header=header(home.probe), consultation_id=CID, type="ring", json="{not json"
        )
    )
    home.send("offer", sdp="v=0")  # robot -> fleet only
    home.rt.run_for(0.3)
    assert home.node.bad_signals == 2
    assert home.node.core.state == "asking"


def test_a_ring_with_unusable_ice_servers_is_declined_with_the_reason(home: Home) -> None:
    home.send("ring", caller_name="Анна", ice_servers=[{"urls": ["turn:turn.example.org"]}])
    home.until(lambda: home.out, "the refusal")
    [declined] = home.out
    assert declined.type == "declined" and "needs a username" in declined.reason
    assert home.said == [] and home.node.bad_signals == 1
    home.ring()  # the robot stays ready
    home.until(lambda: home.said, "the question")


def test_call_request_goes_to_the_fleet(home: Home) -> None:
    home.intent("call.request", {"role": "social_worker", "confirmed": True})
    home.until(lambda: home.events, "the fleet event")
    [event] = home.events
    assert event.type == "call.request"
    assert json.loads(event.json) == {"role": "social_worker", "person": "", "lang": "ru"}
    assert home.said[-1].text == "Я передала вашу просьбу. Специалист позвонит вам."


def test_unusable_settings_fail_at_start_up(tmp_path: Path) -> None:
    for bad in ({"microphone": "usb"}, {"speaker": "hdmi"},
                {"microphone": f"wav:{tmp_path / 'missing.wav'}"}):  # fmt: skip
        rt = robot_runtime(
            SystemClock(), PACKAGED_ROBOT_PARAMETERS, "ru", overrides={"telepresence": bad}
        )
        with pytest.raises(ConfigError, match="telepresence"):
            start_nodes(rt, {"telepresence": ROBOT_NODES["telepresence"]})


@pytest.mark.parametrize("slots_json", ["", "{bad", "[1]", "null"])
def test_malformed_slots_are_none(slots_json: str) -> None:
    assert parse_slots(slots_json) == {}


# -- the microphone and speaker adapters (real arecord/aplay on ALSA's null device) ------


def _needs_alsa_tools() -> None:
    if shutil.which("arecord") is None or shutil.which("aplay") is None:
        pytest.skip("alsa-utils (arecord, aplay) is not installed")


def test_arecord_captures_only_between_first_read_and_close() -> None:
    _needs_alsa_tools()
    microphone = open_microphone("alsa:null")
    assert isinstance(microphone, ArecordSource)
    assert microphone.bytes_captured == 0  # not open before the call reads from it
    assert len(microphone.read(960)) == 1920  # the first read starts capture
    wait_until(lambda: microphone.bytes_captured > 0, 10, "arecord to deliver sound")
    assert len(microphone.read(960)) == 1920
    microphone.close()
    captured = microphone.bytes_captured
    assert microphone.failed is None
    assert microphone.read(960) == bytes(1920)  # closed: silence, no new process
    assert microphone.bytes_captured == captured


def test_a_missing_alsa_device_leaves_the_call_silent_with_a_reason() -> None:
    _needs_alsa_tools()
    microphone = ArecordSource("no_such_device_here")
    microphone.read(960)
    wait_until(lambda: microphone.failed is not None, 10, "arecord to fail")
    assert "no_such_device_here" in str(microphone.failed)
    assert microphone.read(960) == bytes(1920)
    microphone.close()
    speaker = AplaySink("no_such_device_here")

    def play_until_it_fails() -> bool:
        # aplay exits at once; a write after that fails, and the sink goes quiet.
        speaker.on_audio(bytes(1920), 48_000, 1)
        return speaker.failed is not None

    wait_until(play_until_it_fails, 10, "aplay to fail")
    assert "aplay" in str(speaker.failed)
    speaker.close()


def test_aplay_plays_and_restarts_when_the_format_changes() -> None:
    _needs_alsa_tools()
    speaker = open_speaker("alsa:null")
    assert isinstance(speaker, AplaySink)
    speaker.on_audio(bytes(1920), 48_000, 1)
    speaker.on_audio(bytes(3840), 48_000, 2)
    assert speaker.frames == 2 and speaker.failed is None
    speaker.close()


@pytest.mark.parametrize(
    ("setting", "message"),
    [("usb", "microphone 'usb' is not one of"), ("wav:", "is not one of"),
     ("alsa:", "is not one of")],
)  # fmt: skip
def test_microphone_settings_are_checked(setting: str, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        check_microphone_setting(setting)


def test_wav_microphone_and_silent_defaults(tmp_path: Path) -> None:
    path = tmp_path / "voice.wav"
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16_000)
        writer.writeframes(b"\x01\x00" * 1600)
    assert isinstance(open_microphone(f"wav:{path}"), WavFileSource)
    assert isinstance(open_microphone("none"), SilenceSource)
    assert isinstance(open_speaker("none"), CountingAudioSink)
    with pytest.raises(MediaError, match="speaker 'hdmi'"):
        check_speaker_setting("hdmi")


# -- the resident's words reach the node: the real parser and the dialog's rules ---------


@pytest.fixture(scope="module")
def parsers() -> dict[str, IntentParser]:
    return {lang: IntentParser(lang) for lang in ("ru", "en")}


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ru", "закончить"),
        ("ru", "закончить звонок"),
        ("ru", "закончи разговор"),
        ("ru", "завершите звонок пожалуйста"),
        ("ru", "положи трубку"),
        ("ru", "отключись"),
        ("ru", "звонок заканчивай"),
        ("en", "end the call"),
        ("en", "stop the call"),
        ("en", "hang up"),
        ("en", "please hang up now"),
        ("en", "I want to end the call"),
    ],
)
def test_ending_phrases_are_call_end(
    parsers: dict[str, IntentParser], lang: str, text: str
) -> None:
    assert parsers[lang].parse(text).name == "call.end"


@pytest.mark.parametrize(
    ("lang", "text", "intent"),
    [("ru", "стоп", "cancel"), ("ru", "позвони соцработнику", "call.request"),
     ("en", "stop", "cancel"), ("en", "hang on a minute", "reminder.snooze"),
     ("en", "call my social worker", "call.request")],
)  # fmt: skip
def test_near_phrases_keep_their_intents(
    parsers: dict[str, IntentParser], lang: str, text: str, intent: str
) -> None:
    assert parsers[lang].parse(text).name == intent


def test_the_dialog_passes_call_end_and_the_confirmed_call_request_on(
    parsers: dict[str, IntentParser],
) -> None:
    dialog = DialogManager(
        DialogParams(), ManualClock(), lambda text, lang: parsers[lang].parse(text), examples
    )
    [ended] = dialog.on_heard("закончить звонок", "ru")
    assert isinstance(ended, PublishIntent) and ended.name == "call.end"
    [question] = dialog.on_heard("позвони соцработнику", "ru")
    assert isinstance(question, DialogSay) and "Скажите: да или нет" in question.text
    [request] = dialog.on_heard("да", "ru")
    assert isinstance(request, PublishIntent) and request.name == "call.request"
    assert request.slots == {"role": "social_worker", "confirmed": True}
