"""Passwords (argon2) and bearer tokens (signed JWT with an expiry)."""

from __future__ import annotations

from dataclasses import dataclass

import jwt
import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fleet.store.accounts import User, find_user_by_email, set_password_hash
from homecare.errors import HomecareError

_hasher = PasswordHasher()
_ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 12
_COMMON_PASSWORDS = frozenset(
    {
        "password1234", "123456789012", "qwertyuiop12", "administrator", "password123!",
        "qwerty123456", "1q2w3e4r5t6y", "iloveyou1234", "letmein12345", "welcome12345",
    }
)  # fmt: skip


_DUMMY_HASH = _hasher.hash("not-a-real-password-but-the-same-cost")


class WeakPasswordError(HomecareError):
    """A password that would be easy to guess."""


class InvalidTokenError(HomecareError):
    """A bearer token that is malformed, forged or expired (the message says which)."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    agency_id: int
    role: str


def authenticate(db: sqlite_utils.Database, email: str, password: str) -> User | None:
    """The active user with this email and password, else None (for the API and the pages)."""
    user = find_user_by_email(db, email)
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)  # as slow as a wrong password: no enumeration
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        set_password_hash(db, user.id, hash_password(password))
    return user


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_password_strength(password: str, email: str = "") -> None:
    """Raise WeakPasswordError naming what is wrong with a password chosen for an account."""
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    local_part = email.split("@", 1)[0].lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters"
        )
    if password.lower() in _COMMON_PASSWORDS or len(set(password)) < 5:
        raise WeakPasswordError("the password is too common or repetitive")
    if len(local_part) >= 4 and local_part in password.lower():
        raise WeakPasswordError("the password must not contain the email's name")
    if classes < 3 and len(password) < 20:
        raise WeakPasswordError(
            "the password is too simple: mix at least three of lower case, upper case, "
            "digits and symbols, or use a passphrase of 20 characters or more"
        )


def create_token(claims: TokenClaims, key: str, now: float, ttl_s: float) -> str:
    payload = {
        "sub": str(claims.user_id),
        "agency": claims.agency_id,
        "role": claims.role,
        "iat": int(now),
        "exp": int(now + ttl_s),
    }
    return jwt.encode(payload, key, algorithm=_ALGORITHM)


def decode_token(token: str, key: str, now: float) -> TokenClaims:
    try:
        # Expiry is checked against the injected clock below; issue time ("iat") is not
        # checked at all: PyJWT compares it with the wall clock, not ours.
        payload = jwt.decode(
            token,
            key,
            algorithms=[_ALGORITHM],
            options={"verify_exp": False, "verify_iat": False, "require": ["exp"]},
        )
    except jwt.InvalidSignatureError:
        raise InvalidTokenError("the token's signature is not valid") from None
    except jwt.PyJWTError:
        raise InvalidTokenError("the token is malformed") from None
    if float(payload["exp"]) <= now:
        raise InvalidTokenError("the token has expired: sign in again")
    try:
        return TokenClaims(
            user_id=int(payload["sub"]), agency_id=int(payload["agency"]), role=str(payload["role"])
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidTokenError("the token is malformed") from None
