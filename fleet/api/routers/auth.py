"""Sign-in: the OAuth2 password flow issues bearer tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from fleet.api.deps import Context, CurrentUser, Db
from fleet.api.security import TokenClaims, authenticate, create_token

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    id: int
    email: str
    full_name: str
    role: str
    agency_id: int


@router.post("/token", summary="Sign in with email and password (OAuth2 password flow)")
def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], context: Context, db: Db
) -> Token:
    user = authenticate(db, form.username, form.password)
    if user is None:
        raise _bad_credentials()
    ttl_s = context.settings.token_ttl_minutes * 60
    claims = TokenClaims(user_id=user.id, agency_id=user.agency_id, role=user.role)
    token = create_token(claims, context.signing_key, context.now(), ttl_s)
    return Token(access_token=token, expires_in=ttl_s)


@router.get("/me", summary="The signed-in user")
def me(user: CurrentUser) -> Me:
    return Me(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        agency_id=user.agency_id,
    )


def _bad_credentials() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail="wrong email or password",
        headers={"WWW-Authenticate": "Bearer"},
    )
