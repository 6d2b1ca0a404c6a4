"""The robot's side of one video consultation at a time: consent, connection, hang-up.

A plain core on the `Clock` (no asyncio, no ROS, no fleet): the telepresence
node feeds it the fleet's call signals, the resident's intents, the WebRTC
peer's states and the time, and performs the actions it returns.

    idle -> asking -> connecting -> connected <-> reconnecting -> idle

Privacy rules it enforces:
- nothing but the intent `yes` while asking makes a peer (`MakeOffer`): no
  camera frame is used and no media can flow before the resident agreed;
- `CameraShared(True)`, the visible indicator, is on only while connected;
  every way out of a call turns it off and says so;
- the resident can end the call at any time with `call.end`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from homecare.clock import Clock
from telepresence.config import IceServer
from telepresence.phrases import Phrase, camera_on, phrase, ring_question

RESIDENT_SAID_NO = "the resident said no"
NO_ANSWER = "no answer"
BUSY = "busy"
RESIDENT_ENDED = "the resident ended the call"


class ConsultationState(enum.StrEnum):
    IDLE = "idle"
    ASKING = "asking"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


# States in which a peer exists (the resident said yes) and camera frames may be used.
IN_CALL = (
    ConsultationState.CONNECTING,
    ConsultationState.CONNECTED,
    ConsultationState.RECONNECTING,
)

# States in which the robot's offer is out and an answer (or a connection) is awaited.
WAITING_FOR_ANSWER = (ConsultationState.CONNECTING, ConsultationState.RECONNECTING)


@dataclass(frozen=True)
class IncomingSignal:
    """A fleet -> robot call signal (`fleet.protocol.CallSignal`, already validated)."""

    consultation_id: str
    type: str  # ring, answer, hangup, cancel
    sdp: str = ""
    reason: str = ""
    caller_name: str = ""
    caller_role: str = ""
    lang: str = ""
    ice_servers: tuple[IceServer, ...] = ()
    connect_deadline_s: float | None = None  # None: the core's default


# actions


@dataclass(frozen=True)
class Say:
    text: str
    lang: str
    expects_answer: bool = False


@dataclass(frozen=True)
class SendSignal:
    """A robot -> fleet call signal (the fields of `fleet.protocol.CallSignal`)."""

    consultation_id: str
    type: str  # accepted, declined, offer, state, hangup, error
    sdp: str = ""
    state: str = ""
    reason: str = ""


@dataclass(frozen=True)
class MakeOffer:
    """Make the call's WebRTC peer and its offer; report with `on_offer_ready`/`on_offer_failed`."""

    consultation_id: str
    ice_servers: tuple[IceServer, ...]


@dataclass(frozen=True)
class ApplyAnswer:
    """Apply the specialist's answer; a refusal comes back through `on_answer_refused`."""

    sdp: str


@dataclass(frozen=True)
class RestartPeer:
    """Tear the connection down and make a new offer (aiortc has no ICE restart)."""


@dataclass(frozen=True)
class ClosePeer:
    """End the media: close the peer and release camera, microphone and speaker."""


@dataclass(frozen=True)
class CameraShared:
    """The visible indicator: True exactly while the camera is seen by the far side."""

    shared: bool


@dataclass(frozen=True)
class SendEvent:
    """A `/fleet/event` (type and fields; the node adds the id)."""

    type: str
    fields: dict[str, object]


Action = (
    Say | SendSignal | MakeOffer | ApplyAnswer | RestartPeer | ClosePeer | CameraShared | SendEvent
)


@dataclass
class _Call:
    consultation_id: str
    caller_name: str
    caller_role: str
    lang: str
    ice_servers: tuple[IceServer, ...]
    connect_deadline_s: float
    asked_at: float
    repeated: bool = False
    # When the current connection attempt started (accept, or the start of a reconnect).
    attempt_started: float = 0.0
    offers_made: int = 0
    ever_connected: bool = False


@dataclass(frozen=True)
class ConsultationParams:
    consent_timeout_s: float = 30.0
    default_connect_deadline_s: float = 30.0
    lang: str = "ru"

    def __post_init__(self) -> None:
        if not self.consent_timeout_s > 0 or not self.default_connect_deadline_s > 0:
            raise ValueError("consent_timeout_s and default_connect_deadline_s must be positive")


