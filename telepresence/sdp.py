"""Checks of session descriptions before aiortc sees them.

aiortc's SDP parser is lenient (an empty string parses as a session with no
media) and fails later with bare `ValueError`s or assertions. These checks
refuse a bad offer or answer up front with a message naming what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aiortc.sdp import MediaDescription, SessionDescription

from telepresence.errors import MissingMediaError, SdpError

SdpKind = Literal["offer", "answer"]
# DTLS-SRTP is the only media profile a call may use: no plain RTP, no SDES keys.
SECURE_PROFILE = "UDP/TLS/RTP/SAVPF"
MAX_SDP_CHARS = 200_000


@dataclass(frozen=True)
class MediaSummary:
    kind: str
    direction: str
    rejected: bool
    codecs: tuple[str, ...]  # mime subtypes in order of preference, e.g. ("VP8", "rtx")

    def sends(self) -> bool:
        return not self.rejected and self.direction in ("sendrecv", "sendonly")

    def receives(self) -> bool:
        return not self.rejected and self.direction in ("sendrecv", "recvonly")


@dataclass(frozen=True)
class SdpSummary:
    kind: SdpKind
    media: tuple[MediaSummary, ...]
    fingerprint_algorithms: tuple[str, ...]

    def first(self, kind: str) -> MediaSummary | None:
        return next((media for media in self.media if media.kind == kind), None)


def check_sdp(sdp: object, kind: SdpKind, need_video: bool = True) -> SdpSummary:
    """A summary of `sdp`, or `SdpError` saying what is wrong with it."""
    if not isinstance(sdp, str):
        raise SdpError(f"the {kind} is a {type(sdp).__name__}, not SDP text")
    if not sdp.strip():
        raise SdpError(f"the {kind} is empty")
    if len(sdp) > MAX_SDP_CHARS:
        raise SdpError(f"the {kind} is {len(sdp)} characters long (at most {MAX_SDP_CHARS})")
    if not sdp.lstrip().startswith("v=0"):
        raise SdpError(f"the {kind} is not SDP: it does not start with 'v=0'")
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as error:  # aiortc raises ValueError, AssertionError, IndexError...
        raise SdpError(f"the {kind} is malformed SDP ({type(error).__name__}: {error})") from None
    media = [entry for entry in parsed.media if entry.kind in ("audio", "video")]
    if not media:
        raise MissingMediaError(f"the {kind} has no audio or video section")
    summaries = [
        _check_media(entry, f"the {kind}'s {entry.kind} section (#{i + 1})")
        for i, entry in enumerate(media)
    ]
    algorithms = [
        fingerprint.algorithm
        for entry in media
        if entry.dtls is not None
        for fingerprint in entry.dtls.fingerprints
    ]
    summary = SdpSummary(kind, tuple(summaries), tuple(dict.fromkeys(algorithms)))
    video = summary.first("video")
    if need_video and (video is None or video.rejected):
        raise MissingMediaError(f"the {kind} has no video section (or rejects it)")
    if need_video and video is not None and video.direction == "inactive":
        raise MissingMediaError(f"the {kind}'s video section is inactive: no video either way")
    return summary


def _check_media(entry: MediaDescription, label: str) -> MediaSummary:
    rejected = entry.port == 0
    if entry.profile != SECURE_PROFILE:
        raise SdpError(
            f"{label} uses {entry.profile}, only {SECURE_PROFILE} (DTLS-SRTP) is allowed"
        )
    if not rejected:
        # aiortc copies session-level fingerprints and ICE credentials into each section.
        if entry.dtls is None or not entry.dtls.fingerprints:
            raise SdpError(f"{label} has no DTLS fingerprint (a=fingerprint)")
        if entry.ice is None or not entry.ice.usernameFragment or not entry.ice.password:
            raise SdpError(f"{label} has no ICE credentials (a=ice-ufrag / a=ice-pwd)")
        if not entry.rtp.codecs:
            raise SdpError(f"{label} lists no codecs (a=rtpmap)")
    return MediaSummary(
        kind=entry.kind,
        direction=entry.direction or "sendrecv",
        rejected=rejected,
        codecs=tuple(codec.mimeType.split("/", 1)[1] for codec in entry.rtp.codecs),
    )
