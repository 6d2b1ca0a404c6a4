"""The audit log: who changed which object of an agency, when, and what changed.

Each row is written by the store function that makes the change, on the same
connection inside the same transaction, so a change and its audit row are
committed together or not at all.

`changes` maps a field to `[old, new]` (`None` for "absent": before a create,
after an erase). Personal data of residents is logged by field name only, as
`{"address": null}`: the log must outlive an erasure, and a copy of the old
values here would keep exactly the data the erasure removed (152-FZ / GDPR).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlite_utils

from fleet.store.common import DEFAULT_LIMIT, Page, clamp_limit

ObjectType = Literal["robot", "resident", "rental", "user", "agency"]
Changes = dict[str, list[Any] | None]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    user_id: int | None
    action: str
    object_type: str
    object_id: str
    changes: Changes


def record(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    user_id: int | None,
    action: str,
    object_type: ObjectType,
    object_id: object,
    changes: Mapping[str, list[Any] | None],
    now: float,
) -> None:
    """One audit row; call it inside the transaction of the change it describes."""
    db.execute(
        "INSERT INTO audit_log (at, user_id, agency_id, action, object_type, object_id, changes)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            now,
            user_id,
            agency_id,
            action,
            object_type,
            str(object_id),
            json.dumps(dict(changes), ensure_ascii=False, sort_keys=True),
        ),
    )


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> Changes:
    """`field -> [old, new]` for every field of `new` whose value differs from `old`."""
    return {key: [old.get(key), value] for key, value in new.items() if old.get(key) != value}


def field_names(fields: Iterable[str]) -> Changes:
    """The changed fields without their values (for personal data, see the module doc)."""
    return dict.fromkeys(sorted(fields))


def list_audit(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[AuditEntry]:
    """The agency's audit rows, newest first, optionally for one type or one object."""
    where: list[str] = ["agency_id = ?"]
    params: list[object] = [agency_id]
    if object_type is not None:
        where.append("object_type = ?")
        params.append(object_type)
    if object_id is not None:
        where.append("object_id = ?")
        params.append(object_id)
    condition = " AND ".join(where)
    limit = clamp_limit(limit)
    total = db.execute(f"SELECT COUNT(*) FROM audit_log WHERE {condition}", params).fetchone()[0]
    rows = db.execute(
        "SELECT id, at, user_id, action, object_type, object_id, changes FROM audit_log"
        f" WHERE {condition} ORDER BY id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    items = [
        AuditEntry(
            id=row[0],
            at=row[1],
            user_id=row[2],
            action=row[3],
            object_type=row[4],
            object_id=row[5],
            changes=json.loads(row[6]),
        )
        for row in rows
    ]
    return Page(items=items, total=int(total), limit=limit, offset=offset)