class Consultation:
    """At most one call at a time; every method returns the actions to perform, in order."""

    def __init__(self, params: ConsultationParams, clock: Clock) -> None:
        self.params = params
        self.clock = clock
        self._call: _Call | None = None
        self._state = ConsultationState.IDLE
        self.camera_shared = False

    @property
    def state(self) -> ConsultationState:
        return self._state

    @property
    def consultation_id(self) -> str | None:
        return self._call.consultation_id if self._call else None

    @property
    def media_allowed(self) -> bool:
        """The resident said yes and the call is not over: camera frames may go to the peer."""
        return self._state in IN_CALL

    # -- inputs --------------------------------------------------------------------------

    def on_signal(self, signal: IncomingSignal) -> list[Action]:
        """A signal from the fleet; one for another consultation than the current is ignored."""
        if signal.type == "ring":
            return self._on_ring(signal)
        call = self._call
        if call is None or signal.consultation_id != call.consultation_id:
            return []
        if signal.type == "answer":
            return [ApplyAnswer(signal.sdp)] if self._state in WAITING_FOR_ANSWER else []
        if signal.type not in ("hangup", "cancel"):
            return []
        if self._state is ConsultationState.ASKING:
            return self._finish([Say(phrase(Phrase.CANCELLED, call.lang), call.lang)])
        return self._end_call(Say(phrase(Phrase.ENDED, call.lang), call.lang))

    def on_intent(
        self, name: str, lang: str = "", slots: dict[str, object] | None = None
    ) -> list[Action]:
        """An intent from the dialog (`yes`, `no`, `cancel`, `call.end`, `call.request`)."""
        call = self._call
        if name == "call.request":
            return self._on_call_request(lang, slots or {})
        if call is None:
            return []
        if self._state is ConsultationState.ASKING:
            return self._answer_question(call, name)
        if name == "call.end" and self._state in IN_CALL:
            hangup = SendSignal(call.consultation_id, "hangup", reason=RESIDENT_ENDED)
            return self._end_call(Say(phrase(Phrase.ENDED, call.lang), call.lang), hangup)
        return []

    def on_offer_ready(self, consultation_id: str, sdp: str) -> list[Action]:
        """The peer made its offer (first, or after a restart)."""
        call = self._call
        if call is None or call.consultation_id != consultation_id or self._state not in IN_CALL:
            return []
        call.offers_made += 1
        actions: list[Action] = [SendSignal(call.consultation_id, "offer", sdp=sdp)]
        if call.offers_made == 1:
            actions.append(SendSignal(call.consultation_id, "state", state="connecting"))
        return actions

    def on_offer_failed(self, consultation_id: str, reason: str) -> list[Action]:
        """The peer could not make an offer (e.g. unreachable STUN/TURN servers)."""
        call = self._call
        if call is None or call.consultation_id != consultation_id or self._state not in IN_CALL:
            return []
        return self._could_not_connect(call, f"could not make an offer: {reason}")

    def on_answer_refused(self, reason: str) -> list[Action]:
        """The specialist's answer was unusable: say why and wait for a good one."""
        call = self._call
        if call is None or self._state not in IN_CALL:
            return []
        return [SendSignal(call.consultation_id, "error", reason=reason)]

    def on_peer_state(self, state: str) -> list[Action]:
        """The peer's state: connecting, connected, failed or closed (`RobotPeer.state`)."""
        call = self._call
        if call is None or self._state not in IN_CALL:
            return []
        if state == "connected" and self._state is not ConsultationState.CONNECTED:
            self._state = ConsultationState.CONNECTED
            actions: list[Action] = [
                SendSignal(call.consultation_id, "state", state="connected"),
                *self._camera(True),
            ]
            if not call.ever_connected:
                actions.append(Say(camera_on(call.caller_name, call.lang), call.lang))
            call.ever_connected = True
            return actions
        if state in ("failed", "closed"):
            if self._state is ConsultationState.CONNECTED:
                # The link dropped: renegotiate from scratch; the deadline starts again.
                self._state = ConsultationState.RECONNECTING
                call.attempt_started = self.clock.monotonic()
                return [
                    *self._camera(False),
                    SendSignal(call.consultation_id, "state", state="reconnecting"),
                    RestartPeer(),
                ]
            # Failed before connecting: a fresh offer within the same deadline.
            return [RestartPeer()]
        return []

    def tick(self) -> list[Action]:
        call = self._call
        if call is None:
            return []
        now = self.clock.monotonic()
        if self._state is ConsultationState.ASKING:
            waited = now - call.asked_at
            if waited >= self.params.consent_timeout_s:
                declined = SendSignal(call.consultation_id, "declined", reason=NO_ANSWER)
                return self._finish([declined])
            if not call.repeated and waited >= self.params.consent_timeout_s / 2:
                call.repeated = True
                return [self._question(call)]
            return []
        waited = now - call.attempt_started
        if self._state in WAITING_FOR_ANSWER and waited >= call.connect_deadline_s:
            return self._could_not_connect(
                call, f"could not connect within {call.connect_deadline_s:g} s"
            )
        return []

    # -- transitions ---------------------------------------------------------------------

    def _on_ring(self, signal: IncomingSignal) -> list[Action]:
        call = self._call
        if call is not None:
            if call.consultation_id == signal.consultation_id:
                return []  # the same ring again (a resend): already asked
            return [SendSignal(signal.consultation_id, "declined", reason=BUSY)]
        lang = signal.lang if signal.lang in ("ru", "en") else self.params.lang
        deadline = signal.connect_deadline_s or self.params.default_connect_deadline_s
        self._call = call = _Call(
            consultation_id=signal.consultation_id,
            caller_name=signal.caller_name,
            caller_role=signal.caller_role,
            lang=lang,
            ice_servers=signal.ice_servers,
            connect_deadline_s=deadline,
            asked_at=self.clock.monotonic(),
        )
        self._state = ConsultationState.ASKING
        return [self._question(call)]

    def _question(self, call: _Call) -> Say:
        text = ring_question(call.caller_name, call.caller_role, call.lang)
        return Say(text, call.lang, expects_answer=True)

    def _accept(self, call: _Call) -> list[Action]:
        self._state = ConsultationState.CONNECTING
        call.attempt_started = self.clock.monotonic()
        return [
            SendSignal(call.consultation_id, "accepted"),
            MakeOffer(call.consultation_id, call.ice_servers),
        ]

    def _answer_question(self, call: _Call, name: str) -> list[Action]:
        if name == "yes":
            return self._accept(call)
        if name in ("no", "cancel", "call.end"):
            return self._decline(call)
        return []  # "I'm fine", "what time is it": not an answer to this question

    def _decline(self, call: _Call) -> list[Action]:
        declined = SendSignal(call.consultation_id, "declined", reason=RESIDENT_SAID_NO)
        return self._finish([declined, Say(phrase(Phrase.DECLINED, call.lang), call.lang)])

    def _could_not_connect(self, call: _Call, reason: str) -> list[Action]:
        explanation = Say(phrase(Phrase.COULD_NOT_CONNECT, call.lang), call.lang)
        return self._end_call(
            explanation, SendSignal(call.consultation_id, "hangup", reason=reason)
        )

    def _end_call(self, said: Say, signal: SendSignal | None = None) -> list[Action]:
        # The indicator goes off on every end, shared or not: it is latched, and a screen
        # that missed a transition must not stay lit.
        self.camera_shared = False
        actions: list[Action] = [ClosePeer(), CameraShared(False)]
        if signal is not None:
            actions.append(signal)
        actions.append(said)
        return self._finish(actions)

    def _finish(self, actions: list[Action]) -> list[Action]:
        self._call = None
        self._state = ConsultationState.IDLE
        return actions

    def _camera(self, shared: bool) -> list[Action]:
        # Announced only on a change, so the indicator topic carries transitions.
        if shared == self.camera_shared:
            return []
        self.camera_shared = shared
        return [CameraShared(shared)]

    def _on_call_request(self, lang: str, slots: dict[str, object]) -> list[Action]:
        # The dialog publishes call.request only after the resident's yes (slot `confirmed`).
        if self._call is not None or not slots.get("confirmed"):
            return []
        lang = lang if lang in ("ru", "en") else self.params.lang
        fields: dict[str, object] = {
            "role": str(slots.get("role", "")),
            "person": str(slots.get("person", "")),
            "lang": lang,
        }
        return [
            SendEvent("call.request", fields),
            Say(phrase(Phrase.REQUEST_SENT, lang), lang),
        ]
