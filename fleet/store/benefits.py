"""Benefits in the fleet: each agency's catalog, residents' profiles, appointment requests.

Catalog: every agency edits its own copy of the catalog document (agencies,
parameters, shared rules, measures), seeded from the shipped seed catalog the
first time anyone asks for it. A change is applied to a copy of the whole
document and checked with `benefits.catalog_from_data` before it is committed,
so an invalid rule (unknown fact, parameter or operator, a cycle of shared rules)
never reaches a robot; the library's message names the measure and the path. The
version grows by one per change; each change is audited on the agency (who, when,
which measure; the catalog is public information, so ids are logged).

Profiles: what a resident told the robot (with consent, source `voice`) or what
staff entered (`staff`), checked with `benefits.parse_profile`. Facts are personal
data: the audit names the fields only, and erasing the resident deletes them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Literal

import sqlite_utils

from benefits import Catalog, CatalogError, ProfileError, catalog_from_data, load_catalog
from benefits.facts import RU_REGIONS, Profile, parse_profile
from fleet.protocol import MAX_CONFIG_BYTES
from fleet.store import audit
from fleet.store.common import (
    ConflictError,
    InvalidChangeError,
    NotFoundError,
    write_transaction,
)
from fleet.store.residents import get_resident

Source = Literal["voice", "staff"]
Section = Literal["measures", "agencies", "parameters"]
SINGULAR: dict[Section, str] = {
    "measures": "measure",
    "agencies": "benefits agency",
    "parameters": "parameter",
}
# The robot's decoder refuses configuration over MAX_CONFIG_BYTES; keep room for the profile.
MAX_CATALOG_BYTES = MAX_CONFIG_BYTES - 64 * 1024
HISTORY_ACTION_PREFIX = "benefits."


def today(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).date()


# the catalog


@dataclass(frozen=True)
class StoredCatalog:
    agency_id: int
    version: int
    document: dict[str, Any]  # JSON-ready, as `CatalogDocument.model_dump(mode="json")`
    updated_at: float
    updated_by: int | None

    def compiled(self) -> Catalog:
        # Stored documents were checked on write; 1-2 ms to compile the seed.
        return catalog_from_data(self.document, f"catalog version {self.version}")

    def items(self, section: Section) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.document.get(section, [])
        return found

    def item(self, section: Section, item_id: str) -> dict[str, Any]:
        for item in self.items(section):
            if item.get("id") == item_id:
                return item
        raise NotFoundError(SINGULAR[section], item_id)


@cache
def _seed_text() -> str:
    return json.dumps(load_catalog().document.model_dump(mode="json"), ensure_ascii=False)


def seed_document() -> dict[str, Any]:
    """A fresh copy of the shipped seed catalog, as JSON-ready data."""
    document: dict[str, Any] = json.loads(_seed_text())
    return document


def get_catalog(db: sqlite_utils.Database, agency_id: int, now: float) -> StoredCatalog:
    """The agency's catalog; the seed (version 1) is stored the first time it is asked for."""
    found = _read_catalog(db, agency_id)
    if found is not None:
        return found
    with write_transaction(db):
        return _catalog_or_seed(db, agency_id, now)


def _catalog_or_seed(db: sqlite_utils.Database, agency_id: int, now: float) -> StoredCatalog:
    """`get_catalog` inside the caller's write transaction."""
    found = _read_catalog(db, agency_id)
    if found is None:
        document = {**seed_document(), "version": "1"}
        cursor = db.execute(
            "INSERT INTO benefit_catalogs (agency_id, version, document, updated_at, updated_by)"
            " VALUES (?, 1, ?, ?, NULL) ON CONFLICT (agency_id) DO NOTHING",
            (agency_id, json.dumps(document, ensure_ascii=False), now),
        )
        if cursor.rowcount == 1:
            audit.record(db, agency_id, user_id=None, action="benefits.seed_catalog",
                         object_type="agency", object_id=agency_id,
                         changes={"version": [None, 1]}, now=now)  # fmt: skip
        found = _read_catalog(db, agency_id)
        assert found is not None
    return found


