"""Benefits: the agency's catalog (measures, agencies, parameters), residents' benefits
profiles, their eligibility, and the appointment requests their robots sent.

Admins and social workers edit the catalog; everyone of the agency reads it. Every
change is checked as a whole catalog (422 with the reason, naming the measure and the
path inside its rule), becomes the next version, and goes to the agency's rented robots
at once as retained `cfg/benefits` (see `fleet.config_sync`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import sqlite_utils
from fastapi import APIRouter, Body, Depends, Query, Response, status
from pydantic import Field

from benefits import check_all
from fleet import config_sync
from fleet.api.deps import RESIDENT_EDITORS, Context, CurrentUser, Db, require_roles
from fleet.api.schemas import CONFLICT, NOT_FOUND, SIGNED_IN, Reply, RequestBody, store_errors
from fleet.context import FleetContext
from fleet.store import benefits as store
from fleet.store.accounts import Role, User
from fleet.store.benefits import Section, StoredCatalog

# The issue: "the agency keeps the catalog": its admins and social workers.
CATALOG_EDITORS: tuple[Role, ...] = ("admin", "social_worker")
CatalogEditor = Annotated[User, Depends(require_roles(*CATALOG_EDITORS))]
ProfileEditor = Annotated[User, Depends(require_roles(*RESIDENT_EDITORS))]
BaseVersion = Annotated[
    int | None,
    Query(ge=1, description="The catalog version the change was made on; 409 if it is older."),
]
Item = Annotated[dict[str, Any], Body(description="The fields to set (others stay as they are).")]
NewItem = Annotated[dict[str, Any], Body(description="The whole new item, with its id.")]
Lang = Literal["ru", "en"]
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "The change would make the catalog invalid; the detail says why."}
}

_catalog = APIRouter(prefix="/benefits", tags=["benefits"], responses=SIGNED_IN)
_residents = APIRouter(prefix="/residents", tags=["benefits"], responses=SIGNED_IN)


class CatalogOut(Reply):
    version: int
    updated_at: float
    document: dict[str, Any]


class MeasureSummary(Reply):
    id: str
    title: dict[str, str]
    type: str
    level: str
    region: str | None
    agency: str
    # False while any source of the measure (amounts, agency) is marked unverified.
    verified: bool


class MeasureList(Reply):
    catalog_version: int
    items: list[MeasureSummary]


class ItemsOut(Reply):
    catalog_version: int
    items: list[dict[str, Any]]


class ItemOut(Reply):
    catalog_version: int
    item: dict[str, Any]


class HistoryOut(Reply):
    at: float
    user_id: int | None
    user_name: str | None
    action: str
    changes: dict[str, Any]


class ProfileIn(RequestBody):
    facts: dict[str, Any] = Field(
        description="Facts of the vocabulary (`homecare benefits` FACTS), e.g. "
        '{"birth_date": "1944-05-09", "disability_group": 2, "titles": ["veteran_of_labour"]}'
    )


class ProfileOut(Reply):
    resident_id: int
    facts: dict[str, Any]
    source: Literal["voice", "staff"] | None
    version: int
    updated_at: float | None


class EligibilityOut(Reply):
    resident_id: int
    date: date
    lang: Lang
    catalog_version: int
    facts: dict[str, Any]
    results: list[dict[str, Any]]


class AppointmentRequestOut(Reply):
    id: int
    robot_id: str
    benefits_agency_id: str
    measure_ids: list[str]
    note: str
    ts: float
    done_at: float | None


# the catalog


@_catalog.get("/catalog", summary="The agency's benefits catalog, as robots get it")
def get_catalog(user: CurrentUser, context: Context, db: Db) -> CatalogOut:
    found = store.get_catalog(db, user.agency_id, context.now())
    return CatalogOut(version=found.version, updated_at=found.updated_at, document=found.document)


@_catalog.put(
    "/catalog",
    summary="Replace the whole catalog (import)",
    responses={**CONFLICT, **INVALID},
)
def put_catalog(
    body: NewItem, user: CatalogEditor, context: Context, db: Db, base_version: BaseVersion = None
) -> CatalogOut:
    found = change(context, db, user, store.replace_document(body), base_version)
    return CatalogOut(version=found.version, updated_at=found.updated_at, document=found.document)


@_catalog.get("/catalog/history", summary="Who changed the catalog, when, and what")
def get_history(
    user: CurrentUser,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[HistoryOut]:
    return [HistoryOut.model_validate(e) for e in store.catalog_history(db, user.agency_id, limit)]


@_catalog.get("/measures", summary="The catalog's measures, in short")
def list_measures(user: CurrentUser, context: Context, db: Db) -> MeasureList:
    found = store.get_catalog(db, user.agency_id, context.now())
    return MeasureList(catalog_version=found.version, items=measure_summaries(found))


@_catalog.get("/measures/{measure_id}", summary="One measure", responses=NOT_FOUND)
def get_measure(measure_id: str, user: CurrentUser, context: Context, db: Db) -> ItemOut:
    return _item(context, db, user, "measures", measure_id)


@_catalog.post(
    "/measures", status_code=status.HTTP_201_CREATED, summary="Add a measure",
    responses={**CONFLICT, **INVALID},
)  # fmt: skip
def add_measure(
    body: NewItem, user: CatalogEditor, context: Context, db: Db, base_version: BaseVersion = None
) -> ItemOut:
    return _add(context, db, user, section="measures", body=body, base_version=base_version)


@_catalog.put(
    "/measures/{measure_id}",
    summary="Change a measure (its title, summary, rule, ...)",
    description="The fields given replace the measure's; fields left out stay. The whole "
    "catalog is checked: an unknown fact, parameter or operator, or a cycle of shared "
    "rules, is refused (422) with the reason and the path inside the rule.",
    responses={**NOT_FOUND, **CONFLICT, **INVALID},
)
def put_measure(
    measure_id: str, body: Item, *, user: CatalogEditor, context: Context, db: Db,
    base_version: BaseVersion = None,
) -> ItemOut:  # fmt: skip
    return _put(
        context,
        db,
        user,
        section="measures",
        item_id=measure_id,
        body=body,
        base_version=base_version,
    )


@_catalog.delete(
    "/measures/{measure_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a measure", responses={**NOT_FOUND, **CONFLICT},
)  # fmt: skip
def delete_measure(
    measure_id: str, user: CatalogEditor, context: Context, db: Db,
    base_version: BaseVersion = None,
) -> Response:  # fmt: skip
    return _delete(
        context, db, user, section="measures", item_id=measure_id, base_version=base_version
    )


@_catalog.get("/agencies", summary="The agencies that grant or deliver measures")
def list_agencies(user: CurrentUser, context: Context, db: Db) -> ItemsOut:
    found = store.get_catalog(db, user.agency_id, context.now())
    return ItemsOut(catalog_version=found.version, items=found.items("agencies"))


@_catalog.get("/agencies/{benefits_agency_id}", summary="One agency", responses=NOT_FOUND)
def get_agency(benefits_agency_id: str, user: CurrentUser, context: Context, db: Db) -> ItemOut:
    return _item(context, db, user, "agencies", benefits_agency_id)


@_catalog.post(
    "/agencies", status_code=status.HTTP_201_CREATED, summary="Add an agency",
    responses={**CONFLICT, **INVALID},
)  # fmt: skip
def add_agency(
    body: NewItem, user: CatalogEditor, context: Context, db: Db, base_version: BaseVersion = None
) -> ItemOut:
    return _add(context, db, user, section="agencies", body=body, base_version=base_version)


@_catalog.put(
    "/agencies/{benefits_agency_id}",
    summary="Change an agency (contacts, what it does, ...)",
    description="The fields given replace the agency's; fields left out stay.",
    responses={**NOT_FOUND, **CONFLICT, **INVALID},
)
def put_agency(
    benefits_agency_id: str, body: Item, *, user: CatalogEditor, context: Context, db: Db,
    base_version: BaseVersion = None,
) -> ItemOut:  # fmt: skip
    return _put(
        context,
        db,
        user,
        section="agencies",
        item_id=benefits_agency_id,
        body=body,
        base_version=base_version,
    )


@_catalog.delete(
    "/agencies/{benefits_agency_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an agency (409 while measures name it)",
    responses={**NOT_FOUND, **CONFLICT},
)  # fmt: skip
def delete_agency(
    benefits_agency_id: str, user: CatalogEditor, context: Context, db: Db,
    base_version: BaseVersion = None,
) -> Response:  # fmt: skip
    return _delete(
        context, db, user, section="agencies", item_id=benefits_agency_id, base_version=base_version
    )


@_catalog.get("/parameters", summary="Named, dated parameters (subsistence minimum, ...)")
def list_parameters(user: CurrentUser, context: Context, db: Db) -> ItemsOut:
    found = store.get_catalog(db, user.agency_id, context.now())
    return ItemsOut(catalog_version=found.version, items=found.items("parameters"))


@_catalog.get("/parameters/{parameter_id}", summary="One parameter", responses=NOT_FOUND)
def get_parameter(parameter_id: str, user: CurrentUser, context: Context, db: Db) -> ItemOut:
    return _item(context, db, user, "parameters", parameter_id)


@_catalog.post(
    "/parameters", status_code=status.HTTP_201_CREATED, summary="Add a parameter",
    responses={**CONFLICT, **INVALID},
)  # fmt: skip
def add_parameter(
    body: NewItem, user: CatalogEditor, context: Context, db: Db, base_version: BaseVersion = None
) -> ItemOut:
    return _add(context, db, user, section="parameters", body=body, base_version=base_version)


@_catalog.put(
    "/parameters/{parameter_id}",
    summary="Change a parameter (e.g. add this year's value)",
    description="The fields given replace the parameter's; fields left out stay.",
    responses={**NOT_FOUND, **CONFLICT, **INVALID},
)
def put_parameter(
    parameter_id: str, body: Item, *, user: CatalogEditor, context: Context, db: Db,
    base_version: BaseVersion = None,
) -> ItemOut:  # fmt: skip
    return _put(
        context,
        db,
        user,
        section="parameters",
        item_id=parameter_id,
        body=body,
        base_version=base_version,
    )


# residents


@_residents.get(
    "/{resident_id}/benefits/profile", summary="A resident's benefits profile",
    responses=NOT_FOUND,
)  # fmt: skip
def get_profile(resident_id: int, user: CurrentUser, db: Db) -> ProfileOut:
    with store_errors():
        return ProfileOut.model_validate(store.get_profile(db, user.agency_id, resident_id))


@_residents.put(
    "/{resident_id}/benefits/profile",
    summary="Replace a resident's benefits profile (entered by staff)",
    description="Refused (422, naming the fact) for an unknown fact, a wrong type, an "
    "unknown region code or a birth date in the future.",
    responses={**NOT_FOUND, **INVALID},
)
def put_profile(
    resident_id: int, body: ProfileIn, user: ProfileEditor, context: Context, db: Db
) -> ProfileOut:
    with store_errors():
        stored, changed = store.put_profile(
            db, user.agency_id, resident_id, body.facts, source="staff", user_id=user.id,
            now=context.now(),
        )  # fmt: skip
    if changed:
        sync_resident_benefits(context, db, resident_id)
    return ProfileOut.model_validate(stored)


@_residents.delete(
    "/{resident_id}/benefits/profile", status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a resident's benefits profile", responses=NOT_FOUND,
)  # fmt: skip
def delete_profile(resident_id: int, user: ProfileEditor, context: Context, db: Db) -> Response:
    with store_errors():
        deleted = store.delete_profile(
            db, user.agency_id, resident_id, user_id=user.id, now=context.now()
        )
    if deleted:
        sync_resident_benefits(context, db, resident_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@_residents.get(
    "/{resident_id}/benefits",
    summary="What the resident may be entitled to, with reasons",
    description="The engine's answer for every measure of the agency's catalog, from the "
    "saved profile, the resident record's birth date and disability group, and the "
    "agency's region. `unknown` lists the facts still missing.",
    responses={**NOT_FOUND, **INVALID},
)
def get_eligibility(
    resident_id: int,
    *,
    user: CurrentUser,
    context: Context,
    db: Db,
    lang: Lang = "ru",
    on: Annotated[date | None, Query(alias="date", description="Default: today.")] = None,
) -> EligibilityOut:
    with store_errors():
        return eligibility(
            context, db, agency_id=user.agency_id, resident_id=resident_id, lang=lang, on=on
        )


@_residents.get(
    "/{resident_id}/benefits/appointment-requests",
    summary="Appointments the resident asked their robot for",
    responses=NOT_FOUND,
)
def get_requests(resident_id: int, user: CurrentUser, db: Db) -> list[AppointmentRequestOut]:
    with store_errors():
        found = store.list_appointment_requests(db, user.agency_id, resident_id)
    return [AppointmentRequestOut.model_validate(item) for item in found]


# helpers (the dashboard uses them too)


def eligibility(
    context: FleetContext,
    db: sqlite_utils.Database,
    *,
    agency_id: int,
    resident_id: int,
    lang: Lang,
    on: date | None,
) -> EligibilityOut:
    """The engine over the agency's catalog; InvalidChangeError if the facts do not fit `on`."""
    now = context.now()
    day = on or store.today(now)
    facts = store.known_facts(db, agency_id, resident_id)
    profile = store.checked_facts(facts, day, "profile")
    found = store.get_catalog(db, agency_id, now)
    results = [result.as_dict(lang) for result in check_all(found.compiled(), profile, day)]
    return EligibilityOut(resident_id=resident_id, date=day, lang=lang,
                          catalog_version=found.version, facts=facts, results=results)  # fmt: skip


