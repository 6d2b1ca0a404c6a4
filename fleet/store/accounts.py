"""Agencies and their users: the accounts the API authenticates."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from typing import Literal

import sqlite_utils

from fleet.store.database import transaction
from homecare.errors import HomecareError

Role = Literal["admin", "operator", "social_worker", "caregiver"]
ROLES: tuple[Role, ...] = ("admin", "operator", "social_worker", "caregiver")


class AccountExistsError(HomecareError):
    """An agency or user with that name or email is already there."""


@dataclass(frozen=True)
class User:
    id: int
    agency_id: int
    email: str
    full_name: str
    role: Role
    active: bool
    password_hash: str


def create_agency(db: sqlite_utils.Database, name: str, region: str, now: float) -> int:
    try:
        cursor = db.execute(
            "INSERT INTO agencies (name, region, created_at) VALUES (?, ?, ?)", (name, region, now)
        )
    except sqlite3.IntegrityError:
        raise AccountExistsError(f"an agency named {name!r} already exists") from None
    return int(cursor.lastrowid or 0)


def create_user(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    email: str,
    password_hash: str,
    full_name: str,
    role: Role,
    now: float,
) -> int:
    try:
        cursor = db.execute(
            "INSERT INTO users (agency_id, email, password_hash, full_name, role, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (agency_id, email.strip().lower(), password_hash, full_name, role, now),
        )
    except sqlite3.IntegrityError:
        raise AccountExistsError(f"a user with email {email!r} already exists") from None
    return int(cursor.lastrowid or 0)


def find_user_by_email(db: sqlite_utils.Database, email: str) -> User | None:
    row = db.execute(_USER_SELECT + " WHERE email = ?", (email.strip().lower(),)).fetchone()
    return _user(row) if row else None


def find_user(db: sqlite_utils.Database, user_id: int) -> User | None:
    row = db.execute(_USER_SELECT + " WHERE id = ?", (user_id,)).fetchone()
    return _user(row) if row else None


def set_password_hash(db: sqlite_utils.Database, user_id: int, password_hash: str) -> None:
    db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


def signing_key(db: sqlite_utils.Database, now: float) -> str:
    """The service's token signing key, made once and kept in the database.

    Kept in the database (not in settings) so that tokens survive restarts and every
    worker of one deployment signs alike, with nothing for an operator to configure.
    """
    with transaction(db.conn) as connection:
        row = connection.execute(
            "SELECT value FROM service_secrets WHERE name = 'token_signing_key'"
        ).fetchone()
        if row:
            return str(row[0])
        key = secrets.token_urlsafe(48)
        connection.execute(
            "INSERT INTO service_secrets (name, value, created_at)"
            " VALUES ('token_signing_key', ?, ?)",
            (key, now),
        )
        return key


_USER_SELECT = "SELECT id, agency_id, email, full_name, role, active, password_hash FROM users"


def _user(row: tuple[object, ...]) -> User:
    user_id, agency_id, email, full_name, role, active, password_hash = row
    return User(
        id=int(str(user_id)),
        agency_id=int(str(agency_id)),
        email=str(email),
        full_name=str(full_name),
        role=role,  # type: ignore[arg-type]  # the CHECK constraint keeps it a Role
        active=bool(active),
        password_hash=str(password_hash),
    )
