"""Rendering pages: one Jinja2 environment, the context every page shares, safe headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fleet.store.consultations import waiting_requests
from fleet.store.incidents import incident_counts
from fleet.web import formatting
from fleet.web.i18n import LANG_COOKIE, Lang, choose_lang, label, translator
from fleet.web.session import WebSession, context_of
from homecare import __version__

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

# Everything is served from here: no inline script or style, no CDN, no framing.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Residents' personal data must not stay in a shared tablet's cache.
    "Cache-Control": "no-store",
}


def render(
    request: Request,
    template: str,
    values: dict[str, Any] | None = None,
    *,
    session: WebSession | None = None,
    status_code: int = 200,
    with_counts: bool = True,
) -> Response:
    """The page `template` with the shared context (words, session, clock helpers)."""
    lang = choose_lang(request)
    context = {**_shared(request, lang, session, with_counts), **(values or {})}
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
    harden(response)
    remember_lang(request, response, lang)
    return response


def fragment(
    request: Request, template: str, values: dict[str, Any], *, session: WebSession
) -> str:
    """A piece of a page as HTML text (the live stream sends incident cards this way)."""
    context = {**_shared(request, choose_lang(request), session, with_counts=False), **values}
    return TEMPLATES.get_template(template).render(context)


def redirect(url: str) -> Response:
    """After a form: 303 so the browser GETs the next page (a reload will not resubmit)."""
    response: Response = RedirectResponse(url, status_code=303)
    harden(response)
    return response


def harden(response: Response) -> None:
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def remember_lang(request: Request, response: Response, lang: Lang) -> None:
    """A `?lang=` choice sticks for the next pages (a year; it is no secret)."""
    if request.query_params.get("lang") == lang and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax")


def _shared(
    request: Request, lang: Lang, session: WebSession | None, with_counts: bool
) -> dict[str, Any]:
    context = context_of(request)
    now = context.now()
    open_count = calls_waiting = None
    if session is not None and with_counts:
        open_count = incident_counts(context.db(), session.agency_id)["open"]
        calls_waiting = waiting_requests(context.db(), session.agency_id)
    return {
        "t": translator(lang),
        "label": lambda prefix, value: label(lang, prefix, value),
        "lang": lang,
        "session": session,
        "csrf": session.csrf if session else "",
        "open_count": open_count,
        "calls_waiting": calls_waiting,
        "path": request.url.path,
        "asset_version": __version__,
        "zone": formatting.zone_label(now),
        "session_ttl_s": context.settings.token_ttl_minutes * 60,
        "when": lambda ts: formatting.local_time(ts, lang),
        "day": lambda value: formatting.local_date(value, lang),
        "ago": lambda ts: formatting.time_ago(ts, now, lang),
        "duration": lambda seconds: formatting.duration(seconds, lang),
    }
