"""Dashboard sessions: the API's signed token in a cookie, and CSRF tokens for forms.

The session cookie holds exactly the token `/api/v1/auth/token` issues, checked by
the same `user_from_token`, so the dashboard and the API cannot disagree about who
is signed in. It is HttpOnly (scripts cannot read it) and SameSite=Lax (other
sites cannot send it with a form POST).

CSRF tokens follow the "signed double-submit" pattern: a random nonce lives in its
own HttpOnly cookie and every form carries HMAC(signing key, user, nonce). The
token stays the same while the session slides (see `/session/refresh`), so forms
in other open tabs keep working; a new sign-in makes a new nonce.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Request
from starlette.responses import Response

from fleet.api.deps import FLEET_MANAGERS, RESIDENT_EDITORS, user_from_token
from fleet.api.security import TokenClaims, create_token
from fleet.context import FleetContext
from fleet.store.accounts import User
from fleet.web.errors import CsrfError, ForbiddenError, LoginRequiredError

SESSION_COOKIE = "hc_session"
NONCE_COOKIE = "hc_nonce"
CSRF_HEADER = "x-csrf-token"
DEFAULT_PAGE = "/incidents"
# The nonce outlives sessions (a sign-in form left open overnight still works).
_NONCE_MAX_AGE_S = 30 * 24 * 3600


@dataclass(frozen=True)
class WebSession:
    user: User
    token: str
    csrf: str

    @property
    def agency_id(self) -> int:
        return self.user.agency_id

    # The same roles as the API's dependencies (fleet.api.deps), so a button shows
    # exactly when the API would allow its action.
    @property
    def manages_fleet(self) -> bool:
        """Hand-over and return of robots: MANAGE_FLEET."""
        return self.user.role in FLEET_MANAGERS

    @property
    def resolves_incidents(self) -> bool:
        """Closing an incident with an outcome: MANAGE_RESIDENTS."""
        return self.user.role in RESIDENT_EDITORS


def context_of(request: Request) -> FleetContext:
    context: FleetContext = request.app.state.context
    return context


def csrf_token(signing_key: str, nonce: str, user_id: int | None) -> str:
    """The form token of one user (or of the sign-in form, `user_id=None`) in one browser."""
    subject = "login" if user_id is None else f"user:{user_id}"
    message = f"csrf|{subject}|{nonce}".encode()
    return hmac.new(signing_key.encode(), message, hashlib.sha256).hexdigest()


def csrf_matches(signing_key: str, nonce: str | None, user_id: int | None, given: str) -> bool:
    if not nonce or not given:
        return False
    return hmac.compare_digest(csrf_token(signing_key, nonce, user_id), given)


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: only a path on this site, never another host."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
    ):
        return DEFAULT_PAGE
    return value


def login_url(next_url: str, *, expired: bool = False) -> str:
    url = f"/login?next={quote(safe_next(next_url), safe='/')}"
    return url + "&expired=1" if expired else url


def read_session(request: Request) -> WebSession | None:
    """The signed-in user of this request, or None (no cookie, bad or expired token)."""
    return _session_or_reason(request)[0]


def _session_or_reason(request: Request) -> tuple[WebSession | None, bool]:
    """(session, expired): `expired` tells the sign-in page to say why it is shown."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None, False
    context = context_of(request)
    try:
        user = user_from_token(context, context.db(), token)
    except HTTPException as error:
        return None, "expired" in str(error.detail)
    nonce = request.cookies.get(NONCE_COOKIE, "")
    return WebSession(user, token, csrf_token(context.signing_key, nonce, user.id)), False


def signed_in(request: Request) -> WebSession:
    """Dependency of every page: the session, or a redirect to /login and back here."""
    session, expired = _session_or_reason(request)
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequiredError(target, expired=expired)
    request.state.web_session = session  # error pages show the navigation too
    return session


Session = Annotated[WebSession, Depends(signed_in)]


def checked_form(session: Session, csrf: Annotated[str, Form()] = "") -> WebSession:
    """Dependency of every POST form: the session, if the form's CSRF token is this user's."""
    _check_csrf(session, csrf)
    return session


def csrf_ok(session: WebSession, given: str) -> bool:
    return hmac.compare_digest(session.csrf, given)


def _check_csrf(session: WebSession, given: str) -> None:
    if not csrf_ok(session, given):
        raise CsrfError()


FormSession = Annotated[WebSession, Depends(checked_form)]


def fleet_manager(session: FormSession) -> WebSession:
    if not session.manages_fleet:
        raise ForbiddenError()
    return session


ManagerFormSession = Annotated[WebSession, Depends(fleet_manager)]


def issue_token(context: FleetContext, user: User) -> tuple[str, int]:
    """A fresh API token for `user` and its lifetime in seconds."""
    ttl_s = context.settings.token_ttl_minutes * 60
    claims = TokenClaims(user_id=user.id, agency_id=user.agency_id, role=user.role)
    return create_token(claims, context.signing_key, context.now(), ttl_s), ttl_s


def set_session_cookie(request: Request, response: Response, token: str, ttl_s: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ttl_s,
        path="/",
        httponly=True,
        samesite="lax",
        # Behind a TLS proxy the app sees https only if the proxy says so (uvicorn
        # --proxy-headers); on plain http the cookie must not be Secure or it is dropped.
        secure=request.url.scheme == "https",
    )


def set_nonce_cookie(request: Request, response: Response, nonce: str) -> None:
    response.set_cookie(
        NONCE_COOKIE,
        nonce,
        max_age=_NONCE_MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(NONCE_COOKIE, path="/")
