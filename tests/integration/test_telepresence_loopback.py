"""Real calls on loopback: the robot's peer against a plain aiortc specialist, in one process.

Every wait has a deadline; nothing sleeps to wait. The benchmark's smoke test
runs it for a few seconds and checks that its figures print.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import numpy as np
import pytest

from benchmarks import telepresence_loopback
from homecare.clock import SystemClock
from telepresence.config import PeerConfig, VideoCodec
from telepresence.errors import MissingMediaError, SdpError
from telepresence.loopback import SpecialistPeer
from telepresence.media import CountingAudioSink, CountingVideoSink
from telepresence.peer import CallState, RobotPeer
from telepresence.sdp import check_sdp

DEADLINE_S = 10.0
CLOCK = SystemClock()


class Call:
    """A robot peer and a specialist, with their sinks."""

    def __init__(self, config: PeerConfig | None = None) -> None:
        self.robot_video = CountingVideoSink()
        self.robot_audio = CountingAudioSink()
        self.specialist_video = CountingVideoSink()
        self.specialist_audio = CountingAudioSink()
        self.robot = RobotPeer(
            config or PeerConfig(),
            CLOCK,
            video_sink=self.robot_video,
            audio_sink=self.robot_audio,
        )
        self.robot.push(np.full((480, 640, 3), 180, dtype=np.uint8))
        self.states: list[CallState] = []
        self.robot.add_state_listener(self.states.append)
        self.specialist = self.new_specialist()

    def new_specialist(self, send_video: bool = True) -> SpecialistPeer:
        self.specialist_video = CountingVideoSink()
        return SpecialistPeer(
            CLOCK,
            self.specialist_video,
            audio_sink=self.specialist_audio,
            picture_size=(320, 240),
            send_video=send_video,
        )

    async def robot_calls(self) -> None:
        answer = await self.specialist.answer(await self.robot.create_offer())
        await self.robot.accept_answer(answer)
        await self.robot.wait_for_state(CallState.CONNECTED, timeout=DEADLINE_S)

    async def specialist_calls(self) -> None:
        answer = await self.robot.accept_offer(await self.specialist.offer())
        await self.specialist.accept_answer(answer)
        await self.robot.wait_for_state(CallState.CONNECTED, timeout=DEADLINE_S)

    async def close(self) -> None:
        await self.robot.close()
        await self.specialist.close()


def run_call(scenario: Callable[[Call], Awaitable[None]], config: PeerConfig | None = None) -> Call:
    async def run() -> Call:
        call = Call(config)
        try:
            await asyncio.wait_for(scenario(call), timeout=30)
        finally:
            await call.close()
        return call

    return asyncio.run(run())


async def eventually(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


def test_video_and_audio_flow_both_ways_at_the_right_sizes() -> None:
    async def scenario(call: Call) -> None:
        await call.robot_calls()
        await call.specialist_video.wait_for_frames(3, DEADLINE_S)
        await call.robot_video.wait_for_frames(3, DEADLINE_S)
        await call.specialist_audio.wait_for_frames(5, DEADLINE_S)
        await call.robot_audio.wait_for_frames(5, DEADLINE_S)
        assert call.specialist_video.last_frame is not None
        assert call.specialist_video.last_frame.shape == (480, 640, 3)
        assert abs(int(call.specialist_video.last_frame[240, 320, 0]) - 180) <= 8
        assert call.robot_video.last_frame is not None
        assert call.robot_video.last_frame.shape == (240, 320, 3)

    call = run_call(scenario)
    assert call.states[:2] == [CallState.CONNECTING, CallState.CONNECTED]


def test_the_specialist_can_call_the_robot_and_the_robot_answers() -> None:
    async def scenario(call: Call) -> None:
        await call.specialist_calls()
        await call.specialist_video.wait_for_frames(2, DEADLINE_S)
        await call.robot_video.wait_for_frames(2, DEADLINE_S)

    run_call(scenario)


def test_the_specialist_hanging_up_ends_the_call_on_the_robot() -> None:
    async def scenario(call: Call) -> None:
        await call.robot_calls()
        await call.specialist_video.wait_for_frames(1, DEADLINE_S)
        await call.specialist.close()
        await call.robot.wait_for_state(CallState.CLOSED, CallState.FAILED, timeout=DEADLINE_S)

    call = run_call(scenario)
    assert call.states[-1] is CallState.CLOSED


def test_the_robot_hanging_up_ends_the_call_on_the_specialists_side() -> None:
    async def scenario(call: Call) -> None:
        await call.robot_calls()
        await call.robot_video.wait_for_frames(1, DEADLINE_S)
        await call.robot.close()
        await asyncio.wait_for(call.specialist.closed.wait(), DEADLINE_S)
        assert call.specialist.state in ("closed", "failed")

    run_call(scenario)


@pytest.mark.parametrize("codec", ["VP8", "H264"])
def test_the_call_uses_the_codec_the_robot_prefers(codec: VideoCodec) -> None:
    async def scenario(call: Call) -> None:
        answer = await call.specialist.answer(await call.robot.create_offer())
        # aiortc sends with the first codec of the answer: the negotiated one.
        video = (await call.robot.accept_answer(answer)).first("video")
        assert video is not None and video.codecs[0] == codec
        await call.specialist_video.wait_for_frames(3, DEADLINE_S)
        assert call.specialist_video.last_frame is not None
        assert call.specialist_video.last_frame.shape == (480, 640, 3)

    run_call(scenario, PeerConfig(video_codec=codec))


def test_the_maximum_resolution_changes_during_the_call() -> None:
    async def scenario(call: Call) -> None:
        await call.robot_calls()
        await call.specialist_video.wait_for_frames(1, DEADLINE_S)
        call.robot.set_max_resolution(320, 240)
        await eventually(
            lambda: (
                call.specialist_video.last_frame is not None
                and call.specialist_video.last_frame.shape == (240, 320, 3)
            ),
            "a 320x240 frame at the specialist's side",
        )

    run_call(scenario)


def test_on_a_clean_link_adaptation_reads_real_stats_and_keeps_the_ceiling() -> None:
    async def scenario(call: Call) -> None:
        await call.robot_calls()
        quality = None

        async def report_arrived() -> bool:
            nonlocal quality
            quality = await call.robot.link_quality()
            return quality is not None

        async with asyncio.timeout(DEADLINE_S):
            while not await report_arrived():
                await asyncio.sleep(0.1)
        assert quality is not None and quality.loss_fraction < 0.01
        chosen = await call.robot.adapt_once()
        assert (chosen.width, chosen.height) == (640, 480)

    run_call(scenario)


def test_restart_after_link_loss_gives_a_working_new_call() -> None:
    async def scenario(call: Call) -> None:
        await call.robot_calls()
        await call.specialist_video.wait_for_frames(1, DEADLINE_S)
        await call.specialist.close()  # the old call is gone
        await call.robot.wait_for_state(CallState.CLOSED, CallState.FAILED, timeout=DEADLINE_S)
        await call.robot.restart()
        assert call.robot.generation == 2 and call.robot.state is CallState.NEW
        call.specialist = call.new_specialist()
        await call.robot_calls()
        await call.specialist_video.wait_for_frames(3, DEADLINE_S)
        await call.robot_video.wait_for_frames(3, DEADLINE_S)

    call = run_call(scenario)
    assert call.states.count(CallState.CONNECTED) == 2


def test_bad_answers_are_refused_and_a_good_one_still_connects() -> None:
    async def scenario(call: Call) -> None:
        offer = await call.robot.create_offer()
        with pytest.raises(SdpError, match="the answer is empty"):
            await call.robot.accept_answer("")
        answer = await call.specialist.answer(offer)
        audio_only = answer[: answer.index("m=video")] + answer[answer.index("m=audio") :]
        with pytest.raises(MissingMediaError, match="the answer has no video section"):
            await call.robot.accept_answer(audio_only)
        assert call.robot.state is CallState.NEW
        await call.robot.accept_answer(answer)
        await call.robot.wait_for_state(CallState.CONNECTED, timeout=DEADLINE_S)
        await call.specialist_video.wait_for_frames(1, DEADLINE_S)

    run_call(scenario)


def test_the_answer_carries_dtls_srtp_and_a_fingerprint() -> None:
    async def scenario(call: Call) -> None:
        answer = await call.robot.accept_offer(await call.specialist.offer())
        summary = check_sdp(answer, "answer")
        assert "sha-256" in summary.fingerprint_algorithms
        assert answer.count(" UDP/TLS/RTP/SAVPF ") == 2

    run_call(scenario)


def test_the_benchmark_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    telepresence_loopback.main(["--seconds", "2", "--setup-runs", "1", "--json"])
    report = json.loads(capsys.readouterr().out)
    stream = report["sustained"]
    assert stream["frames_sent"] >= 15 and stream["resolution_sent"] == "640x480"
    assert stream["frames_received"] > 0 and stream["mean_latency_ms"] > 0
    assert report["setup_median_s"] > 0 and report["baseline"]["frames_read_back"] > 0
    assert "cores" in report["machine"]
    telepresence_loopback.main(["--seconds", "1", "--setup-runs", "1"])
    text = capsys.readouterr().out
    assert "call set-up (offer -> first decoded frame)" in text and "lost" in text


def test_frame_numbers_survive_the_picture_and_scaling() -> None:
    base = telepresence_loopback.base_picture()
    picture = telepresence_loopback.numbered_picture(base, 40_321)
    assert telepresence_loopback.read_number(picture) == 40_321
    assert telepresence_loopback.read_number(picture[::2, ::2]) == 40_321
    assert telepresence_loopback.read_number(base) is None  # no strip: unreadable, not a number
