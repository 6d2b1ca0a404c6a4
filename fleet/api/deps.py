"""FastAPI dependencies: the context, the database, the signed-in user and role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import sqlite_utils
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from fleet.api.security import InvalidTokenError, decode_token
from fleet.context import FleetContext
from fleet.store.accounts import Role, User, find_user

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_context(request: Request) -> FleetContext:
    context: FleetContext = request.app.state.context
    return context


Context = Annotated[FleetContext, Depends(get_context)]


def get_db(context: Context) -> sqlite_utils.Database:
    return context.db()


Db = Annotated[sqlite_utils.Database, Depends(get_db)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def user_from_token(context: FleetContext, db: sqlite_utils.Database, token: str) -> User:
    """The active user a token names, or 401 saying why not."""
    try:
        claims = decode_token(token, context.signing_key, context.now())
    except InvalidTokenError as error:
        raise _unauthorized(str(error)) from None
    user = find_user(db, claims.user_id)
    if user is None or not user.active:
        raise _unauthorized("the account of this token no longer exists or is disabled")
    return user


def get_current_user(
    context: Context, db: Db, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    if not token:
        raise _unauthorized("not signed in: send 'Authorization: Bearer <token>'")
    return user_from_token(context, db, token)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: Role) -> Callable[[User], User]:
    """A dependency that lets only the given roles through (403 for the others)."""

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"this needs the role {' or '.join(roles)}; you are {user.role}",
            )
        return user

    return check


# Who may do what; routes say `user: Annotated[User, Depends(MANAGE_ROBOTS)]`.
STAFF: tuple[Role, ...] = ("admin", "operator", "social_worker", "caregiver")
FLEET_MANAGERS: tuple[Role, ...] = ("admin", "operator")
RESIDENT_EDITORS: tuple[Role, ...] = ("admin", "operator", "social_worker")
# Who may call a resident by video (the API, the pages and resident.html's button).
CALLERS: tuple[Role, ...] = RESIDENT_EDITORS
MANAGE_FLEET = require_roles(*FLEET_MANAGERS)
MANAGE_RESIDENTS = require_roles(*RESIDENT_EDITORS)
HANDLE_INCIDENTS = require_roles("admin", "operator", "social_worker", "caregiver")
ADMIN_ONLY = require_roles("admin")