def _read_catalog(db: sqlite_utils.Database, agency_id: int) -> StoredCatalog | None:
    row = db.execute(
        "SELECT version, document, updated_at, updated_by FROM benefit_catalogs"
        " WHERE agency_id = ?",
        (agency_id,),
    ).fetchone()
    if row is None:
        return None
    return StoredCatalog(agency_id, int(row[0]), json.loads(row[1]), row[2], row[3])


def catalog_version(db: sqlite_utils.Database, agency_id: int) -> int:
    """The agency's catalog version without reading it (0: still the unstored seed)."""
    row = db.execute(
        "SELECT version FROM benefit_catalogs WHERE agency_id = ?", (agency_id,)
    ).fetchone()
    return 0 if row is None else int(row[0])


@dataclass(frozen=True)
class Edit:
    """What one change did, for the audit: the action and the object it named."""

    action: str
    section: Section | None
    object_id: str | None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


Editor = Callable[[dict[str, Any]], Edit]


def change_catalog(
    db: sqlite_utils.Database,
    agency_id: int,
    edit: Editor,
    *,
    user_id: int | None,
    now: float,
    base_version: int | None = None,
) -> tuple[StoredCatalog, bool]:
    """Apply `edit` to a copy of the document, check the whole, store it as the next version.

    `edit` mutates the copy (raising NotFoundError, ConflictError or InvalidChangeError
    itself where it must). An invalid result raises InvalidChangeError with the library's
    reason; a change that changes nothing keeps the version. `base_version`: refuse
    (ConflictError) if someone saved another version since the editor loaded it.
    """
    with write_transaction(db):
        current = _catalog_or_seed(db, agency_id, now)
        if base_version is not None and base_version != current.version:
            raise ConflictError(
                f"the catalog changed since you opened it (your version {base_version}, "
                f"now {current.version}); reload and make your change again"
            )
        document = copy.deepcopy(current.document)
        done = edit(document)
        document["version"] = current.document.get("version", "")
        checked = check_document(document)
        if checked == current.document:
            return current, False
        version = current.version + 1
        checked["version"] = str(version)
        text = json.dumps(checked, ensure_ascii=False)
        db.execute(
            "UPDATE benefit_catalogs SET version = ?, document = ?, updated_at = ?,"
            " updated_by = ? WHERE agency_id = ?",
            (version, text, now, user_id, agency_id),
        )
        audit.record(db, agency_id, user_id=user_id, action=done.action, object_type="agency",
                     object_id=agency_id, changes=_edit_changes(done, current.version, version),
                     now=now)  # fmt: skip
    return StoredCatalog(agency_id, version, checked, now, user_id), True


