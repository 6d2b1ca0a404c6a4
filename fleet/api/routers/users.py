"""The agency's staff: admins add operators, social workers and caregivers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import Field, StringConstraints

from fleet.api.deps import ADMIN_ONLY, Context, CurrentUser, Db
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
from fleet.api.security import (
    WeakPasswordError,
    check_password_strength,
    hash_password,
    verify_password,
)
from fleet.store import staff
from fleet.store.accounts import AccountExistsError, Role, User, set_password_hash

router = APIRouter(tags=["users"], responses=SIGNED_IN)

Admin = Annotated[User, Depends(ADMIN_ONLY)]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
FullName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Password = Annotated[str, Field(min_length=1, max_length=200)]


class UserCreate(RequestBody):
    email: Email
    full_name: FullName
    role: Role
    password: Password


class UserPatch(RequestBody):
    full_name: Annotated[FullName | None, NotNull] = None
    role: Annotated[Role | None, NotNull] = None
    active: Annotated[bool | None, NotNull] = None


class PasswordChange(RequestBody):
    current_password: Password
    new_password: Password


class UserOut(Reply):
    id: int
    email: str
    full_name: str
    role: Role
    active: bool


@router.post("/users", status_code=status.HTTP_201_CREATED, summary="Add a staff member",
             responses=CONFLICT)  # fmt: skip
def add_user(body: UserCreate, admin: Admin, context: Context, db: Db) -> UserOut:
    _check_strength(body.password, body.email)
    try:
        user_id = staff.add_user(
            db, admin.agency_id, email=body.email, password_hash=hash_password(body.password),
            full_name=body.full_name, role=body.role, by_user_id=admin.id, now=context.now(),
        )  # fmt: skip
    except AccountExistsError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    return UserOut.model_validate(staff.get_user(db, admin.agency_id, user_id))


@router.get("/users", summary="The agency's staff")
def list_users(admin: Admin, db: Db, paging: Paging) -> PageOut[UserOut]:
    page = staff.list_users(db, admin.agency_id, limit=paging.limit, offset=paging.offset)
    items = [UserOut.model_validate(user) for user in page.items]
    return PageOut[UserOut](items=items, **page_fields(page))


@router.get("/users/{user_id}", summary="One staff member", responses=NOT_FOUND)
def get_user(user_id: int, admin: Admin, db: Db) -> UserOut:
    with store_errors():
        return UserOut.model_validate(staff.get_user(db, admin.agency_id, user_id))


@router.patch("/users/{user_id}", summary="Change a role, a name, or disable an account",
              responses={**NOT_FOUND, **CONFLICT})  # fmt: skip
def update_user(user_id: int, body: UserPatch, admin: Admin, context: Context, db: Db) -> UserOut:
    changes = body.model_dump(exclude_unset=True)
    with store_errors():
        staff.update_user(
            db, admin.agency_id, user_id, changes, by_user_id=admin.id, now=context.now()
        )
        return UserOut.model_validate(staff.get_user(db, admin.agency_id, user_id))


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT,
             summary="Change your own password")  # fmt: skip
def change_password(body: PasswordChange, user: CurrentUser, db: Db) -> None:
    if not verify_password(user.password_hash, body.current_password):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="the current password is wrong")
    _check_strength(body.new_password, user.email)
    set_password_hash(db, user.id, hash_password(body.new_password))


def _check_strength(password: str, email: str) -> None:
    try:
        check_password_strength(password, email)
    except WeakPasswordError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None