def change(
    context: FleetContext,
    db: sqlite_utils.Database,
    user: User,
    edit: store.Editor,
    base_version: int | None,
) -> StoredCatalog:
    """A catalog change as HTTP answers (404/409/422 as the store says)."""
    with store_errors():
        return save_catalog_change(context, db, user, edit, base_version)


def save_catalog_change(
    context: FleetContext,
    db: sqlite_utils.Database,
    user: User,
    edit: store.Editor,
    base_version: int | None,
) -> StoredCatalog:
    """Store a catalog change and send it to the agency's rented robots at once."""
    found, changed = store.change_catalog(
        db, user.agency_id, edit, user_id=user.id, now=context.now(), base_version=base_version
    )
    if changed:
        robots = config_sync.robots_of_agency(db, user.agency_id)
        config_sync.sync_robots(context.publish, context.mqtt_connected, db, robots,
                                context.now(), kinds=(config_sync.BENEFITS,))  # fmt: skip
    return found


def measure_summaries(found: StoredCatalog) -> list[MeasureSummary]:
    agencies = {item["id"]: item for item in found.items("agencies")}
    return [
        MeasureSummary(
            id=measure["id"],
            title=measure["title"],
            type=measure["type"],
            level=measure["level"],
            region=measure.get("region"),
            agency=measure["agency"],
            verified=_verified(measure, agencies.get(measure["agency"])),
        )
        for measure in found.items("measures")
    ]