def check_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as the library normalises it; InvalidChangeError with its reason if not."""
    try:
        catalog = catalog_from_data(dict(document), "catalog")
    except CatalogError as error:
        raise InvalidChangeError(str(error)) from None
    checked: dict[str, Any] = catalog.document.model_dump(mode="json")
    size = len(json.dumps(checked, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_CATALOG_BYTES:
        raise InvalidChangeError(
            f"catalog: {size} bytes is more than robots accept ({MAX_CATALOG_BYTES}); "
            "shorten texts or remove measures"
        )
    return checked


def _edit_changes(done: Edit, old_version: int, new_version: int) -> audit.Changes:
    changes: audit.Changes = {"version": [old_version, new_version]}
    if done.section is not None and done.object_id is not None:
        key = SINGULAR[done.section].replace(" ", "_")
        changes[key] = [
            done.object_id if done.before is not None else None,
            done.object_id if done.after is not None else None,
        ]
        if done.before is not None and done.after is not None:
            fields = {k for k in {*done.before, *done.after}
                      if done.before.get(k) != done.after.get(k)}  # fmt: skip
            changes.update(audit.field_names(fields))
    return changes


# edits of one item (measure, agency, parameter)


def put_item(section: Section, item_id: str, data: Mapping[str, Any]) -> Editor:
    """Replace an existing item (404 if it is not in the catalog)."""
    return _replace(section, item_id, data, merge=False)


def patch_item(section: Section, item_id: str, fields: Mapping[str, Any]) -> Editor:
    """Set some fields of an existing item; the others stay (404 if there is no such item)."""
    return _replace(section, item_id, fields, merge=True)


def _replace(section: Section, item_id: str, data: Mapping[str, Any], *, merge: bool) -> Editor:
    given = _with_id(section, item_id, data)

    def edit(document: dict[str, Any]) -> Edit:
        items = document.setdefault(section, [])
        index = _index(items, section, item_id)
        before = items[index]
        items[index] = {**before, **given} if merge else given
        return Edit(f"benefits.update_{_noun(section)}", section, item_id, before, items[index])

    return edit


def add_item(section: Section, data: Mapping[str, Any]) -> Editor:
    """Add an item; 409 if its id is taken."""
    item_id = data.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise InvalidChangeError(f"{SINGULAR[section]}: id: give the new id (text)")
    body = dict(data)

    def edit(document: dict[str, Any]) -> Edit:
        items = document.setdefault(section, [])
        if any(item.get("id") == item_id for item in items):
            raise ConflictError(f"{SINGULAR[section]} {item_id} already exists")
        items.append(body)
        return Edit(f"benefits.create_{_noun(section)}", section, item_id, None, body)

    return edit


def delete_item(section: Section, item_id: str) -> Editor:
    """Remove an item; an agency still named by measures is refused (409, naming them)."""

    def edit(document: dict[str, Any]) -> Edit:
        items = document.setdefault(section, [])
        index = _index(items, section, item_id)
        if section == "agencies":
            users = [
                str(measure.get("id"))
                for measure in document.get("measures", [])
                if item_id == measure.get("agency") or item_id in measure.get("other_agencies", [])
            ]
            if users:
                raise ConflictError(
                    f"benefits agency {item_id} is named by measures {', '.join(users)}; "
                    "change those measures first"
                )
        before = items.pop(index)
        return Edit(f"benefits.delete_{_noun(section)}", section, item_id, before, None)

    return edit


def replace_document(data: Mapping[str, Any]) -> Editor:
    """Replace the whole catalog (import)."""
    body = dict(data)

    def edit(document: dict[str, Any]) -> Edit:
        document.clear()
        document.update(body)
        return Edit("benefits.replace_catalog", None, None)

    return edit


def _with_id(section: Section, item_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    body = dict(data)
    given = body.setdefault("id", item_id)
    if given != item_id:
        raise InvalidChangeError(
            f"{SINGULAR[section]} {item_id}: id: the body says {given!r}; an id cannot change "
            "(add a new one and delete this one)"
        )
    return body


def _index(items: list[dict[str, Any]], section: Section, item_id: str) -> int:
    for index, item in enumerate(items):
        if item.get("id") == item_id:
            return index
    raise NotFoundError(SINGULAR[section], item_id)


def _noun(section: Section) -> str:
    return {"measures": "measure", "agencies": "agency", "parameters": "parameter"}[section]


@dataclass(frozen=True)
class HistoryEntry:
    at: float
    user_id: int | None
    user_name: str | None
    action: str
    changes: audit.Changes


def catalog_history(
    db: sqlite_utils.Database, agency_id: int, limit: int = 50
) -> list[HistoryEntry]:
    """The catalog's changes, newest first, from the audit log."""
    rows = db.execute(
        "SELECT a.at, a.user_id, u.full_name, a.action, a.changes FROM audit_log a"
        " LEFT JOIN users u ON u.id = a.user_id"
        " WHERE a.agency_id = ? AND a.object_type = 'agency' AND a.object_id = ?"
        " AND a.action LIKE 'benefits.%' ORDER BY a.id DESC LIMIT ?",
        (agency_id, str(agency_id), limit),
    ).fetchall()
    return [HistoryEntry(row[0], row[1], row[2], row[3], json.loads(row[4])) for row in rows]


# residents' profiles


@dataclass(frozen=True)
class StoredProfile:
    resident_id: int
    facts: dict[str, Any]  # JSON-ready, as `Profile.as_dict()`
    source: Source | None  # None: no profile saved
    version: int  # 0: none
    updated_at: float | None


def get_profile(db: sqlite_utils.Database, agency_id: int, resident_id: int) -> StoredProfile:
    """The resident's saved profile (empty if none); 404 if not the agency's resident."""
    get_resident(db, agency_id, resident_id)
    return _read_profile(db, resident_id)


