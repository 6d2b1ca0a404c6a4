"""Sign-in: the OAuth2 password flow issues bearer tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from fleet.api.deps import Context, CurrentUser, Db
from fleet.api.security import (
    TokenClaims,
    create_token,
    hash_password,
    needs_rehash,
    verify_password,
)
from fleet.store.accounts import find_user_by_email, set_password_hash

router = APIRouter(prefix="/auth", tags=["auth"])

# Verifying against this keeps a wrong email as slow as a wrong password (no user enumeration).
_DUMMY_HASH = hash_password("not-a-real-password-but-the-same-cost")


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
    user = find_user_by_email(db, form.username)
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, form.password)
        raise _bad_credentials()
    if not verify_password(user.password_hash, form.password):
        raise _bad_credentials()
    if needs_rehash(user.password_hash):
        set_password_hash(db, user.id, hash_password(form.password))
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
