"""The call hub: relays one consultation's signalling between the robot (MQTT) and the
specialists' browsers (WebSockets), and keeps the stored call state in step.

Robot signals arrive on paho's network thread (through `FleetIngest`), browser
messages on the web server's asyncio loop, HTTP routes on its thread pool. Every
hand-over to a browser goes through `loop.call_soon_threadsafe` into that socket's
own asyncio queue, so a socket is only ever written by its own task. The robot's
latest offer is kept in memory for browsers that join (or rejoin) later; it is
not stored: an SDP names the robot's addresses and is useless after the call.

Call tokens are short-lived JWTs signed with the service's key, bound to one user,
one agency and one consultation (`typ` "call"); the API's bearer tokens are refused
as call tokens and call tokens as bearer tokens (no `role` claim).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
import sqlite_utils

from fleet import protocol
from fleet.protocol import CALL_FROM_ROBOT, CallSignal, IceServerSpec, ProtocolError, RobotTopic
from fleet.store import consultations as store
from fleet.store.accounts import User, find_user
from fleet.store.common import ConflictError, NotFoundError
from fleet.store.consultations import Consultation, StateChange
from fleet.store.residents import get_resident
from homecare.errors import HomecareError
from homecare.settings import TelepresenceSettings

if TYPE_CHECKING:
    from fleet.context import FleetContext

log = logging.getLogger("fleet.calls")

Publish = Callable[[str, bytes, int, bool], None]
Message = dict[str, Any]
TOKEN_TYPE = "call"
_ALGORITHM = "HS256"  # as the API's bearer tokens (fleet.api.security)
# Past the robot's own connect deadline: the robot normally ends the call first.
CONNECT_GRACE_S = 15.0
UNREACHABLE = "the fleet cannot reach the robot now"
SPECIALIST_HUNG_UP = "the specialist hung up"
ROBOT_HUNG_UP = "the robot ended the call"
ROBOT_DECLINED = "the robot declined the call"

# The caller's role as the robot says it, in the resident's language.
SPOKEN_ROLES: dict[str, dict[str, str]] = {
    "ru": {"social_worker": "социальный работник", "operator": "оператор",
           "admin": "администратор", "caregiver": "сиделка"},
    "en": {"social_worker": "social worker", "operator": "operator",
           "admin": "administrator", "caregiver": "caregiver"},
}  # fmt: skip


def spoken_role(role: str, language: str) -> str:
    roles = SPOKEN_ROLES.get(language, SPOKEN_ROLES["ru"])
    return roles.get(role, role.replace("_", " "))


# tokens


@dataclass(frozen=True)
class CallToken:
    token: str
    expires_at: float
    signal_path: str  # "/consultations/{id}/signal"


class CallRefusedError(HomecareError):
    """A WebSocket join refused; `code` is the close code (4401, 4404, 4409, ...)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def signal_path(consultation_id: int) -> str:
    return f"/consultations/{consultation_id}/signal"


def issue_call_token(context: FleetContext, user: User, consultation: Consultation) -> CallToken:
    now = context.now()
    expires_at = float(int(now + context.settings.telepresence.call_token_ttl_s))
    payload = {
        "sub": str(user.id), "agency": user.agency_id, "cid": consultation.id,
        "typ": TOKEN_TYPE, "iat": int(now), "exp": int(expires_at),
    }  # fmt: skip
    token = jwt.encode(payload, context.signing_key, algorithm=_ALGORITHM)
    return CallToken(token, expires_at, signal_path(consultation.id))


def check_call_token(
    db: sqlite_utils.Database, key: str, token: object, consultation_id: int, now: float
) -> tuple[User, Consultation]:
    """The user and consultation a call token admits to `consultation_id`'s socket, or
    CallRefusedError with the close code and a clear reason."""
    if not isinstance(token, str) or not token:
        raise CallRefusedError(4401, "the hello carries no call token")
    try:
        # Expiry is checked against the injected clock below, as for the API's tokens.
        claims = jwt.decode(
            token, key, algorithms=[_ALGORITHM],
            options={"verify_exp": False, "verify_iat": False, "require": ["exp"]},
        )  # fmt: skip
    except jwt.InvalidSignatureError:
        raise CallRefusedError(4401, "the call token's signature is not valid") from None
    except jwt.PyJWTError:
        raise CallRefusedError(4401, "the call token is malformed") from None
    try:
        if claims.get("typ") != TOKEN_TYPE:
            raise CallRefusedError(4401, "this is not a call token: ask for one to join the call")
        expires, user_id = float(claims["exp"]), int(claims["sub"])
        agency_id, token_cid = int(claims["agency"]), int(claims["cid"])
    except (KeyError, TypeError, ValueError):
        raise CallRefusedError(4401, "the call token is malformed") from None
    if expires <= now:
        raise CallRefusedError(4401, "the call token has expired: ask for a new one")
    try:
        consultation = store.get_consultation(db, agency_id, consultation_id)
    except NotFoundError as error:  # missing, or another agency's: never said which
        raise CallRefusedError(4404, str(error)) from None
    if token_cid != consultation_id:
        raise CallRefusedError(
            4401, f"the call token is for consultation {token_cid}, not {consultation_id}"
        )
    user = find_user(db, user_id)
    if user is None or not user.active or user.agency_id != consultation.agency_id:
        raise CallRefusedError(
            4401, "the account of this call token no longer exists or is disabled"
        )
    if consultation.final:
        raise CallRefusedError(4409, f"consultation {consultation_id} has {consultation.state}")
    return user, consultation


