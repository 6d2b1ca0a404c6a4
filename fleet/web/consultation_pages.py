"""Video consultations in the dashboard: the list of calls and call-back requests, starting
and ending a call, and the call page (the resident's video beside the resident's card).

The page itself only renders; the browser side of the call is `static/consultation.js`
(CSP forbids inline script): it opens the consultation's signalling WebSocket with the
call token the page embeds, answers the robot's offer and follows the call's states.
Calls start and end through the same `CallHub` (fleet/calls.py) as the API, so a call
placed here reaches the robot exactly as one placed with `/api/v1/consultations`.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote

import sqlite_utils
from fastapi import APIRouter, Form, Request
from starlette.responses import JSONResponse, Response

from fleet.api.deps import CALLERS
from fleet.calls import CallHub, issue_call_token
from fleet.store.appointments import Appointment, get_appointment
from fleet.store.common import ConflictError, InvalidChangeError, NotFoundError
from fleet.store.consultations import (
    ACTIVE_STATES,
    Consultation,
    consultation_events,
    get_consultation,
    list_consultations,
)
from fleet.store.incidents import Incident, list_incidents
from fleet.store.reminders import get_schedule
from fleet.store.rentals import list_rentals
from fleet.store.residents import Resident, get_resident
from fleet.web.errors import ActionConflictError, ForbiddenError, PageNotFoundError
from fleet.web.i18n import STRINGS, Lang, choose_lang, translate
from fleet.web.paging import parse_id
from fleet.web.render import harden, redirect, render
from fleet.web.routing import PageRoute
from fleet.web.session import (
    CSRF_HEADER,
    FormSession,
    Session,
    WebSession,
    context_of,
    csrf_ok,
    read_session,
    safe_next,
)
from reminders.recurrence import Occurrence, schedule_occurrences

router = APIRouter(route_class=PageRoute)
Field = Annotated[str, Form()]

RECENT_CALLS = 20
RECENT_ALERTS = 5
# Enough of a robot's incidents to still find the resident's after leaving out another
# renter's (a robot rented again after this resident returned it).
_ALERTS_SCANNED = 100
TODAY_KINDS = ("medication", "appointment")
HANGUP_REASON = "the specialist hung up"
ERROR_PARAM = "call_error"
# States in which the page joins the call: ringing until it has ended.
_JOINABLE = tuple(state for state in ACTIVE_STATES if state != "requested")


@dataclass(frozen=True)
class ResidentCard:
    """What the specialist sees beside the video."""

    resident: Resident | None  # None: erased since the call
    today: list[Occurrence]
    alerts: list[Incident]
    appointment: Appointment | None


# the list


@router.get("/consultations")
def consultations_page(request: Request, session: Session) -> Response:
    context = context_of(request)
    db, agency = context.db(), session.agency_id
    active = list_consultations(db, agency, active_only=True, limit=100)
    recent = [c for c in list_consultations(db, agency, limit=50) if c.state not in ACTIVE_STATES]
    values = {
        "requests": [c for c in active if c.state == "requested"],
        "calls": [c for c in active if c.state != "requested"],
        "recent": recent[:RECENT_CALLS],
        **_common(request, session),
    }
    return render(request, "consultations.html", values, session=session)


# starting and ending calls


@router.post("/consultations")
def start_call(  # noqa: PLR0917 (one form field per parameter)
    request: Request,
    session: FormSession,
    resident_id: Field = "",
    appointment_id: Field = "",
    request_id: Field = "",
    back: Field = "",
) -> Response:
    """Rings the resident's robot and opens the call page; a call that cannot start now
    (no robot rented, the robot already in a call) goes back with the reason shown."""
    context = context_of(request)
    return_to = safe_next(back) if back else "/consultations"
    _require_caller(session)
    resident = parse_id(resident_id)
    appointment = parse_id(appointment_id) if appointment_id else None
    voice_request = parse_id(request_id) if request_id else None
    hub = _hub_or_none(request)
    if hub is None:
        return redirect(with_error(return_to, translate(choose_lang(request), "call_no_hub")))
    try:
        consultation = hub.start_call(context.db(), session.agency_id, session.user, resident,
                                      appointment_id=appointment, request_id=voice_request,
                                      now=context.now())  # fmt: skip
    except (ConflictError, InvalidChangeError) as error:
        return redirect(with_error(return_to, str(error)))
    return redirect(f"/consultations/{consultation.id}")


@router.post("/consultations/{consultation_id}/hangup")
def hang_up(request: Request, consultation_id: str, session: FormSession) -> Response:
    """The page's Hang up without script (the script hangs up over the WebSocket)."""
    context = context_of(request)
    db, number = context.db(), parse_id(consultation_id)
    consultation = get_consultation(db, session.agency_id, number)  # 404 before the role
    _require_caller(session)
    if consultation.state in ACTIVE_STATES:  # hanging up twice is no error
        hub = _hub_or_none(request)
        if hub is None:
            raise ActionConflictError(translate(choose_lang(request), "call_no_hub"))
        # It may have ended meanwhile (the resident, the robot): the page then shows how.
        with suppress(ConflictError):
            hub.hang_up(db, session.agency_id, number, reason=HANGUP_REASON, by="specialist",
                        now=context.now(), user_id=session.user.id)  # fmt: skip
    return redirect(f"/consultations/{number}")


