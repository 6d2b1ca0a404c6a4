"""The robot's side of a video consultation: one WebRTC peer (aiortc), either role.

Pure asyncio, no ROS and no fleet: the robot node feeds camera frames with
`push`, hands SDP to and from the signalling channel, and listens to states.

    peer = RobotPeer(PeerConfig(), SystemClock())
    offer = await peer.create_offer()          # robot calls
    await peer.accept_answer(answer_sdp)
    # or: answer = await peer.accept_offer(offer_sdp)   # specialist calls

aiortc has no ICE restart: when the link is lost, `restart()` closes the
connection and makes a fresh one with the same media and settings, ready for
a new offer/answer exchange.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.exceptions import InternalError, InvalidAccessError, InvalidStateError, OperationError
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from homecare.clock import Clock
from telepresence.adaptation import (
    AdaptationPolicy,
    LinkQuality,
    Resolution,
    choose_max_resolution,
    link_quality_from_stats,
)
from telepresence.config import PeerConfig, VideoCodec
from telepresence.errors import (
    CallStateError,
    NegotiationTimeoutError,
    SdpError,
    TelepresenceError,
)
from telepresence.media import (
    AudioSink,
    AudioSource,
    CameraFeed,
    CameraVideoTrack,
    FrameForSlot,
    SilenceSource,
    SourceAudioTrack,
    VideoSink,
    consume_audio,
    consume_video,
)
from telepresence.sdp import SdpSummary, check_sdp

log = logging.getLogger(__name__)

# What aiortc raises for descriptions it cannot apply.
_AIORTC_ERRORS = (ValueError, InvalidStateError, InvalidAccessError, OperationError, InternalError)


class CallState(enum.StrEnum):
    NEW = "new"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"
    CLOSED = "closed"


_FROM_AIORTC = {
    "new": CallState.NEW,
    "connecting": CallState.CONNECTING,
    "connected": CallState.CONNECTED,
    "failed": CallState.FAILED,
    "closed": CallState.CLOSED,
}

DEFAULT_POLICY = AdaptationPolicy()
StateListener = Callable[[CallState], None]


def codec_preferences(codec: VideoCodec) -> list[RTCRtpCodecCapability]:
    """All video codecs aiortc has, `codec` first (with its retransmission codec)."""
    codecs = RTCRtpSender.getCapabilities("video").codecs
    wanted = f"video/{codec}".lower()
    first = [c for c in codecs if c.mimeType.lower() == wanted]
    rtx = [c for c in codecs if c.mimeType.lower() == "video/rtx"]
    rest = [c for c in codecs if c not in first and c not in rtx]
    return first + rest + rtx


class RobotPeer:
    """One consultation's WebRTC connection, rebuilt by `restart()` when the link is lost."""

    def __init__(
        self,
        config: PeerConfig,
        clock: Clock,
        *,
        feed: CameraFeed | None = None,
        audio_source: AudioSource | None = None,
        video_sink: VideoSink | None = None,
        audio_sink: AudioSink | None = None,
        frame_for_slot: FrameForSlot | None = None,
        policy: AdaptationPolicy = DEFAULT_POLICY,
    ) -> None:
        self.config = config
        self._clock = clock
        self.feed = feed or CameraFeed(Resolution(config.max_width, config.max_height))
        self._audio_source: AudioSource = audio_source or SilenceSource()
        self._video_sink = video_sink
        self._audio_sink = audio_sink
        self._frame_for_slot = frame_for_slot
        self._policy = policy
        self._listeners: list[StateListener] = []
        self._state = CallState.NEW
        self._state_changed = asyncio.Event()
        self._consumers: set[asyncio.Task[None]] = set()
        self._adaptation: asyncio.Task[None] | None = None
        self._restarting = False
        self.generation = 0  # how many connections this peer has made (restart() adds one)
        self.video_track: CameraVideoTrack
        self.audio_track: SourceAudioTrack | None
        self._pc = self._new_connection()

    # -- state ---------------------------------------------------------------------------

    @property
    def state(self) -> CallState:
        return self._state

    @property
    def connection(self) -> RTCPeerConnection:
        """The current aiortc connection (for stats and tests; replaced by `restart()`)."""
        return self._pc

    def add_state_listener(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    async def wait_for_state(self, *states: CallState, timeout: float) -> CallState:
        """Wait until the call is in one of `states`; `TimeoutError` after `timeout` s."""
        try:
            async with asyncio.timeout(timeout):
                while self._state not in states:
                    self._state_changed.clear()
                    await self._state_changed.wait()
        except TimeoutError:
            names = ", ".join(states)
            raise TimeoutError(
                f"call still {self._state} after {timeout} s (waiting for {names})"
            ) from None
        return self._state

    def _set_state(self, state: CallState) -> None:
        if state == self._state:
            return
        log.info(
            "telepresence call state %s -> %s generation=%d", self._state, state, self.generation
        )
        self._state = state
        self._state_changed.set()
        for listener in list(self._listeners):
            try:
                listener(state)
            except Exception:  # one broken listener must not stop the others or aiortc
                log.exception("telepresence state listener failed state=%s", state)
        if state is CallState.CONNECTED:
            self._start_adaptation()

    # -- media ---------------------------------------------------------------------------

    def push(self, frame: object) -> None:
        """The camera's latest frame (RGB numpy array); raises `MediaError` for a bad one."""
        self.feed.push(frame)

    def set_max_resolution(self, width: int, height: int) -> None:
        self.feed.set_max_resolution(width, height)

    # -- negotiation ---------------------------------------------------------------------

    async def create_offer(self) -> str:
        """Offer audio and video (send and receive); the SDP carries all candidates."""
        self._require_fresh("create an offer")
        self._add_transceivers()
        async with self._negotiation_deadline("creating the offer"):
            await self._pc.setLocalDescription(await self._pc.createOffer())
        return self._pc.localDescription.sdp

    async def accept_answer(self, sdp: object) -> SdpSummary:
        """Apply the specialist's answer to our offer; `SdpError`/`CallStateError` if unusable."""
        if self._state is CallState.CLOSED:
            raise CallStateError("an answer arrived but the call is closed")
        if self._pc.signalingState != "have-local-offer":
            raise CallStateError(
                f"an answer arrived but no offer is out (state {self._pc.signalingState})"
            )
        summary = check_sdp(sdp, "answer")
        assert isinstance(sdp, str)  # check_sdp refused anything else
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except _AIORTC_ERRORS as error:
            raise SdpError(f"the answer cannot be applied: {error}") from None
        return summary

    async def accept_offer(self, sdp: object) -> str:
        """Answer the specialist's offer; on a refused offer the peer is ready for another."""
        self._require_fresh("accept an offer")
        check_sdp(sdp, "offer")
        assert isinstance(sdp, str)
        # Our transceivers exist first so aiortc pairs them with the offer's sections and
        # the codec preference applies to the answer.
        self._add_transceivers()
        try:
            async with self._negotiation_deadline("answering the offer"):
                await self._pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
                await self._pc.setLocalDescription(await self._pc.createAnswer())
        except _AIORTC_ERRORS as error:
            await self.restart()  # half-applied offer: start clean for the next one
            raise SdpError(f"the offer cannot be applied: {error}") from None
        return self._pc.localDescription.sdp

    @contextlib.asynccontextmanager
    async def _negotiation_deadline(self, action: str) -> AsyncIterator[None]:
        """Bound `action` (ICE gathering waits on STUN/TURN servers); on time-out, start clean."""
        timeout = self.config.negotiation_timeout_s
        try:
            async with asyncio.timeout(timeout):
                yield
        except TimeoutError:
            await self.restart()
            raise NegotiationTimeoutError(
                f"{action} took longer than {timeout} s: are the STUN/TURN servers reachable?"
            ) from None

    def _require_fresh(self, action: str) -> None:
        if self._state is CallState.CLOSED:
            raise CallStateError(f"cannot {action}: the call is closed (restart() for a new one)")
        if self._pc.localDescription is not None or self._pc.remoteDescription is not None:
            raise CallStateError(
                f"cannot {action}: this connection is already negotiating or negotiated "
                f"(signalling state {self._pc.signalingState}); restart() for a new one"
            )

    def _add_transceivers(self) -> None:
        video = self._pc.addTransceiver(self.video_track, direction="sendrecv")
        video.setCodecPreferences(codec_preferences(self.config.video_codec))
        if self.audio_track is not None:
            self._pc.addTransceiver(self.audio_track, direction="sendrecv")
        else:
            self._pc.addTransceiver("audio", direction="recvonly")

    # -- life cycle ----------------------------------------------------------------------

    def _new_connection(self) -> RTCPeerConnection:
        self.generation += 1
        generation = self.generation
        pc = RTCPeerConnection(self.config.rtc_configuration())
        self.video_track = CameraVideoTrack(
            self.feed, self._clock, self.config.fps, self._frame_for_slot
        )
        self.audio_track = (
            SourceAudioTrack(self._audio_source, self._clock) if self.config.send_audio else None
        )

        @pc.on("connectionstatechange")
        def on_connection_state() -> None:
            # A connection being replaced by restart() no longer speaks for the call.
            if generation == self.generation and not self._restarting:
                self._set_state(_FROM_AIORTC.get(pc.connectionState, CallState.FAILED))

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video" and self._video_sink is not None:
                self._spawn(consume_video(track, self._video_sink))
            elif track.kind == "audio" and self._audio_sink is not None:
                self._spawn(consume_audio(track, self._audio_sink))

        return pc

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._consumers.add(task)
        task.add_done_callback(self._consumers.discard)

    async def close(self) -> None:
        """End the call: the far side sees its connection close. Safe to call twice."""
        await self._teardown()
        self._set_state(CallState.CLOSED)

    async def restart(self) -> None:
        """Close the current connection and make a fresh one (same media and settings)."""
        self._restarting = True
        try:
            await self._teardown()
        finally:
            self._restarting = False
        self._pc = self._new_connection()
        self._set_state(CallState.NEW)

    async def _teardown(self) -> None:
        if self._adaptation is not None:
            self._adaptation.cancel()
            self._adaptation = None
        self.video_track.stop()
        if self.audio_track is not None:
            self.audio_track.stop()
        try:
            await asyncio.wait_for(self._pc.close(), timeout=5.0)
        except TimeoutError:
            log.warning(
                "telepresence connection did not close within 5 s generation=%d", self.generation
            )
        for task in list(self._consumers):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._consumers, return_exceptions=True)
        self._consumers.clear()

    # -- adaptation to the link ----------------------------------------------------------

    async def link_quality(self) -> LinkQuality | None:
        """The far side's latest report on our video (None before its first report)."""
        return link_quality_from_stats(await self._pc.getStats())

    async def adapt_once(self) -> Resolution:
        """Read the stats once and set the maximum resolution the policy picks."""
        ceiling = Resolution(self.config.max_width, self.config.max_height)
        chosen = choose_max_resolution(
            self.feed.max_resolution, await self.link_quality(), ceiling, self._policy
        )
        if chosen != self.feed.max_resolution:
            log.info("telepresence max resolution %s -> %s", self.feed.max_resolution, chosen)
            self.feed.set_max_resolution(chosen.width, chosen.height)
        return chosen

    def _start_adaptation(self) -> None:
        if self._adaptation is None or self._adaptation.done():
            self._adaptation = asyncio.get_running_loop().create_task(self._adapt_forever())

    async def _adapt_forever(self) -> None:
        period = self.config.adaptation_period_s
        next_at = self._clock.monotonic() + period
        while self._state is CallState.CONNECTED:
            await asyncio.sleep(max(0.0, next_at - self._clock.monotonic()))
            next_at += period
            try:
                await self.adapt_once()
            except TelepresenceError as error:
                log.warning("telepresence adaptation skipped: %s", error)