# browsers


@dataclass(eq=False)
class BrowserLink:
    """One joined socket: messages for it go into its queue on its own loop (None: close)."""

    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Message | None] = field(default_factory=asyncio.Queue)

    def deliver(self, message: Message | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: the server is stopping
            self.loop.call_soon_threadsafe(self.queue.put_nowait, message)


def consultation_message(consultation: Consultation) -> Message:
    return {
        "id": consultation.id, "state": consultation.state, "reason": consultation.reason,
        "resident_id": consultation.resident_id, "resident_name": consultation.resident_name,
        "robot_id": consultation.robot_id, "caller_name": consultation.caller_name,
        "appointment_id": consultation.appointment_id,
    }  # fmt: skip


# the hub


class CallHub:
    def __init__(
        self,
        settings: TelepresenceSettings,
        publish: Publish,
        connected: Callable[[], bool],
        *,
        counters: Counter[str] | None = None,
    ) -> None:
        self.settings = settings
        self._publish, self._connected = publish, connected
        self.counters: Counter[str] = counters if counters is not None else Counter()
        self._lock = threading.Lock()
        self._links: dict[int, list[BrowserLink]] = {}
        self._offers: dict[int, str] = {}

    def ice_servers(self) -> list[Message]:
        return [server.model_dump() for server in self.settings.ice_servers]

    # specialists (HTTP routes and sockets)

    def start_call(
        self,
        db: sqlite_utils.Database,
        agency_id: int,
        caller: User,
        resident_id: int,
        *,
        appointment_id: int | None = None,
        request_id: int | None = None,
        now: float,
    ) -> Consultation:
        """Create (or answer a voice request with) a call and ring the resident's robot."""
        resident = get_resident(db, agency_id, resident_id)
        role = spoken_role(caller.role, resident.language)
        consultation = store.start_call(
            db, agency_id, resident_id, caller_user_id=caller.id, caller_name=caller.full_name,
            caller_role=role, appointment_id=appointment_id, request_id=request_id, now=now,
        )  # fmt: skip
        if not self._connected():
            change = store.change_state(db, consultation.id, "ended", reason=UNREACHABLE,
                                        by="fleet", now=now)  # fmt: skip
            self.counters["calls_unreachable"] += 1
            return change.consultation
        ring = CallSignal(
            consultation_id=str(consultation.id), type="ring", caller_name=caller.full_name[:120],
            caller_role=role[:120], lang=resident.language,
            ice_servers=[IceServerSpec.model_validate(s) for s in self.ice_servers()],
            connect_deadline_s=self.settings.connect_deadline_s, ts=now,
        )  # fmt: skip
        self._send_robot(consultation, ring)
        self.counters["calls_started"] += 1
        log.info("call ringing consultation=%d robot=%s", consultation.id, consultation.robot_id)
        return consultation

    def hang_up(
        self,
        db: sqlite_utils.Database,
        agency_id: int,
        consultation_id: int,
        *,
        reason: str,
        by: str,
        now: float,
        user_id: int | None = None,
    ) -> Consultation:
        """End the call (ConflictError if it already ended) and tell the robot and browsers."""
        reason = reason.strip()[:300] or SPECIALIST_HUNG_UP
        change = store.end_by_specialist(db, agency_id, consultation_id, reason=reason,
                                         user_id=user_id, now=now)  # fmt: skip
        if change.previous != "requested":  # a voice request never rang the robot
            self._send_robot(change.consultation, _hangup(consultation_id, reason, now))
        self._tell_browsers(change)
        log.info("call ended consultation=%d by=%s reason=%r", consultation_id, by, reason)
        return change.consultation

    def relay_answer(
        self, db: sqlite_utils.Database, agency_id: int, consultation_id: int, sdp: str, now: float
    ) -> None:
        """A browser's answer (already checked) to the robot, if the call awaits one."""
        current = store.get_consultation(db, agency_id, consultation_id)
        if current.state not in ("accepted", "connected", "reconnecting"):
            raise ConflictError(
                f"consultation {consultation_id} is {current.state}: "
                "there is no offer from the robot to answer"
            )
        if len(sdp) > protocol.MAX_SDP_CHARS:
            raise ConflictError(
                f"the answer has {len(sdp)} characters; at most {protocol.MAX_SDP_CHARS} travel"
            )
        self._send_robot(current, CallSignal(consultation_id=str(consultation_id),
                                             type="answer", sdp=sdp, ts=now))  # fmt: skip
        self.counters["call_answers_relayed"] += 1

    def join(self, consultation_id: int, loop: asyncio.AbstractEventLoop) -> BrowserLink:
        link = BrowserLink(loop)
        with self._lock:
            self._links.setdefault(consultation_id, []).append(link)
        return link

    def leave(self, consultation_id: int, link: BrowserLink) -> None:
        with self._lock:
            links = self._links.get(consultation_id, [])
            if link in links:
                links.remove(link)
            if not links:
                self._links.pop(consultation_id, None)

    def latest_offer(self, consultation_id: int) -> str | None:
        with self._lock:
            return self._offers.get(consultation_id)

    # the robot (paho's network thread)

    def on_robot_signal(
        self, db: sqlite_utils.Database, topic: RobotTopic, payload: bytes, now: float
    ) -> None:
        """One `call_res` signal; ProtocolError (counted by the ingest) if refused."""
        signal = protocol.decode_call_signal(topic, payload, CALL_FROM_ROBOT)
        if not signal.consultation_id.isdigit():
            raise ProtocolError(f"consultation id {signal.consultation_id!r} is not a number")
        consultation_id = int(signal.consultation_id)
        current = store.find_consultation(db, consultation_id)
        if current is None:
            self.counters["call_signals_refused"] += 1
            raise ProtocolError(f"no consultation {consultation_id}")
        if current.robot_id != topic.rid:
            self.counters["call_signals_refused"] += 1
            raise ProtocolError(f"robot {topic.rid} is not consultation {consultation_id}'s robot")
        if current.final:
            # With several workers another one may have stored the end first: this
            # worker's browsers still hear of it.
            self._tell_browsers(StateChange(current, changed=False, previous=current.state))
            self.counters["call_signals_after_end"] += 1
            raise ProtocolError(
                f"consultation {consultation_id} is already {current.state}; "
                f"its {signal.type!r} signal is ignored"
            )
        self.counters["call_signals"] += 1
        if signal.type == "offer":
            with self._lock:
                self._offers[consultation_id] = signal.sdp
            self._broadcast(consultation_id, {"type": "offer", "sdp": signal.sdp})
        elif signal.type == "error":
            self._broadcast(consultation_id, {"type": "error", "reason": signal.reason})
        else:
            state, reason = _robot_state(signal, current.state)
            if state is None:
                return
            change = store.change_state(db, consultation_id, state, reason=reason, by="robot",
                                        now=now)  # fmt: skip
            if not change.changed and change.consultation.state != state:
                self.counters["call_signals_ignored"] += 1
                return
            # Unchanged but already there: a repeat, or another worker stored it first.
            self._tell_browsers(change)

    # the periodic sweep

    def sweep(self, db: sqlite_utils.Database, now: float) -> int:
        """End calls the robot never answered or that never connected; how many ended."""
        overdue = store.overdue_calls(
            db, now, ring_timeout_s=self.settings.ring_timeout_s,
            connect_timeout_s=self.settings.connect_deadline_s + CONNECT_GRACE_S,
        )  # fmt: skip
        ended = 0
        for consultation, reason in overdue:
            change = store.change_state(db, consultation.id, "ended", reason=reason, by="fleet",
                                        now=now)  # fmt: skip
            if not change.changed:
                continue
            ended += 1
            self.counters["calls_timed_out"] += 1
            # The robot may still be asking the resident or trying to connect: stop it.
            self._send_robot(change.consultation, _hangup(consultation.id, reason, now))
            self._tell_browsers(change)
            log.info("call timed out consultation=%d reason=%r", consultation.id, reason)
        return ended

    # helpers

    def _send_robot(self, consultation: Consultation, signal: CallSignal) -> None:
        topic = protocol.call_topic(consultation.robot_id, str(consultation.id))
        # QoS 1, not retained: a ring must not wait in the broker for a later call.
        self._publish(topic, protocol.encode(signal), 1, False)

    def _tell_browsers(self, change: StateChange) -> None:
        consultation = change.consultation
        self._broadcast(consultation.id, {"type": "state", "state": consultation.state,
                                          "reason": consultation.reason})  # fmt: skip
        if consultation.final:
            with self._lock:
                links = self._links.pop(consultation.id, [])
                self._offers.pop(consultation.id, None)
            for link in links:
                link.deliver(None)

    def _broadcast(self, consultation_id: int, message: Message) -> None:
        with self._lock:
            links = list(self._links.get(consultation_id, []))
        for link in links:
            link.deliver(message)


def _hangup(consultation_id: int, reason: str, now: float) -> CallSignal:
    return CallSignal(consultation_id=str(consultation_id), type="hangup", reason=reason, ts=now)


def _robot_state(signal: CallSignal, current: str) -> tuple[str | None, str]:
    """The stored state a robot's accepted/declined/state/hangup signal leads to."""
    if signal.type == "accepted":
        return "accepted", ""
    if signal.type == "declined":
        return "declined", signal.reason or ROBOT_DECLINED
    if signal.type == "hangup":
        return "ended", signal.reason or ROBOT_HUNG_UP
    # `state`: connecting is part of `accepted` (reconnecting keeps its own name).
    if signal.state == "connecting":
        return ("accepted", "") if current == "ringing" else (None, "")
    return (signal.state or None), ""
