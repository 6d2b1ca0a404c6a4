"""An agency's residents: personal data, kept, changed and erased with an audit trail.

Field values are JSON-ready: `birth_date` an ISO date string or None, `contacts` a
list of `{"name", "relation", "phone"}`, `consents` a map of consent name -> bool.
Erasing keeps the row (past rentals point to it) but blanks every personal field;
an erased resident is "not found" from then on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from fleet.store import audit
from fleet.store.common import (
    DEFAULT_LIMIT,
    ConflictError,
    NotFoundError,
    Page,
    clamp_limit,
    contains_pattern,
    write_transaction,
)

FIELDS = ("full_name", "address", "language", "birth_date", "disability_group", "contacts",
          "consents")  # fmt: skip
DEFAULTS: dict[str, Any] = {
    "address": "",
    "language": "ru",
    "birth_date": None,
    "disability_group": None,
    "contacts": [],
    "consents": {},
}
_JSON_FIELDS = frozenset({"contacts", "consents"})
# Which consent was given or withdrawn, and when, is what the audit must prove; a
# consent flag identifies nobody, so its values are logged. Other fields: names only.
_VALUES_LOGGED = frozenset({"consents"})
_ERASED: dict[str, Any] = {**DEFAULTS, "full_name": ""}


@dataclass(frozen=True)
class Resident:
    id: int
    agency_id: int
    full_name: str
    address: str
    language: str
    birth_date: str | None
    disability_group: int | None
    contacts: list[dict[str, str]]
    consents: dict[str, bool]
    created_at: float
    updated_at: float | None


def create_resident(
    db: sqlite_utils.Database,
    agency_id: int,
    fields: Mapping[str, Any],
    *,
    user_id: int | None,
    now: float,
) -> int:
    """Add a resident (`full_name` required, other fields default); returns the id."""
    values = {**DEFAULTS, **_checked(fields)}
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO residents (agency_id, full_name, address, language, birth_date,"
            " disability_group, contacts, consents, search_name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [agency_id, *_columns(values), _search_name(values["full_name"]), now, now],
        )
        resident_id = int(cursor.lastrowid or 0)
        _audit(
            db, agency_id, resident_id, "create", audit.diff({}, values), user_id=user_id, now=now
        )
    return resident_id


def get_resident(db: sqlite_utils.Database, agency_id: int, resident_id: int) -> Resident:
    row = db.execute(
        f"{_SELECT} WHERE agency_id = ? AND id = ? AND erased_at IS NULL", (agency_id, resident_id)
    ).fetchone()
    if row is None:
        raise NotFoundError("resident", resident_id)
    return _resident(row)


def list_residents(
    db: sqlite_utils.Database,
    agency_id: int,
    *,
    q: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page[Resident]:
    """The agency's residents (not erased) by name; `q` matches part of the name, any case."""
    condition = "agency_id = ? AND erased_at IS NULL"
    params: list[Any] = [agency_id]
    if q:
        condition += " AND search_name LIKE ? ESCAPE '\\'"
        params.append(contains_pattern(_search_name(q)))
    limit = clamp_limit(limit)
    total = db.execute(f"SELECT COUNT(*) FROM residents WHERE {condition}", params).fetchone()[0]
    rows = db.execute(
        f"{_SELECT} WHERE {condition} ORDER BY search_name, id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return Page([_resident(row) for row in rows], total=int(total), limit=limit, offset=offset)


def update_resident(
    db: sqlite_utils.Database,
    agency_id: int,
    resident_id: int,
    changes: Mapping[str, Any],
    *,
    user_id: int | None,
    now: float,
) -> None:
    """Change some fields; only those that really change are written and audited."""
    with write_transaction(db):
        current = get_resident(db, agency_id, resident_id)
        changed = audit.diff(_values(current), _checked(changes))
        if not changed:
            return
        values = {**_values(current), **changes}
        db.execute(
            "UPDATE residents SET full_name = ?, address = ?, language = ?, birth_date = ?,"
            " disability_group = ?, contacts = ?, consents = ?, search_name = ?, updated_at = ?"
            " WHERE agency_id = ? AND id = ?",
            [*_columns(values), _search_name(values["full_name"]), now, agency_id, resident_id],
        )
        _audit(db, agency_id, resident_id, "update", changed, user_id=user_id, now=now)


def erase_resident(
    db: sqlite_utils.Database,
    agency_id: int,
    resident_id: int,
    *,
    user_id: int | None,
    now: float,
) -> None:
    """Blank the resident's personal data for good; refused while a rental is open."""
    with write_transaction(db):
        current = get_resident(db, agency_id, resident_id)
        _refuse_if_rented(db, agency_id, resident_id)
        db.execute(
            "UPDATE residents SET full_name = ?, address = ?, language = ?, birth_date = ?,"
            " disability_group = ?, contacts = ?, consents = ?, search_name = '',"
            " updated_at = ?, erased_at = ? WHERE agency_id = ? AND id = ?",
            [*_columns(_ERASED), now, now, agency_id, resident_id],
        )
        # Schedules and outcomes name medicines, benefits profiles and appointment requests
        # hold what the person told about themselves: they go with the person.
        for table in ("reminder_schedules", "reminder_outcomes", "benefit_profiles",
                      "benefit_appointment_requests", "device_registries"):  # fmt: skip
            db.execute(
                f"DELETE FROM {table} WHERE agency_id = ? AND resident_id = ?",
                (agency_id, resident_id),
            )
        # Appointments say whom they saw; complaints and rating comments are their words.
        # Scores stay, unlinked, in the specialists' statistics.
        for table in ("appointment_refusals", "appointments"):
            db.execute(
                f"DELETE FROM {table} WHERE agency_id = ? AND resident_id = ?",
                (agency_id, resident_id),
            )
        db.execute(
            "UPDATE service_ratings SET comment = '', resident_id = NULL"
            " WHERE agency_id = ? AND resident_id = ?",
            (agency_id, resident_id),
        )
        db.execute(
            "UPDATE complaints SET text = '', answer = '', resident_id = NULL,"
            " appointment_id = NULL WHERE agency_id = ? AND resident_id = ?",
            (agency_id, resident_id),
        )
        erased = audit.diff(_values(current), _ERASED)
        _audit(db, agency_id, resident_id, "erase", erased, user_id=user_id, now=now)


def _refuse_if_rented(db: sqlite_utils.Database, agency_id: int, resident_id: int) -> None:
    row = db.execute(
        "SELECT id, status FROM rentals WHERE agency_id = ? AND resident_id = ?"
        " AND status IN ('planned', 'active') ORDER BY id LIMIT 1",
        (agency_id, resident_id),
    ).fetchone()
    if row is not None:
        raise ConflictError(
            f"resident {resident_id} has rental {row[0]} ({row[1]}); "
            "return or cancel it before erasing the resident's data"
        )


def _audit(
    db: sqlite_utils.Database,
    agency_id: int,
    resident_id: int,
    action: str,
    changed: audit.Changes,
    *,
    user_id: int | None,
    now: float,
) -> None:
    logged = {
        field: (change if field in _VALUES_LOGGED else None) for field, change in changed.items()
    }
    audit.record(
        db,
        agency_id,
        user_id=user_id,
        action=action,
        object_type="resident",
        object_id=resident_id,
        changes=logged,
        now=now,
    )


def _checked(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"not resident fields: {sorted(unknown)}")
    return dict(fields)


def _search_name(name: str) -> str:
    # SQLite's LIKE and lower() fold ASCII only; casefold here so Cyrillic names match any case.
    return " ".join(name.casefold().split())


def _columns(values: Mapping[str, Any]) -> list[Any]:
    return [
        json.dumps(values[field], ensure_ascii=False) if field in _JSON_FIELDS else values[field]
        for field in FIELDS
    ]


def _values(resident: Resident) -> dict[str, Any]:
    return {field: getattr(resident, field) for field in FIELDS}


_SELECT = (
    "SELECT id, agency_id, full_name, address, language, birth_date, disability_group,"
    " contacts, consents, created_at, updated_at FROM residents"
)


def _resident(row: tuple[Any, ...]) -> Resident:
    return Resident(
        id=row[0],
        agency_id=row[1],
        full_name=row[2],
        address=row[3],
        language=row[4],
        birth_date=row[5],
        disability_group=row[6],
        contacts=json.loads(row[7]),
        consents=json.loads(row[8]),
        created_at=row[9],
        updated_at=row[10],
    )
