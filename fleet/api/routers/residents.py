"""Residents: their personal data, changed with an audit trail and erased on request."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field, StringConstraints

from fleet.api.deps import ADMIN_ONLY, MANAGE_RESIDENTS, Context, CurrentUser, Db
from fleet.api.schemas import (
    CONFLICT,
    NOT_FOUND,
    SIGNED_IN,
    NotNull,
    PageOut,
    Paging,
    Reply,
    RequestBody,
    page_fields,
    store_errors,
)
from fleet.store import residents as store
from fleet.store.accounts import User

_residents = APIRouter(prefix="/residents", tags=["residents"], responses=SIGNED_IN)

ResidentEditor = Annotated[User, Depends(MANAGE_RESIDENTS)]
Admin = Annotated[User, Depends(ADMIN_ONLY)]
ConsentName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Language = Literal["ru", "en"]
DisabilityGroup = Literal[1, 2, 3]
FullName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Address = Annotated[str, StringConstraints(max_length=500)]
BirthDate = Annotated[date, Field(ge=date(1900, 1, 1))]


class Contact(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    relation: str = Field(default="", max_length=100, examples=["daughter"])
    phone: str = Field(pattern=r"^\+?[0-9][0-9 ()-]{2,31}$", examples=["+7 912 345-67-89"])


Contacts = Annotated[list[Contact], Field(max_length=20)]
Consents = Annotated[
    dict[ConsentName, bool],
    Field(max_length=20, examples=[{"video_calls": True, "data_sharing": False}]),
]


class ResidentCreate(RequestBody):
    full_name: FullName
    address: Address = ""
    language: Language = "ru"
    birth_date: BirthDate | None = None
    disability_group: DisabilityGroup | None = None
    contacts: Contacts = Field(default_factory=list)
    consents: Consents = Field(default_factory=dict)


class ResidentPatch(RequestBody):
    """Fields left out stay as they are; birth_date and disability_group may be null."""

    full_name: Annotated[FullName | None, NotNull] = None
    address: Annotated[Address | None, NotNull] = None
    language: Annotated[Language | None, NotNull] = None
    birth_date: BirthDate | None = None
    disability_group: DisabilityGroup | None = None
    contacts: Annotated[Contacts | None, NotNull] = None
    consents: Annotated[Consents | None, NotNull] = None


class ContactOut(Reply):
    name: str
    relation: str
    phone: str


class ResidentOut(Reply):
    id: int
    full_name: str
    address: str
    language: Language
    birth_date: date | None
    disability_group: int | None
    contacts: list[ContactOut]
    consents: dict[str, bool]
    created_at: float
    updated_at: float | None


@_residents.post("", status_code=status.HTTP_201_CREATED, summary="Add a resident of the agency")
def create_resident(
    body: ResidentCreate, user: ResidentEditor, context: Context, db: Db
) -> ResidentOut:
    resident_id = store.create_resident(
        db, user.agency_id, body.model_dump(mode="json"), user_id=user.id, now=context.now()
    )
    return ResidentOut.model_validate(store.get_resident(db, user.agency_id, resident_id))


@_residents.get("", summary="The agency's residents, by name")
def list_residents(
    user: CurrentUser,
    db: Db,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
) -> PageOut[ResidentOut]:
    page = store.list_residents(db, user.agency_id, q=q, limit=paging.limit, offset=paging.offset)
    items = [ResidentOut.model_validate(resident) for resident in page.items]
    return PageOut[ResidentOut](items=items, **page_fields(page))


@_residents.get("/{resident_id}", summary="One resident", responses=NOT_FOUND)
def get_resident(resident_id: int, user: CurrentUser, db: Db) -> ResidentOut:
    with store_errors():
        return ResidentOut.model_validate(store.get_resident(db, user.agency_id, resident_id))


@_residents.patch("/{resident_id}", summary="Change a resident's data", responses=NOT_FOUND)
def update_resident(
    resident_id: int, body: ResidentPatch, user: ResidentEditor, context: Context, db: Db
) -> ResidentOut:
    changes = body.model_dump(mode="json", exclude_unset=True)
    with store_errors():
        store.update_resident(
            db, user.agency_id, resident_id, changes, user_id=user.id, now=context.now()
        )
        return ResidentOut.model_validate(store.get_resident(db, user.agency_id, resident_id))


@_residents.delete(
    "/{resident_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a resident's personal data for good (admins)",
    description="Refused while the resident has a planned or active rental. The record of "
    "past rentals stays, pointing to a resident with no personal data left.",
    responses={**NOT_FOUND, **CONFLICT},
)
def erase_resident(resident_id: int, user: Admin, context: Context, db: Db) -> Response:
    with store_errors():
        store.erase_resident(db, user.agency_id, resident_id, user_id=user.id, now=context.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


router = _residents