def _read_profile(db: sqlite_utils.Database, resident_id: int) -> StoredProfile:
    row = db.execute(
        "SELECT facts, source, version, updated_at FROM benefit_profiles WHERE resident_id = ?",
        (resident_id,),
    ).fetchone()
    if row is None:
        return StoredProfile(resident_id, {}, None, 0, None)
    return StoredProfile(resident_id, json.loads(row[0]), row[1], int(row[2]), row[3])


def checked_facts(facts: object, on: date, where: str = "facts") -> Profile:
    """`parse_profile`, its refusal as InvalidChangeError naming the fact."""
    try:
        return parse_profile(facts, on, where)
    except ProfileError as error:
        raise InvalidChangeError(str(error)) from None


def put_profile(
    db: sqlite_utils.Database,
    agency_id: int,
    resident_id: int,
    facts: Mapping[str, Any],
    *,
    source: Source,
    user_id: int | None,
    now: float,
    robot_id: str | None = None,
) -> tuple[StoredProfile, bool]:
    """Replace the resident's profile with checked facts; (stored, changed)."""
    profile = checked_facts(dict(facts), today(now))
    with write_transaction(db):
        current = get_profile(db, agency_id, resident_id)
        return _write_profile(db, agency_id, current, profile, source=source, user_id=user_id,
                              robot_id=robot_id, now=now)  # fmt: skip


def _write_profile(
    db: sqlite_utils.Database,
    agency_id: int,
    current: StoredProfile,
    profile: Profile,
    *,
    source: Source,
    user_id: int | None,
    robot_id: str | None,
    now: float,
) -> tuple[StoredProfile, bool]:
    facts = profile.as_dict()
    if current.source is not None and current.facts == facts and current.source == source:
        return current, False
    version = _next_sequence(db, "profile")
    db.execute(
        "INSERT INTO benefit_profiles (resident_id, agency_id, facts, source, version,"
        " updated_at, updated_by, robot_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (resident_id) DO UPDATE SET facts = excluded.facts,"
        " source = excluded.source, version = excluded.version,"
        " updated_at = excluded.updated_at, updated_by = excluded.updated_by,"
        " robot_id = excluded.robot_id",
        (current.resident_id, agency_id, json.dumps(facts, ensure_ascii=False), source,
         version, now, user_id, robot_id),
    )  # fmt: skip
    changed = {k for k in {*current.facts, *facts} if current.facts.get(k) != facts.get(k)}
    audit.record(db, agency_id, user_id=user_id, action="benefits.update_profile",
                 object_type="resident", object_id=current.resident_id,
                 # Names only: the facts are personal data (see fleet.store.audit).
                 changes={**audit.field_names(changed), "source": [current.source, source]},
                 now=now)  # fmt: skip
    return StoredProfile(current.resident_id, facts, source, version, now), True


def delete_profile(
    db: sqlite_utils.Database,
    agency_id: int,
    resident_id: int,
    *,
    user_id: int | None,
    now: float,
) -> bool:
    """Forget the resident's profile; False if there was none."""
    with write_transaction(db):
        current = get_profile(db, agency_id, resident_id)
        return _delete_profile(db, agency_id, current, user_id, now)


def _delete_profile(
    db: sqlite_utils.Database,
    agency_id: int,
    current: StoredProfile,
    user_id: int | None,
    now: float,
) -> bool:
    if current.source is None:
        return False
    db.execute("DELETE FROM benefit_profiles WHERE resident_id = ?", (current.resident_id,))
    # The next profile gets a new version, so a robot never mistakes it for this one.
    _next_sequence(db, "profile")
    audit.record(db, agency_id, user_id=user_id, action="benefits.delete_profile",
                 object_type="resident", object_id=current.resident_id,
                 changes=audit.field_names(current.facts), now=now)  # fmt: skip
    return True


def _next_sequence(db: sqlite_utils.Database, name: str) -> int:
    db.execute(
        "INSERT INTO benefit_sequences (name, value) VALUES (?, 1)"
        " ON CONFLICT (name) DO UPDATE SET value = value + 1",
        (name,),
    )
    row = db.execute("SELECT value FROM benefit_sequences WHERE name = ?", (name,)).fetchone()
    return int(row[0])


