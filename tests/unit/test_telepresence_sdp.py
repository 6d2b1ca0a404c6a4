"""SDP checks: bad offers and answers are refused with a message naming what was wrong."""

from __future__ import annotations

import asyncio
import re

import pytest

from homecare.clock import SystemClock
from telepresence.config import PeerConfig
from telepresence.errors import MissingMediaError, SdpError
from telepresence.peer import RobotPeer
from telepresence.sdp import SECURE_PROFILE, check_sdp


async def _real_offer() -> str:
    peer = RobotPeer(PeerConfig(), SystemClock())
    try:
        return await peer.create_offer()
    finally:
        await peer.close()


@pytest.fixture(scope="module")
def offer() -> str:
    return asyncio.run(_real_offer())


def test_a_real_offer_is_dtls_srtp_with_a_fingerprint_and_both_media(offer: str) -> None:
    summary = check_sdp(offer, "offer")
    assert [media.kind for media in summary.media] == ["video", "audio"]
    assert all(media.direction == "sendrecv" for media in summary.media)
    assert summary.fingerprint_algorithms  # e.g. ("sha-256", "sha-384", "sha-512")
    assert offer.count(f" {SECURE_PROFILE} ") == 2  # both m= lines
    assert "a=fingerprint:sha-256" in offer


@pytest.mark.parametrize(
    ("sdp", "message"),
    [
        (None, "the offer is a NoneType, not SDP text"),
        ("", "the offer is empty"),
        ("hello", "does not start with 'v=0'"),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video abc", "malformed SDP"),
        ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "no audio or video section"),
    ],
)
def test_garbage_is_refused_with_a_clear_message(sdp: object, message: str) -> None:
    with pytest.raises(SdpError, match=message):
        check_sdp(sdp, "offer")


def test_plain_rtp_without_dtls_srtp_is_refused(offer: str) -> None:
    with pytest.raises(SdpError, match=r"uses RTP/AVP, only UDP/TLS/RTP/SAVPF \(DTLS-SRTP\)"):
        check_sdp(offer.replace(SECURE_PROFILE, "RTP/AVP"), "offer")


def test_a_section_without_fingerprint_is_refused(offer: str) -> None:
    stripped = "\r\n".join(
        line for line in offer.split("\r\n") if not line.startswith("a=fingerprint")
    )
    with pytest.raises(SdpError, match=r"video section .* has no DTLS fingerprint"):
        check_sdp(stripped, "answer")


def test_an_answer_without_video_is_refused(offer: str) -> None:
    audio_only = offer[: offer.index("m=video")] + offer[offer.index("m=audio") :]
    with pytest.raises(MissingMediaError, match="the answer has no video section"):
        check_sdp(audio_only, "answer")
    assert check_sdp(audio_only, "answer", need_video=False).first("video") is None


def test_a_rejected_or_inactive_video_section_is_refused(offer: str) -> None:
    rejected = re.sub(r"m=video \d+ ", "m=video 0 ", offer)
    with pytest.raises(MissingMediaError, match="no video section \\(or rejects it\\)"):
        check_sdp(rejected, "answer")
    video_end = offer.index("m=audio")
    inactive = offer[:video_end].replace("a=sendrecv", "a=inactive") + offer[video_end:]
    with pytest.raises(MissingMediaError, match="video section is inactive"):
        check_sdp(inactive, "answer")


def test_an_oversized_description_is_refused() -> None:
    with pytest.raises(SdpError, match="characters long"):
        check_sdp("v=0\r\n" + "a=x\r\n" * 100_000, "offer")
