"""`/consultations/{id}/signal`: one specialist's browser in one call (JSON text frames).

The first message must be `{"type": "hello", "token": "<call token>"}` within
`HELLO_TIMEOUT_S`; the socket never uses the dashboard's cookie. A refused hello gets
an `error` and a close code: 4401 (token missing, malformed, forged, expired, for
another consultation), 4404 (no such consultation in the token's agency), 4400 (not a
hello, not JSON), 4409 (the call already ended). After `joined` the browser sends
`answer`, `hangup` and `ping`; a bad message gets an `error` and the socket stays
open. The server relays the robot's `offer`s and every `state`, and closes with 1000
when the call is declined or ended. Several tabs may join one call.

Only the writer task sends on the socket: the reader's replies and the hub's
messages all go through the link's queue.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect, WebSocketState

from fleet.calls import (
    SPECIALIST_HUNG_UP,
    BrowserLink,
    CallHub,
    CallRefusedError,
    check_call_token,
    consultation_message,
)
from fleet.context import FleetContext
from fleet.store import consultations as store
from fleet.store.accounts import User
from homecare.errors import HomecareError
from telepresence.sdp import check_sdp

log = logging.getLogger("fleet.calls")

router = APIRouter()

HELLO_TIMEOUT_S = 10.0
MAX_MESSAGE_BYTES = 64 * 1024
Message = dict[str, Any]


class BadMessageError(HomecareError):
    """A browser's message that cannot be used; the reply names why."""


@dataclass(frozen=True)
class _Session:
    """One joined socket of one user in one call."""

    websocket: WebSocket
    context: FleetContext
    hub: CallHub
    user: User
    consultation_id: int
    link: BrowserLink


@router.websocket("/consultations/{consultation_id}/signal")
async def signal(websocket: WebSocket, consultation_id: int) -> None:
    context: FleetContext = websocket.app.state.context
    await websocket.accept()
    hub = context.calls
    if hub is None:
        await _refuse(websocket, 4503, "video calls need the fleet's MQTT broker, not attached")
        return
    try:
        first = await asyncio.wait_for(websocket.receive(), HELLO_TIMEOUT_S)
    except TimeoutError:
        await _refuse(websocket, 4400, f"no hello within {HELLO_TIMEOUT_S:g} s")
        return
    if first["type"] == "websocket.disconnect":
        return
    try:
        hello = _parse(first)
        if hello.get("type") != "hello":
            raise BadMessageError(f"the first message must be a hello, not {hello.get('type')!r}")
    except BadMessageError as error:
        await _refuse(websocket, 4400, str(error))
        return

    def check() -> tuple[User, store.Consultation]:
        return check_call_token(context.db(), context.signing_key, hello.get("token"),
                                consultation_id, context.now())  # fmt: skip

    try:
        user, _ = await run_in_threadpool(check)
    except CallRefusedError as refused:
        await _refuse(websocket, refused.code, refused.reason)
        return
    link = hub.join(consultation_id, asyncio.get_running_loop())
    try:
        await _serve(_Session(websocket, context, hub, user, consultation_id, link))
    finally:
        hub.leave(consultation_id, link)


async def _serve(session: _Session) -> None:
    context, hub, user, link = session.context, session.hub, session.user, session.link
    consultation_id = session.consultation_id
    # Joined first, then read: a change in between arrives after the snapshot, not lost.
    current = await run_in_threadpool(
        lambda: store.get_consultation(context.db(), user.agency_id, consultation_id)
    )
    if current.final:
        await _refuse(session.websocket, 4409,
                      f"consultation {consultation_id} has {current.state}")  # fmt: skip
        return
    joined: Message = {"type": "joined", "consultation": consultation_message(current),
                       "ice_servers": hub.ice_servers()}  # fmt: skip
    link.queue.put_nowait(joined)
    offer = hub.latest_offer(consultation_id)
    if offer is not None:
        link.queue.put_nowait({"type": "offer", "sdp": offer})
    log.info("browser joined consultation=%d user=%d", consultation_id, user.id)
    # Whichever ends first (the browser left, or the call is over) stops the other; an
    # anyio task group, so the server's own cancellation reaches both as well.
    async with anyio.create_task_group() as group:

        async def read_then_stop() -> None:
            await _read(session)
            group.cancel_scope.cancel()

        async def write_then_stop() -> None:
            await _write(session.websocket, link)
            group.cancel_scope.cancel()

        group.start_soon(read_then_stop)
        group.start_soon(write_then_stop)


async def _write(websocket: WebSocket, link: BrowserLink) -> None:
    """Send what the hub and the reader queued; None: the call is over, close with 1000."""
    try:
        while True:
            message = await link.queue.get()
            if message is None:
                await websocket.close(code=1000, reason="the call is over")
                return
            await websocket.send_text(json.dumps(message, ensure_ascii=False))
    except (WebSocketDisconnect, RuntimeError):
        return  # the browser went away first


async def _read(session: _Session) -> None:
    while True:
        try:
            received = await session.websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if received["type"] == "websocket.disconnect":
            return
        try:
            reply = await _handle(_parse(received), session)
        except HomecareError as error:  # BadMessageError, SdpError, ConflictError, ...
            reply = {"type": "error", "reason": str(error)}
        if reply is not None:
            session.link.queue.put_nowait(reply)


async def _handle(message: Message, session: _Session) -> Message | None:
    context, hub, user = session.context, session.hub, session.user
    consultation_id = session.consultation_id
    kind = message.get("type")
    if kind == "ping":
        return {"type": "pong"}
    if kind == "answer":
        sdp = message.get("sdp")
        check_sdp(sdp, "answer")  # SdpError names what is wrong; nothing is relayed
        assert isinstance(sdp, str)
        await run_in_threadpool(lambda: hub.relay_answer(
            context.db(), user.agency_id, consultation_id, sdp, context.now()))  # fmt: skip
        return None
    if kind == "hangup":
        reason = message.get("reason", SPECIALIST_HUNG_UP)
        if not isinstance(reason, str) or len(reason) > 300:
            raise BadMessageError("a hangup's reason must be text of at most 300 characters")
        await run_in_threadpool(lambda: hub.hang_up(
            context.db(), user.agency_id, consultation_id, reason=reason, by="specialist",
            now=context.now(), user_id=user.id))  # fmt: skip
        return None  # the hub tells every tab (this one too) and closes them
    if kind == "hello":
        raise BadMessageError("already joined: send answer, hangup or ping")
    raise BadMessageError(f"unknown message type {kind!r}; expected answer, hangup or ping")


def _parse(received: Mapping[str, Any]) -> Message:
    text = received.get("text")
    if text is None:
        raise BadMessageError("send JSON text frames, not binary ones")
    size = len(text.encode("utf-8"))
    if size > MAX_MESSAGE_BYTES:
        raise BadMessageError(f"the message has {size} bytes; at most {MAX_MESSAGE_BYTES}")
    try:
        document = json.loads(text)
    except ValueError as error:
        raise BadMessageError(f"the message is not JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("type"), str):
        raise BadMessageError('a message must be a JSON object with a "type"')
    return document


async def _refuse(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state != WebSocketState.CONNECTED:
        return
    try:
        await websocket.send_text(json.dumps({"type": "error", "reason": reason},
                                             ensure_ascii=False))  # fmt: skip
        # A close reason travels in at most 123 bytes.
        short = reason.encode("utf-8")[:123].decode("utf-8", "ignore")
        await websocket.close(code=code, reason=short)
    except (WebSocketDisconnect, RuntimeError):
        pass
