"""Errors of a video consultation, each naming what was wrong.

They are `HomecareError`s: a signalling edge turns them into a refusal with a
reason (HTTP 4xx, a WebSocket close reason, a spoken explanation) and the robot
stays ready for the next call.
"""

from __future__ import annotations

from homecare.errors import HomecareError


class TelepresenceError(HomecareError):
    """A call could not be set up or went wrong; the message says why."""


class SdpError(TelepresenceError):
    """A session description (offer or answer) is malformed or unusable."""


class MissingMediaError(SdpError):
    """A session description lacks media the call needs (e.g. an answer without video)."""


class CallStateError(TelepresenceError):
    """An operation that does not fit the call's state (an answer with no offer out, ...)."""


class NegotiationTimeoutError(TelepresenceError):
    """Creating an offer or answer took too long (usually unreachable STUN/TURN servers)."""


class IceServerError(TelepresenceError):
    """A STUN/TURN server setting aiortc cannot use."""


class MediaError(TelepresenceError):
    """A camera frame or audio file the peer cannot send."""