@router.post("/consultations/{consultation_id}/token")
def fresh_token(request: Request, consultation_id: str) -> Response:
    """A new call token for the page's script, to rejoin after the socket dropped.

    Answers JSON, never a page or a redirect, so the script can tell "signed out" (401)
    from "the call has ended" (409). The session cookie and the page's CSRF token (the
    header dashboard.js sends too) stand for the API's bearer token, which the page
    cannot read (the cookie is HttpOnly).
    """
    session = read_session(request)
    if session is None:
        return _json({"detail": "not signed in"}, 401)
    if not csrf_ok(session, request.headers.get(CSRF_HEADER, "")):
        return _json({"detail": "CSRF token missing or wrong"}, 403)
    if session.user.role not in CALLERS:
        return _json({"detail": "only admins, operators and social workers join calls"}, 403)
    context = context_of(request)
    try:
        consultation = get_consultation(context.db(), session.agency_id, parse_id(consultation_id))
    except (NotFoundError, PageNotFoundError):
        return _json({"detail": f"no consultation {consultation_id} in your agency"}, 404)
    if consultation.state not in _JOINABLE:
        detail = {"detail": f"consultation {consultation.id} is {consultation.state}",
                  "state": consultation.state, "reason": consultation.reason}  # fmt: skip
        return _json(detail, 409)
    token = issue_call_token(context, session.user, consultation)
    return _json({"token": token.token, "expires_at": token.expires_at,
                  "signal_path": token.signal_path}, 200)  # fmt: skip


# the call page


@router.get("/consultations/{consultation_id}")
def call_page(request: Request, consultation_id: str, session: Session) -> Response:
    context = context_of(request)
    db, agency, now = context.db(), session.agency_id, context.now()
    consultation = get_consultation(db, agency, parse_id(consultation_id))  # 404 if not ours
    lang = choose_lang(request)
    joins = consultation.state in _JOINABLE and session.user.role in CALLERS
    values = {
        "c": consultation,
        "card": resident_card(db, agency, consultation, now),
        "events": consultation_events(db, agency, consultation.id),
        "token": issue_call_token(context, session.user, consultation) if joins else None,
        "terminal": consultation.state not in ACTIVE_STATES,
        "banner": banner_text(lang, consultation.state, consultation.reason),
        "reasons": known_reasons(lang),
        "banners": {state: banner_text(lang, state, "{reason}") for state in _ALL_STATES},
        **_common(request, session),
    }
    return render(request, "consultation.html", values, session=session)


# the resident's card