def _verified(measure: dict[str, Any], agency: dict[str, Any] | None) -> bool:
    sources = [amount.get("source") or {} for amount in measure.get("amounts", [])]
    if agency is not None:
        sources.append(agency.get("source") or {"verified": False})
    return all(source.get("verified", True) for source in sources)


def _item(
    context: FleetContext, db: sqlite_utils.Database, user: User, section: Section, item_id: str
) -> ItemOut:
    found = store.get_catalog(db, user.agency_id, context.now())
    with store_errors():
        return ItemOut(catalog_version=found.version, item=found.item(section, item_id))


def _add(
    context: FleetContext, db: sqlite_utils.Database, user: User, *, section: Section,
    body: dict[str, Any], base_version: int | None,
) -> ItemOut:  # fmt: skip
    with store_errors():
        edit = store.add_item(section, body)
    found = change(context, db, user, edit, base_version)
    return ItemOut(catalog_version=found.version, item=found.item(section, str(body["id"])))


def _put(
    context: FleetContext, db: sqlite_utils.Database, user: User, *, section: Section,
    item_id: str, body: dict[str, Any], base_version: int | None,
) -> ItemOut:  # fmt: skip
    with store_errors():
        edit = store.patch_item(section, item_id, body)
    found = change(context, db, user, edit, base_version)
    return ItemOut(catalog_version=found.version, item=found.item(section, item_id))


def _delete(
    context: FleetContext, db: sqlite_utils.Database, user: User, *, section: Section,
    item_id: str, base_version: int | None,
) -> Response:  # fmt: skip
    change(context, db, user, store.delete_item(section, item_id), base_version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def sync_resident_benefits(
    context: FleetContext, db: sqlite_utils.Database, resident_id: int
) -> None:
    robots = config_sync.robots_of_resident(db, resident_id)
    config_sync.sync_robots(context.publish, context.mqtt_connected, db, robots, context.now(),
                            kinds=(config_sync.BENEFITS,))  # fmt: skip


router = APIRouter()
router.include_router(_catalog)
router.include_router(_residents)
