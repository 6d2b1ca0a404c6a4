"""Settings of the robot's WebRTC peer: ICE servers, codec, frame rate, resolution.

Checked when made, so a wrong setting fails at start-up with a message naming
it rather than as a call that silently never connects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcicetransport import parse_stun_turn_uri

from telepresence.errors import IceServerError, MediaError

VideoCodec = Literal["VP8", "H264"]
VIDEO_CODECS: tuple[VideoCodec, ...] = ("VP8", "H264")


@dataclass(frozen=True)
class IceServer:
    """One STUN or TURN server: `stun:`, `turn:` (`?transport=udp|tcp`) or `turns:` (TLS, TCP)."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def __post_init__(self) -> None:
        if not self.urls:
            raise IceServerError("an ICE server needs at least one URL")
        for url in self.urls:
            check_ice_url(url)
            if url.startswith("turn") and (not self.username or not self.credential):
                raise IceServerError(f"TURN server {url} needs a username and a credential")

    def to_aiortc(self) -> RTCIceServer:
        return RTCIceServer(
            urls=list(self.urls), username=self.username, credential=self.credential
        )


def check_ice_url(url: str) -> None:
    """Raise `IceServerError` unless aiortc can use `url` (aiortc skips unusable ones silently)."""
    try:
        parsed = parse_stun_turn_uri(url)
    except ValueError as error:
        raise IceServerError(
            f"ICE server URL {url!r} is malformed ({error}); expected stun:host[:port], "
            "turn:host[:port][?transport=udp|tcp] or turns:host[:port][?transport=tcp]"
        ) from None
    if parsed["scheme"] == "stuns":
        raise IceServerError(
            f"ICE server URL {url!r}: stuns: is not supported, use stun: or turns:"
        )
    if parsed["scheme"] == "turns" and parsed["transport"] != "tcp":
        raise IceServerError(f"ICE server URL {url!r}: turns: runs over TCP only")


@dataclass(frozen=True)
class PeerConfig:
    """How the robot's peer sends and receives.

    `ice_servers` empty means host candidates only (loopback, one LAN): aiortc
    would otherwise ask a public STUN server, which a home without internet
    access cannot reach.
    """

    ice_servers: tuple[IceServer, ...] = ()
    video_codec: VideoCodec = "VP8"
    fps: float = 15.0
    max_width: int = 640
    max_height: int = 480
    adaptation_period_s: float = 2.0
    # Gathering candidates waits on the STUN/TURN servers; an unreachable one must not hang a call.
    negotiation_timeout_s: float = 10.0
    send_audio: bool = True

    def __post_init__(self) -> None:
        if self.video_codec not in VIDEO_CODECS:
            raise MediaError(
                f"video codec {self.video_codec!r} is not one of {', '.join(VIDEO_CODECS)}"
            )
        if not 0 < self.fps <= 60:
            raise MediaError(f"fps must be in (0, 60], got {self.fps}")
        check_resolution(self.max_width, self.max_height)
        if not self.negotiation_timeout_s > 0:
            raise MediaError(
                f"negotiation_timeout_s must be positive, got {self.negotiation_timeout_s}"
            )
        if not self.adaptation_period_s > 0:
            raise MediaError(
                f"adaptation_period_s must be positive, got {self.adaptation_period_s}"
            )

    def rtc_configuration(self) -> RTCConfiguration:
        return RTCConfiguration(iceServers=[server.to_aiortc() for server in self.ice_servers])


def check_resolution(width: int, height: int) -> None:
    if width < 16 or height < 16 or width > 4096 or height > 4096:
        raise MediaError(f"resolution {width}x{height} is outside 16x16 .. 4096x4096")