def known_facts(db: sqlite_utils.Database, agency_id: int, resident_id: int) -> dict[str, Any]:
    """What the engine and the robot know of a resident, JSON-ready.

    The saved profile, plus the resident record's birth_date and disability_group (staff
    enter them from documents, so they win when set) and the agency's region when the
    profile names none.
    """
    resident = get_resident(db, agency_id, resident_id)
    facts = dict(_read_profile(db, resident_id).facts)
    if resident.birth_date:
        facts["birth_date"] = resident.birth_date
    if resident.disability_group is not None:
        facts["disability_group"] = resident.disability_group
    if "region" not in facts:
        region = agency_region(db, agency_id)
        if region is not None:
            facts["region"] = region
    return facts


def agency_region(db: sqlite_utils.Database, agency_id: int) -> str | None:
    row = db.execute("SELECT region FROM agencies WHERE id = ?", (agency_id,)).fetchone()
    region = None if row is None else str(row[0])
    return region if region in RU_REGIONS else None


# events from the robots (service side: keyed by the robot the broker authenticated)

EventOutcome = Literal["stored", "duplicate", "no_rental", "unchanged"]


@dataclass(frozen=True)
class RobotResident:
    agency_id: int
    resident_id: int
    rental_id: int


def resident_at(db: sqlite_utils.Database, robot_id: str, ts: float) -> RobotResident | None:
    """Whose rental of the robot was active at `ts` (not erased)."""
    row = db.execute(
        "SELECT r.agency_id, r.resident_id, r.id FROM rentals r"
        " JOIN residents p ON p.id = r.resident_id AND p.erased_at IS NULL"
        " WHERE r.robot_id = ? AND r.handed_over_at IS NOT NULL AND r.handed_over_at <= ?"
        " AND (r.returned_at IS NULL OR r.returned_at > ?)"
        " ORDER BY r.handed_over_at DESC LIMIT 1",
        (robot_id, ts, ts),
    ).fetchone()
    return None if row is None else RobotResident(int(row[0]), int(row[1]), int(row[2]))


def _owner(db: sqlite_utils.Database, robot_id: str, ts: float, now: float) -> RobotResident | None:
    # The rental active when it happened; else (a robot clock behind the fleet's) the one
    # active now: the robot is wiped between two residents, so it cannot be the last one's.
    return resident_at(db, robot_id, ts) or resident_at(db, robot_id, now)


def record_voice_profile(
    db: sqlite_utils.Database,
    robot_id: str,
    event_id: str,
    facts: Mapping[str, Any] | None,
    *,
    ts: float,
    now: float,
) -> tuple[EventOutcome, int | None]:
    """A `benefits.profile` (facts) or `benefits.profile_deleted` (None) event, once.

    Given facts are merged into the saved profile (a robot may know only part of it);
    a fact sent as null is forgotten. Raises InvalidChangeError for a bad fact (nothing
    is stored, not even the event id). Returns what happened and the resident.
    """
    with write_transaction(db):
        owner = _owner(db, robot_id, ts, now)
        if owner is None:
            return "no_rental", None
        cursor = db.execute(
            "INSERT INTO benefit_profile_events (robot_id, event_id, received_at)"
            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (robot_id, event_id, now),
        )
        if cursor.rowcount != 1:
            return "duplicate", owner.resident_id
        current = _read_profile(db, owner.resident_id)
        if facts is None:
            deleted = _delete_profile(db, owner.agency_id, current, None, now)
            return ("stored" if deleted else "unchanged"), owner.resident_id
        merged = {**current.facts, **facts}
        merged = {k: v for k, v in merged.items() if v is not None or k == "disability_group"}
        profile = checked_facts(merged, today(ts), "benefits.profile facts")
        _, changed = _write_profile(
            db,
            owner.agency_id,
            current,
            profile,
            source="voice",
            user_id=None,
            robot_id=robot_id,
            now=now,
        )
        return ("stored" if changed else "unchanged"), owner.resident_id


@dataclass(frozen=True)
class AppointmentRequest:
    id: int
    resident_id: int
    robot_id: str
    benefits_agency_id: str
    measure_ids: list[str]
    note: str
    ts: float
    done_at: float | None


