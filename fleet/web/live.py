"""Live incidents over Server-Sent Events: `/incidents/stream`.

Every page of a signed-in user listens, so a new incident shows wherever the
operator is. The stream polls the database about once a second (the MQTT ingest
may run in another process, so there is nothing in memory to subscribe to) and
sends, as `text/event-stream`:

- `sync` once per connection: the ids of the open and acknowledged incidents, so a
  page that reconnects drops cards of incidents resolved while it was away;
- `incident` for an incident the page has not seen (`new: true`, id above the
  `Last-Event-ID`/`?after=` it gave) or whose status or escalation deliveries changed,
  with the card's HTML rendered by the same template as the page; `status: resolved`
  removes a card;
- `count` when the number of open incidents changes (title counter, nav badge);
- `calls` when the number of residents waiting to be called back changes (their
  `call.request`s: the Consultations badge, and a beep when one more asks);
- a `: keep-alive` comment after 15 s of silence, so proxies keep the line open.

Each `incident` event's id is the newest incident id sent so far; the browser's
EventSource sends it back as `Last-Event-ID` when it reconnects.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import sqlite_utils
from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response, StreamingResponse

from fleet.api.deps import user_from_token
from fleet.store.consultations import waiting_requests
from fleet.store.incidents import Incident, incident_counts, list_incidents
from fleet.store.notifications import notifications_of
from fleet.web.i18n import choose_lang, label
from fleet.web.incident_pages import (
    ACTIVE_STATUSES,
    OUTCOMES,
    SHOWN_PER_STATUS,
    incident_views,
    newest_incident_id,
)
from fleet.web.render import fragment
from fleet.web.session import WebSession, context_of, read_session

router = APIRouter()

POLL_S = 1.0
KEEPALIVE_S = 15.0
# How often a long-lived stream re-checks its session (disabled user, expired token);
# when it fails the stream ends and the browser reconnects with its current cookie.
REAUTH_S = 60.0
RETRY_MS = 3000


@router.get("/incidents/stream")
async def incident_stream(request: Request, after: str = "") -> Response:
    # Answered 401 rather than redirected: EventSource cannot follow a sign-in page,
    # and the page script turns the 401 into a visible "sign in again" banner.
    session = await run_in_threadpool(read_session, request)
    if session is None:
        return JSONResponse({"detail": "not signed in"}, status_code=401)
    start = _parse_id(request.headers.get("last-event-id")) or _parse_id(after)
    feed = IncidentFeed(request, session, start)
    return StreamingResponse(
        feed.stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


class IncidentFeed:
    """What one connected page has been told, and what to tell it next."""

    def __init__(self, request: Request, session: WebSession, last_id: int | None) -> None:
        self.request = request
        self.session = session
        self.last_id = last_id
        # id -> what its card showed (status and deliveries); None until the first poll
        self.known: dict[int, str] | None = None
        self.open_count: int | None = None
        self.calls_waiting: int | None = None

    async def stream(self) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        yield f"retry: {RETRY_MS}\n\n"  # also lets the browser see the stream is open at once
        last_sent = last_auth = loop.time()
        while not await self.request.is_disconnected():
            messages = await run_in_threadpool(self.poll)
            for message in messages:
                yield message
            if messages:
                last_sent = loop.time()
            elif loop.time() - last_sent >= KEEPALIVE_S:
                yield ": keep-alive\n\n"
                last_sent = loop.time()
            if loop.time() - last_auth >= REAUTH_S:
                if not await run_in_threadpool(self.session_valid):
                    return
                last_auth = loop.time()
            await asyncio.sleep(POLL_S)

    def poll(self) -> list[str]:
        """The messages for what changed since the last poll (runs on a worker thread)."""
        context = context_of(self.request)
        db, agency = context.db(), self.session.agency_id
        if self.last_id is None:
            self.last_id = newest_incident_id(db, agency)
        fresh = list_incidents(db, agency, after_id=self.last_id, limit=SHOWN_PER_STATUS).items
        active = {
            incident.id: incident
            for status in ACTIVE_STATUSES
            for incident in list_incidents(db, agency, status=status, limit=SHOWN_PER_STATUS).items
        }
        first = self.known is None
        messages = [_event("sync", {"active": sorted(active)})] if first else []
        versions = _versions(db, active)
        messages += self._changes(sorted(fresh, key=lambda i: i.id), active, versions)
        messages += self._count(incident_counts(db, agency)["open"])
        messages += self._calls(waiting_requests(db, agency))
        return messages

    def _changes(
        self, fresh: list[Incident], active: dict[int, Incident], versions: dict[int, str]
    ) -> list[str]:
        """New incidents, then status changes, then those that left (resolved)."""
        known = self.known or {}
        fresh_ids = {incident.id for incident in fresh}
        self.last_id = max([self.last_id or 0, *fresh_ids])
        changed = [
            i
            for i in active.values()
            if i.id not in fresh_ids and known.get(i.id) != versions[i.id]
        ]
        gone = sorted(set(known) - set(active) - fresh_ids)
        self.known = versions
        return (
            [self._card(incident, new=True) for incident in fresh]
            + [self._card(incident, new=False) for incident in sorted(changed, key=lambda i: i.id)]
            + [self._incident_event({"id": i, "status": "resolved"}) for i in gone]
        )

    def session_valid(self) -> bool:
        context = context_of(self.request)
        try:
            user = user_from_token(context, context.db(), self.session.token)
        except HTTPException:
            return False
        return user.agency_id == self.session.agency_id

    def _card(self, incident: Incident, *, new: bool) -> str:
        if incident.status not in ACTIVE_STATUSES:
            return self._incident_event({"id": incident.id, "status": incident.status})
        context = context_of(self.request)
        view = incident_views(context.db(), self.session.agency_id, [incident], context.now())[0]
        lang = choose_lang(self.request)
        values = {"view": view, "outcomes": OUTCOMES}
        html = fragment(self.request, "_incident.html", values, session=self.session)
        summary = " · ".join(
            (label(lang, "severity", incident.severity), label(lang, "kind", incident.kind),
             incident.robot_id)
        )  # fmt: skip
        return self._incident_event(
            {
                "id": incident.id,
                "status": incident.status,
                "severity": incident.severity,
                "new": new,
                "summary": summary,
                "html": html,
            }
        )

    def _incident_event(self, data: dict[str, Any]) -> str:
        return _event("incident", data, event_id=self.last_id)

    def _count(self, open_count: int) -> list[str]:
        if open_count == self.open_count:
            return []
        self.open_count = open_count
        return [_event("count", {"open": open_count})]

    def _calls(self, waiting: int) -> list[str]:
        if waiting == self.calls_waiting:
            return []
        self.calls_waiting = waiting
        return [_event("calls", {"waiting": waiting})]


def _versions(db: sqlite_utils.Database, active: dict[int, Incident]) -> dict[int, str]:
    """What each active card shows that may change: its status and its deliveries' states."""
    sent = notifications_of(db, list(active))
    return {
        incident_id: ",".join(
            [incident.status, *(f"{n.id}:{n.status}" for n in sent.get(incident_id, []))]
        )
        for incident_id, incident in active.items()
    }


def _event(name: str, data: dict[str, Any], event_id: int | None = None) -> str:
    # JSON keeps the data on one line (newlines inside strings are escaped), as SSE needs.
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _parse_id(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None
