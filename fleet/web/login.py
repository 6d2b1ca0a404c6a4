"""Signing in and out of the dashboard, and keeping an open dashboard signed in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from fleet.api.security import authenticate as authenticate_user
from fleet.store.accounts import User
from fleet.web.render import redirect, render
from fleet.web.routing import PageRoute
from fleet.web.session import (
    CSRF_HEADER,
    NONCE_COOKIE,
    FormSession,
    context_of,
    csrf_matches,
    csrf_ok,
    csrf_token,
    end_session,
    issue_token,
    new_nonce,
    read_session,
    safe_next,
    set_nonce_cookie,
    set_session_cookie,
)

router = APIRouter(route_class=PageRoute)

Field = Annotated[str, Form()]


@router.get("/login")
def login_form(request: Request, next: str = "/incidents", expired: str = "") -> Response:
    if read_session(request) is not None:
        return redirect(safe_next(next))
    notice = "login_expired" if expired else ""
    if request.query_params.get("bye"):
        notice = "logged_out"
    return _login_page(request, next, notice=notice)


@router.post("/login")
def login(
    request: Request,
    email: Field = "",
    password: Field = "",
    next: Field = "/incidents",
    csrf: Field = "",
) -> Response:
    context = context_of(request)
    nonce = request.cookies.get(NONCE_COOKIE)
    if not csrf_matches(context.signing_key, nonce, None, csrf):
        return _login_page(request, next, email, error="login_form_expired", status_code=400)
    if not email.strip() or not password:
        return _login_page(request, next, email, error="login_missing", status_code=400)
    user = authenticate(request, email, password)
    if user is None:
        return _login_page(request, next, email, error="login_wrong", status_code=401)
    token, ttl_s = issue_token(context, user)
    response = redirect(safe_next(next))
    set_session_cookie(request, response, token, ttl_s)
    # A fresh nonce per sign-in: form tokens seen before signing in are worth nothing after.
    set_nonce_cookie(request, response, new_nonce())
    return response


def authenticate(request: Request, email: str, password: str) -> User | None:
    """The active user with this email and password, as `/api/v1/auth/token` decides it."""
    return authenticate_user(context_of(request).db(), email, password)


@router.post("/logout")
def logout(session: FormSession) -> Response:
    response = redirect("/login?bye=1")
    end_session(response)
    return response


@router.post("/session/refresh")
async def refresh(request: Request) -> Response:
    """The page script calls this every few minutes, so a dashboard left open on the
    incidents page never signs itself out while it is open; closed, the session ends
    after `token_ttl_minutes` as usual. Answers 401 (not a redirect) to the script."""
    session = await run_in_threadpool(read_session, request)
    if session is None:
        return JSONResponse({"detail": "not signed in"}, status_code=401)
    if not csrf_ok(session, request.headers.get(CSRF_HEADER, "")):
        return JSONResponse({"detail": "CSRF token missing or wrong"}, status_code=403)
    token, ttl_s = issue_token(context_of(request), session.user)
    response = Response(status_code=204)
    set_session_cookie(request, response, token, ttl_s)
    return response


def _login_page(
    request: Request,
    next_url: str,
    email: str = "",
    *,
    error: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    context = context_of(request)
    nonce = request.cookies.get(NONCE_COOKIE) or new_nonce()
    values = {
        "email": email,
        "next": safe_next(next_url),
        "error": error,
        "notice": notice,
        "login_csrf": csrf_token(context.signing_key, nonce, None),
    }
    response = render(request, "login.html", values, status_code=status_code)
    set_nonce_cookie(request, response, nonce)
    return response