def record_appointment_request(
    db: sqlite_utils.Database,
    robot_id: str,
    event_id: str,
    *,
    benefits_agency_id: str,
    measure_ids: list[str],
    note: str,
    ts: float,
    now: float,
) -> tuple[EventOutcome, int | None]:
    """Keep an `appointment.request` once per robot and event_id, for the social worker."""
    with write_transaction(db):
        owner = _owner(db, robot_id, ts, now)
        if owner is None:
            return "no_rental", None
        cursor = db.execute(
            "INSERT INTO benefit_appointment_requests (robot_id, event_id, agency_id,"
            " resident_id, rental_id, benefits_agency_id, measure_ids, note, ts, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (robot_id, event_id) DO NOTHING",
            (robot_id, event_id, owner.agency_id, owner.resident_id, owner.rental_id,
             benefits_agency_id, json.dumps(measure_ids), note, ts, now),
        )  # fmt: skip
    return ("stored" if cursor.rowcount == 1 else "duplicate"), owner.resident_id


def list_appointment_requests(
    db: sqlite_utils.Database, agency_id: int, resident_id: int
) -> list[AppointmentRequest]:
    """The resident's requests, open ones first, newest first."""
    get_resident(db, agency_id, resident_id)
    rows = db.execute(
        "SELECT id, resident_id, robot_id, benefits_agency_id, measure_ids, note, ts, done_at"
        " FROM benefit_appointment_requests WHERE agency_id = ? AND resident_id = ?"
        " ORDER BY done_at IS NOT NULL, ts DESC, id DESC LIMIT 200",
        (agency_id, resident_id),
    ).fetchall()
    return [
        AppointmentRequest(
            row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], row[7]
        )
        for row in rows
    ]


def mark_request_done(
    db: sqlite_utils.Database,
    agency_id: int,
    resident_id: int,
    request_id: int,
    *,
    user_id: int | None,
    now: float,
) -> None:
    with write_transaction(db):
        get_resident(db, agency_id, resident_id)
        cursor = db.execute(
            "UPDATE benefit_appointment_requests SET done_at = COALESCE(done_at, ?),"
            " done_by = COALESCE(done_by, ?) WHERE agency_id = ? AND resident_id = ? AND id = ?",
            (now, user_id, agency_id, resident_id, request_id),
        )
        if cursor.rowcount != 1:
            raise NotFoundError("appointment request", request_id)
        audit.record(db, agency_id, user_id=user_id, action="benefits.request_done",
                     object_type="resident", object_id=resident_id,
                     changes={"appointment_request": [request_id, request_id]},
                     now=now)  # fmt: skip


# what a robot should hold (service side, `fleet.config_sync`)


@dataclass(frozen=True)
class Holding:
    """The benefits a rented robot should hold, and a cheap stamp that changes with them."""

    robot_id: str
    agency_id: int
    resident_id: int
    stamp: str


def holding(db: sqlite_utils.Database, robot_id: str, now: float) -> Holding | None:
    row = _holding_row(db, robot_id)
    if row is not None and row[6] is None:
        get_catalog(db, int(row[0]), now)  # store the seed first: its version is in the stamp
        row = _holding_row(db, robot_id)
    if row is None:
        return None
    agency_id, resident_id = int(row[0]), int(row[1])
    # Everything the message is made of, by version or value.
    stamp = ":".join(str(part) for part in row[1:])
    return Holding(robot_id, agency_id, resident_id, stamp)


def _holding_row(db: sqlite_utils.Database, robot_id: str) -> tuple[Any, ...] | None:
    row: tuple[Any, ...] | None = db.execute(
        "SELECT r.agency_id, r.resident_id, p.updated_at, p.birth_date, p.disability_group,"
        " a.region, c.version, f.version FROM rentals r"
        " JOIN residents p ON p.id = r.resident_id AND p.erased_at IS NULL"
        " JOIN agencies a ON a.id = r.agency_id"
        " LEFT JOIN benefit_catalogs c ON c.agency_id = r.agency_id"
        " LEFT JOIN benefit_profiles f ON f.resident_id = r.resident_id"
        " WHERE r.robot_id = ? AND r.status = 'active'",
        (robot_id,),
    ).fetchone()
    return row


def config_data(db: sqlite_utils.Database, held: Holding, now: float) -> dict[str, Any]:
    """`cfg/benefits` data: the agency's catalog document and the resident's known facts."""
    catalog = get_catalog(db, held.agency_id, now)
    return {
        "catalog": catalog.document,
        "profile": known_facts(db, held.agency_id, held.resident_id),
    }