def resident_card(
    db: sqlite_utils.Database, agency_id: int, consultation: Consultation, now: float
) -> ResidentCard:
    try:
        resident: Resident | None = get_resident(db, agency_id, consultation.resident_id)
    except NotFoundError:
        resident = None
    appointment = None
    if consultation.appointment_id is not None:
        try:
            appointment = get_appointment(db, agency_id, consultation.appointment_id)
        except NotFoundError:
            appointment = None
    if resident is None:
        return ResidentCard(None, [], [], appointment)
    return ResidentCard(
        resident,
        today_reminders(db, agency_id, resident.id, now),
        recent_alerts(db, agency_id, resident.id),
        appointment,
    )


def today_reminders(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, now: float
) -> list[Occurrence]:
    """Today's medication and appointment reminders, in the resident's own time zone."""
    schedule = get_schedule(db, agency_id, resident_id).schedule
    zone = schedule.zone
    today = datetime.fromtimestamp(now, UTC).astimezone(zone).date()
    start = datetime.combine(today, time(), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=zone)
    return [o for o in schedule_occurrences(schedule, start, end)
            if o.reminder.kind in TODAY_KINDS]  # fmt: skip


def recent_alerts(
    db: sqlite_utils.Database, agency_id: int, resident_id: int, limit: int = RECENT_ALERTS
) -> list[Incident]:
    """The newest incidents raised by the resident's robots while the resident had them.

    Incidents belong to robots, not residents: a robot's incidents count for the resident
    from its hand-over to its return, so another renter's alarms never show here.
    """
    found: list[Incident] = []
    for rental in list_rentals(db, agency_id, resident_id=resident_id, limit=50).items:
        if rental.handed_over_at is None:
            continue
        page = list_incidents(db, agency_id, robot_id=rental.robot_id,
                              since=rental.handed_over_at, limit=_ALERTS_SCANNED)  # fmt: skip
        returned = rental.returned_at
        found.extend(i for i in page.items if returned is None or i.raised_at <= returned)
    found.sort(key=lambda incident: incident.raised_at, reverse=True)
    return found[:limit]


# words


_ALL_STATES = (*ACTIVE_STATES, "declined", "ended")
# Reasons the robot and the fleet give, in English on the wire; shown in the page's language.
_KNOWN_REASONS = (
    "the resident said no",
    "no answer",
    "busy",
    "the resident ended the call",
    "the specialist hung up",
    "the robot ended the call",
    "the robot declined the call",
    "the robot did not answer",
    "the call never connected",
    "the fleet cannot reach the robot now",
)


def reason_text(lang: Lang, reason: str) -> str:
    """A call's reason in `lang` when it is one we know; otherwise as the robot said it."""
    return STRINGS[lang].get(f"call_reason_{reason}", reason)


def known_reasons(lang: Lang) -> dict[str, str]:
    """The reasons' words for the script, which shows reasons arriving over the socket."""
    return {reason: reason_text(lang, reason) for reason in _KNOWN_REASONS}


def banner_text(lang: Lang, state: str, reason: str) -> str:
    """ "Ringing…", "Declined: the resident said no", "Ended: …"."""
    if state in ("declined", "ended"):
        return translate(lang, f"call_banner_{state}", reason=reason_text(lang, reason) or "—")
    return translate(lang, f"call_state_{state}")


def with_error(url: str, message: str) -> str:
    """`url` with the reason a call did not start, which its page shows (see the templates)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{ERROR_PARAM}={quote(message[:300])}"


# helpers


def _common(request: Request, session: WebSession) -> dict[str, Any]:
    lang = choose_lang(request)
    return {
        "may_call": session.user.role in CALLERS,
        "call_error": request.query_params.get(ERROR_PARAM, "")[:300],
        "reason_text": lambda reason: reason_text(lang, reason),
    }


def _require_caller(session: WebSession) -> None:
    if session.user.role not in CALLERS:
        raise ForbiddenError("forbidden_calls")


def _hub_or_none(request: Request) -> CallHub | None:
    hub: CallHub | None = context_of(request).calls
    return hub


def _json(body: dict[str, Any], status_code: int) -> Response:
    response = JSONResponse(body, status_code=status_code)
    harden(response)
    return response
