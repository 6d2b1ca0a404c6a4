"""A minimal specialist-side peer in plain aiortc, for loopback tests, benchmarks and demos.

It stands in for the specialist's browser: it answers (or makes) an offer,
sends a test picture and silence, and counts what it receives. It is written
against aiortc directly, not `RobotPeer`, so a loopback call checks the robot
against an independent peer rather than against itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from homecare.clock import Clock
from telepresence.adaptation import Resolution
from telepresence.media import (
    AudioSink,
    CameraFeed,
    CameraVideoTrack,
    FrameForSlot,
    SilenceSource,
    SourceAudioTrack,
    VideoSink,
    consume_audio,
    consume_video,
)


class SpecialistPeer:
    """The far side of a loopback call."""

    def __init__(
        self,
        clock: Clock,
        video_sink: VideoSink,
        *,
        audio_sink: AudioSink | None = None,
        picture_size: tuple[int, int] = (320, 240),
        fps: float = 15.0,
        frame_for_slot: FrameForSlot | None = None,
        send_video: bool = True,
    ) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        width, height = picture_size
        self.feed = CameraFeed(Resolution(width, height))
        # A grey-blue picture: plain enough to encode cheaply, not black (so it is seen).
        self.feed.push(np.full((height, width, 3), (90, 110, 160), dtype=np.uint8))
        self.video_track = CameraVideoTrack(self.feed, clock, fps, frame_for_slot)
        self.audio_track = SourceAudioTrack(SilenceSource(), clock)
        self._send_video = send_video
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = asyncio.Event()

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self._spawn(consume_video(track, video_sink))
            elif audio_sink is not None:
                self._spawn(consume_audio(track, audio_sink))

        @self.pc.on("connectionstatechange")
        def on_state() -> None:
            if self.pc.connectionState in ("closed", "failed"):
                self.closed.set()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _add_tracks(self) -> None:
        if self._send_video:
            self.pc.addTrack(self.video_track)
        self.pc.addTrack(self.audio_track)

    async def answer(self, offer_sdp: str) -> str:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        self._add_tracks()
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def offer(self) -> str:
        self._add_tracks()
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept_answer(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    @property
    def state(self) -> str:
        return self.pc.connectionState

    async def close(self) -> None:
        await self.pc.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
