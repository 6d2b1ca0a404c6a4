"""The robot's peer refuses what does not fit the call's state, and stays usable after."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from homecare.clock import SystemClock
from telepresence.config import IceServer, PeerConfig, VideoCodec
from telepresence.errors import CallStateError, NegotiationTimeoutError, SdpError
from telepresence.peer import CallState, RobotPeer
from telepresence.sdp import check_sdp


def with_peer(config: PeerConfig, scenario: Callable[[RobotPeer], Awaitable[None]]) -> None:
    async def run() -> None:
        peer = RobotPeer(config, SystemClock())
        try:
            await asyncio.wait_for(scenario(peer), timeout=20)
        finally:
            await peer.close()

    asyncio.run(run())


def test_an_answer_with_no_offer_out_is_refused() -> None:
    async def scenario(peer: RobotPeer) -> None:
        with pytest.raises(CallStateError, match="no offer is out \\(state stable\\)"):
            await peer.accept_answer("v=0\r\n")

    with_peer(PeerConfig(), scenario)


def test_a_second_offer_on_a_negotiating_connection_is_refused() -> None:
    async def scenario(peer: RobotPeer) -> None:
        offer = await peer.create_offer()
        with pytest.raises(CallStateError, match=r"already negotiating .* restart\(\)"):
            await peer.create_offer()
        with pytest.raises(CallStateError, match="cannot accept an offer"):
            await peer.accept_offer(offer)

    with_peer(PeerConfig(), scenario)


def test_after_close_every_negotiation_is_refused_as_closed() -> None:
    async def scenario(peer: RobotPeer) -> None:
        await peer.close()
        assert peer.state is CallState.CLOSED
        with pytest.raises(CallStateError, match="the call is closed"):
            await peer.create_offer()
        with pytest.raises(CallStateError, match="the call is closed"):
            await peer.accept_answer("v=0\r\n")

    with_peer(PeerConfig(), scenario)


def test_a_malformed_answer_is_refused_and_the_offer_stays_out() -> None:
    async def scenario(peer: RobotPeer) -> None:
        await peer.create_offer()
        with pytest.raises(SdpError, match="the answer is not SDP"):
            await peer.accept_answer("not an sdp")
        assert peer.connection.signalingState == "have-local-offer"

    with_peer(PeerConfig(), scenario)


def test_an_offer_aiortc_cannot_apply_is_refused_and_the_peer_is_ready_for_the_next() -> None:
    async def scenario(peer: RobotPeer) -> None:
        other = RobotPeer(PeerConfig(), SystemClock())
        good_offer = await other.create_offer()
        await other.close()
        # Passes our checks but aiortc refuses it: no ICE-compatible RTCP multiplexing.
        broken = good_offer.replace("a=rtcp-mux\r\n", "")
        with pytest.raises(SdpError, match="the offer cannot be applied: RTCP mux is not enabled"):
            await peer.accept_offer(broken)
        assert peer.state is CallState.NEW and peer.generation == 2
        answer = await peer.accept_offer(good_offer)
        assert check_sdp(answer, "answer").first("video") is not None

    with_peer(PeerConfig(), scenario)


@pytest.mark.parametrize(("codec", "first"), [("VP8", "VP8"), ("H264", "H264")])
def test_the_offer_lists_the_preferred_codec_first(codec: VideoCodec, first: str) -> None:
    async def scenario(peer: RobotPeer) -> None:
        video = check_sdp(await peer.create_offer(), "offer").first("video")
        assert video is not None and video.codecs[0] == first
        assert {"VP8", "H264"} <= set(video.codecs)  # the other stays as a fallback

    with_peer(PeerConfig(video_codec=codec), scenario)


def test_restart_gives_a_fresh_connection_that_can_offer_again() -> None:
    states: list[CallState] = []

    async def scenario(peer: RobotPeer) -> None:
        peer.add_state_listener(states.append)
        first = peer.connection
        await peer.create_offer()
        await peer.restart()
        assert peer.connection is not first and first.connectionState == "closed"
        assert peer.state is CallState.NEW and states == []  # the old one's close is not the call's
        assert "m=video" in await peer.create_offer()

    with_peer(PeerConfig(), scenario)
    assert states[-1] is CallState.CLOSED  # the final close()


def test_a_silent_turn_server_cannot_hang_the_offer() -> None:
    async def run() -> None:
        # A TURN server that accepts the TCP connection and then never answers.
        async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()
            writer.close()

        server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        silent = IceServer(
            (f"turn:127.0.0.1:{port}?transport=tcp",), username="robot", credential="secret"
        )
        peer = RobotPeer(
            PeerConfig(ice_servers=(silent,), negotiation_timeout_s=0.5), SystemClock()
        )
        try:
            with pytest.raises(NegotiationTimeoutError, match="creating the offer took longer"):
                await asyncio.wait_for(peer.create_offer(), timeout=10)
            assert peer.state is CallState.NEW and peer.generation == 2  # clean, ready again
        finally:
            await peer.close()
            server.close()

    asyncio.run(run())


def test_a_failing_state_listener_does_not_stop_the_others() -> None:
    heard: list[CallState] = []

    def broken(state: CallState) -> None:
        raise RuntimeError("listener bug")

    async def scenario(peer: RobotPeer) -> None:
        peer.add_state_listener(broken)
        peer.add_state_listener(heard.append)
        await peer.close()

    with_peer(PeerConfig(), scenario)
    assert heard == [CallState.CLOSED]
