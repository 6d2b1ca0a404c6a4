"""telepresence: video consultations. /telepresence/signal_in, /dialog/intent, /camera/image_raw
-> /telepresence/signal_out, /speech/say, /fleet/event, /telepresence/camera_shared (latched).

Thin wiring of `telepresence.consultation.Consultation` (consent, states, deadlines)
and `telepresence.peer.RobotPeer` (WebRTC with aiortc).

Threads: aiortc runs on a dedicated thread with its own asyncio loop, started at
the first accepted call; the node hands it work with `run_coroutine_threadsafe`.
What the peer reports (states, offers, refused answers) comes back through a
thread-safe queue that a node timer drains, so the core is only touched on the
runtime's executor.

Media: camera frames from /camera/image_raw go to the peer only while the core
allows media (after the resident's yes, until the call ends); before that a
frame is not even converted. The microphone (`microphone` parameter) and the
speaker (`speaker`) are opened per call and closed after it. The specialist's
video goes to a counting sink (`remote_video_frames`): a robot with a screen
would show it there. Nothing is recorded.

/telepresence/camera_shared (std_msgs/Bool, latched) is the visible indicator
for a screen or LED: true exactly while the specialist sees the camera.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from benefits.actions import Say as VoiceSay
from benefits.actions import SendEvent as VoiceEvent
from fleet import protocol
from homecare.clock import SystemClock
from homecare.errors import ConfigError
from homecare.settings import get_settings
from robot.nodes.guardian_node import parse_slots
from robot.runtime import EVENTS, LATCHED, SENSOR_DATA, Runtime, Timer, load_params
from robot.runtime.stamps import header
from robot.vision.frames import FrameError, image_to_array
from robot.voice_out import VoiceOut
from telepresence.adaptation import Resolution
from telepresence.config import IceServer, PeerConfig
from telepresence.consultation import (
    Action,
    ApplyAnswer,
    CameraShared,
    ClosePeer,
    Consultation,
    ConsultationParams,
    IncomingSignal,
    MakeOffer,
    RestartPeer,
    Say,
    SendEvent,
    SendSignal,
)
from telepresence.devices import (
    check_microphone_setting,
    check_speaker_setting,
    close_device,
    open_microphone,
    open_speaker,
)
from telepresence.errors import CallStateError, SdpError, TelepresenceError
from telepresence.media import AudioSink, AudioSource, CameraFeed, CountingVideoSink
from telepresence.peer import RobotPeer


class TelepresenceNodeParams(BaseModel):
    consent_timeout_s: float = Field(
        default=30.0, gt=0, description="No answer to 'accept the call?' this long: declined."
    )
    default_connect_deadline_s: float = Field(
        default=30.0, gt=0, description="Connect deadline when a ring does not carry one."
    )
    microphone: str = Field(
        default="none", description='"none" (silence), "wav:/path.wav", "alsa:<device>".'
    )
    speaker: str = Field(default="none", description='"none" (counted only), "alsa:<device>".')
    video_codec: Literal["VP8", "H264"] = "VP8"
    max_width: int = Field(default=640, ge=16, le=4096)
    max_height: int = Field(default=480, ge=16, le=4096)
    fps: float = Field(default=15.0, gt=0, le=60)
    lang: str = Field(default="", description="The resident's language; empty: the settings'.")
    tick_period_s: float = Field(
        default=0.5, gt=0, description="How often the consent and connect deadlines are checked."
    )
    pump_period_s: float = Field(
        default=0.05, gt=0, description="During a call, how often the peer's reports are handled."
    )


# What the media thread reports back, for one call (`_Call`), drained on the executor.


@dataclass(frozen=True)
class _PeerState:
    call: _Call
    state: str


@dataclass(frozen=True)
class _OfferReady:
    call: _Call
    sdp: str


@dataclass(frozen=True)
class _OfferFailed:
    call: _Call
    reason: str


@dataclass(frozen=True)
class _AnswerRefused:
    call: _Call
    reason: str


_Report = _PeerState | _OfferReady | _OfferFailed | _AnswerRefused


@dataclass(eq=False)
class _Call:
    """One accepted call's media: made on the executor, its peer built on the media thread."""

    consultation_id: str
    config: PeerConfig
    feed: CameraFeed
    peer: RobotPeer | None = None
    audio_source: AudioSource | None = None
    audio_sink: AudioSink | None = None
    closed: bool = False
    operations: asyncio.Lock = field(default_factory=asyncio.Lock)


