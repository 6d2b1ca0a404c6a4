"""An agency's staff accounts, managed by its admins, with an audit trail.

Names and emails are personal data: the audit records which of them changed, not
their values (as for residents, see fleet.store.audit); role and active are logged
with their values, since who could do what, when, is what an audit is asked about.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlite_utils

from fleet.store import audit
from fleet.store.accounts import Role, User, create_user, find_user
from fleet.store.common import (
    DEFAULT_LIMIT,
    ConflictError,
    NotFoundError,
    Page,
    clamp_limit,
    write_transaction,
)

_PERSONAL = frozenset({"full_name", "email"})


def add_user(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    email: str,
    password_hash: str,
    full_name: str,
    role: Role,
    by_user_id: int | None,
    now: float,
) -> int:
    with write_transaction(db):
        user_id = create_user(
            db, agency_id, email=email, password_hash=password_hash, full_name=full_name,
            role=role, now=now,
        )  # fmt: skip
        audit.record(
            db, agency_id, user_id=by_user_id, action="create", object_type="user",
            object_id=user_id,
            changes={**audit.field_names(_PERSONAL), "role": [None, role], "active": [None, True]},
            now=now,
        )  # fmt: skip
    return user_id


def get_user(db: sqlite_utils.Database, agency_id: int, user_id: int) -> User:
    user = find_user(db, user_id)
    if user is None or user.agency_id != agency_id:
        raise NotFoundError("user", user_id)
    return user


def list_users(
    db: sqlite_utils.Database, agency_id: int, *, limit: int = DEFAULT_LIMIT, offset: int = 0
) -> Page[User]:
    limit = clamp_limit(limit)
    total = db.execute("SELECT COUNT(*) FROM users WHERE agency_id = ?", (agency_id,)).fetchone()
    ids = db.execute(
        "SELECT id FROM users WHERE agency_id = ? ORDER BY id LIMIT ? OFFSET ?",
        (agency_id, limit, offset),
    ).fetchall()
    users = [get_user(db, agency_id, row[0]) for row in ids]
    return Page(items=users, total=int(total[0]), limit=limit, offset=offset)


def update_user(
    db: sqlite_utils.Database,
    agency_id: int,
    user_id: int,
    changes: Mapping[str, Any],
    *,
    by_user_id: int,
    now: float,
) -> None:
    """Change full_name, role or active. An admin cannot demote or disable themselves,
    so an agency never loses its last way in by a slip of the hand."""
    with write_transaction(db):
        user = get_user(db, agency_id, user_id)
        if user_id == by_user_id and (
            changes.get("role", "admin") != "admin" or changes.get("active", True) is False
        ):
            raise ConflictError("you cannot take away your own admin role or disable yourself")
        old = {"full_name": user.full_name, "role": user.role, "active": user.active}
        diff = audit.diff(old, changes)
        if not diff:
            return
        for field, (_, new) in diff.items():  # type: ignore[misc]
            if field not in old:
                raise ValueError(f"not a changeable user field: {field}")
            db.execute(f"UPDATE users SET {field} = ? WHERE id = ?", (new, user_id))
        logged = {k: (None if k in _PERSONAL else v) for k, v in diff.items()}
        audit.record(
            db, agency_id, user_id=by_user_id, action="update", object_type="user",
            object_id=user_id, changes=logged, now=now,
        )  # fmt: skip