class MediaThread:
    """A thread running an asyncio loop for aiortc; started on first use, stopped by `stop()`."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, work: Coroutine[Any, Any, None]) -> concurrent.futures.Future[None]:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._run, args=(self._loop,), name="telepresence-media", daemon=True
            )
            self._thread.start()
        return asyncio.run_coroutine_threadsafe(work, self._loop)

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()
        # Stopped: let what is left (aiortc's own tasks) finish cancelling, then close.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10.0)


class TelepresenceNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = p = load_params(rt, TelepresenceNodeParams)
        self.lang = p.lang if p.lang in ("ru", "en") else get_settings().robot.language
        try:
            check_microphone_setting(p.microphone)
            check_speaker_setting(p.speaker)
            self.peer_config = PeerConfig(
                video_codec=p.video_codec, fps=p.fps, max_width=p.max_width,
                max_height=p.max_height,
            )  # fmt: skip
        except TelepresenceError as error:
            raise ConfigError(f"node {rt.name}: {error}") from None
        self.core = Consultation(
            ConsultationParams(p.consent_timeout_s, p.default_connect_deadline_s, self.lang),
            rt.clock,
        )
        # Media is paced by the wall clock whatever the runtime's clock: a call is real time.
        self.media_clock = SystemClock()
        self.media = MediaThread()
        self.remote_video = CountingVideoSink()
        self._call: _Call | None = None
        self._reports: queue.SimpleQueue[_Report] = queue.SimpleQueue()
        self._logged_state = self.core.state
        self.bad_signals = 0
        self.bad_frames = 0
        self.frames_pushed = 0
        self.peers_made = 0  # calls that got as far as a WebRTC connection (after a yes)

        types = rt.types
        self.voice = VoiceOut(rt)
        self.signal_out = rt.publisher("/telepresence/signal_out", types.CallSignal, EVENTS)
        self.bool_type = types.get("std_msgs/msg/Bool")
        self.camera_shared = rt.publisher("/telepresence/camera_shared", self.bool_type, LATCHED)
        self.camera_shared.publish(self.bool_type(data=False))
        rt.subscribe("/telepresence/signal_in", types.CallSignal, self.on_signal, EVENTS)
        rt.subscribe("/dialog/intent", types.Intent, self.on_intent, EVENTS)
        rt.subscribe(
            "/camera/image_raw", types.get("sensor_msgs/msg/Image"), self.on_image, SENSOR_DATA
        )
        rt.timer(p.tick_period_s, self.pump)
        # Fast only while a call has media: an idle robot (or a simulated day) pays nothing.
        self._fast_pump: Timer | None = None

    # -- for tests and the demo ----------------------------------------------------------

    @property
    def peer(self) -> RobotPeer | None:
        """The current call's WebRTC peer (None when no call is accepted)."""
        return self._call.peer if self._call is not None else None

    @property
    def remote_video_frames(self) -> int:
        return self.remote_video.frames

    def close(self) -> None:
        """End any call and stop the media thread (tests and simulated runs call it)."""
        call, self._call = self._call, None
        if call is not None and self.media.running:
            try:
                # In turn after what the call is doing (making its offer, say).
                self.media.submit(self._guarded(call, self._close_call(call))).result(timeout=20.0)
            except concurrent.futures.TimeoutError as error:
                self.rt.log.warning("telepresence call did not close cleanly", error=str(error))
        self.media.stop()

    # -- inputs --------------------------------------------------------------------------

    def on_signal(self, message: Any) -> None:
        try:
            signal = protocol.decode(protocol.CallSignal, message.json)
            if signal.type not in protocol.CALL_FROM_FLEET:
                raise protocol.ProtocolError(f"a {signal.type!r} signal cannot come from the fleet")
            if signal.consultation_id != message.consultation_id:
                raise protocol.ProtocolError("the message's consultation id differs from its json")
            incoming = incoming_signal(signal)
        except protocol.ProtocolError as error:
            self.bad_signals += 1
            self.rt.log.warning("call signal refused", reason=str(error))
            return
        except TelepresenceError as error:  # a ring with ICE servers aiortc cannot use
            self.bad_signals += 1
            self.rt.log.warning("call signal refused", reason=str(error))
            if signal.type == "ring" and self.core.consultation_id is None:
                self.send_signal(
                    SendSignal(signal.consultation_id, "declined", reason=str(error)[:300])
                )
            return
        current = self.core.consultation_id
        if signal.type != "ring" and current != signal.consultation_id:
            self.rt.log.info(
                "call signal for another consultation ignored",
                consultation=signal.consultation_id, type=signal.type, current=current or "-",
            )  # fmt: skip
            return
        self.perform(self.core.on_signal(incoming))

    def on_intent(self, intent: Any) -> None:
        slots = parse_slots(intent.slots_json)
        self.perform(self.core.on_intent(str(intent.name), str(intent.lang), slots))

    def on_image(self, message: Any) -> None:
        call = self._call
        if call is None or not self.core.media_allowed:
            return  # before consent (and after the call) a frame is not even looked at
        try:
            frame = image_to_array(message)
            rgb = frame[:, :, ::-1] if frame.ndim == 3 else frame  # OpenCV order -> RGB
            call.feed.push(np.ascontiguousarray(rgb))
        except (FrameError, TelepresenceError) as error:
            self.bad_frames += 1
            if self.bad_frames == 1 or self.bad_frames % 100 == 0:
                self.rt.log.warning(
                    "camera frame not sent", reason=str(error), count=self.bad_frames
                )
            return
        self.frames_pushed += 1

    def pump(self) -> None:
        while True:
            try:
                report = self._reports.get_nowait()
            except queue.Empty:
                break
            if report.call is not self._call:
                continue  # from a call that has ended (its peer closing, a late offer)
            self.perform(self._report_to_core(report))
        self.perform(self.core.tick())

    def _report_to_core(self, report: _Report) -> list[Action]:
        call_id = report.call.consultation_id
        if isinstance(report, _PeerState):
            self.rt.log.info("telepresence peer state", consultation=call_id, state=report.state)
            return self.core.on_peer_state(report.state)
        if isinstance(report, _OfferReady):
            return self.core.on_offer_ready(call_id, report.sdp)
        if isinstance(report, _OfferFailed):
            self.rt.log.warning(
                "telepresence offer failed", consultation=call_id, reason=report.reason
            )
            return self.core.on_offer_failed(call_id, report.reason)
        self.rt.log.warning(
            "telepresence answer refused", consultation=call_id, reason=report.reason
        )
        return self.core.on_answer_refused(report.reason)

    # -- actions -------------------------------------------------------------------------

    def perform(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Say):
                self.voice.say(VoiceSay(action.text, action.lang, action.expects_answer))
            elif isinstance(action, SendSignal):
                self.send_signal(action)
            elif isinstance(action, MakeOffer):
                self.make_offer(action)
            elif isinstance(action, ApplyAnswer):
                self._on_media(lambda call, sdp=action.sdp: self._apply_answer(call, sdp))
            elif isinstance(action, RestartPeer):
                self._on_media(self._restart)
            elif isinstance(action, ClosePeer):
                self.close_peer()
            elif isinstance(action, CameraShared):
                self.camera_shared.publish(self.bool_type(data=action.shared))
            elif isinstance(action, SendEvent):
                self.voice.send(VoiceEvent(action.type, action.fields))
        self.log_state_change()

    def log_state_change(self) -> None:
        state = self.core.state
        if state is not self._logged_state:
            self.rt.log.info(
                "telepresence state", state=state.value, previous=self._logged_state.value,
                consultation=self.core.consultation_id or "-",
            )  # fmt: skip
            self._logged_state = state

    def send_signal(self, action: SendSignal) -> None:
        signal = protocol.CallSignal.model_validate(
            {
                "ts": self.rt.clock.now().timestamp(), "consultation_id": action.consultation_id,
                "type": action.type, "sdp": action.sdp, "state": action.state,
                "reason": action.reason[:300],
            }
        )  # fmt: skip
        self.signal_out.publish(
            self.rt.types.CallSignal(
                header=header(self.rt), consultation_id=signal.consultation_id,
                type=signal.type, json=signal.model_dump_json(),
            )
        )  # fmt: skip
        self.rt.log.info(
            "call signal sent", consultation=action.consultation_id, type=action.type,
            state=action.state or "-", reason=action.reason or "-",
        )  # fmt: skip

    def make_offer(self, action: MakeOffer) -> None:
        if self._call is not None:
            self.close_peer()
        config = replace(self.peer_config, ice_servers=action.ice_servers)
        feed = CameraFeed(Resolution(config.max_width, config.max_height))
        self._call = call = _Call(action.consultation_id, config, feed)
        self.peers_made += 1
        if self._fast_pump is None:
            self._fast_pump = self.rt.timer(self.params.pump_period_s, self.pump)
        self._on_media(self._open, call)

    def close_peer(self) -> None:
        call, self._call = self._call, None
        if self._fast_pump is not None:
            self._fast_pump.cancel()
            self._fast_pump = None
        if call is not None:
            self.media.submit(self._guarded(call, self._close_call(call)))

    def _on_media(self, operation: Any, call: _Call | None = None) -> None:
        call = call or self._call
        if call is not None:
            self.media.submit(self._guarded(call, operation(call)))

    # -- on the media thread -------------------------------------------------------------

    async def _guarded(self, call: _Call, work: Coroutine[Any, Any, None]) -> None:
        # One operation at a time per call, in the order they were asked for.
        async with call.operations:
            try:
                await work
            except Exception as error:  # a bug must not kill the media thread silently
                self.rt.log.error("telepresence media operation failed", error=repr(error))
                self._reports.put(_OfferFailed(call, f"internal error: {error}"))

    async def _open(self, call: _Call) -> None:
        if call.closed:
            return
        call.audio_source = open_microphone(self.params.microphone)
        call.audio_sink = open_speaker(self.params.speaker)
        peer = RobotPeer(
            call.config, self.media_clock, feed=call.feed, audio_source=call.audio_source,
            video_sink=self.remote_video, audio_sink=call.audio_sink,
        )  # fmt: skip
        peer.add_state_listener(lambda state: self._reports.put(_PeerState(call, state.value)))
        call.peer = peer
        await self._offer(call, peer)

    async def _offer(self, call: _Call, peer: RobotPeer) -> None:
        try:
            sdp = await peer.create_offer()
        except TelepresenceError as error:
            self._reports.put(_OfferFailed(call, str(error)))
            return
        self._reports.put(_OfferReady(call, sdp))

    async def _apply_answer(self, call: _Call, sdp: str) -> None:
        if call.closed or call.peer is None:
            return
        try:
            await call.peer.accept_answer(sdp)
        except (SdpError, CallStateError) as error:
            self._reports.put(_AnswerRefused(call, str(error)))

    async def _restart(self, call: _Call) -> None:
        if call.closed or call.peer is None:
            return
        await call.peer.restart()
        await self._offer(call, call.peer)

    async def _close_call(self, call: _Call) -> None:
        if call.closed:
            return
        call.closed = True
        try:
            if call.peer is not None:
                await call.peer.close()
        finally:
            for device in (call.audio_source, call.audio_sink):
                close_device(device)


def incoming_signal(signal: protocol.CallSignal) -> IncomingSignal:
    """The core's view of a fleet signal; `IceServerError` for servers aiortc cannot use."""
    ice_servers = tuple(
        IceServer(
            urls=tuple(server.urls),
            username=server.username or None,
            credential=server.credential or None,
        )
        for server in signal.ice_servers
    )
    deadline = (
        signal.connect_deadline_s if "connect_deadline_s" in signal.model_fields_set else None
    )
    return IncomingSignal(
        consultation_id=signal.consultation_id, type=signal.type, sdp=signal.sdp,
        reason=signal.reason, caller_name=signal.caller_name, caller_role=signal.caller_role,
        lang=signal.lang, ice_servers=ice_servers, connect_deadline_s=deadline,
    )  # fmt: skip


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(TelepresenceNode, "telepresence", args)
