"""The audit log of the agency's robots, residents and rentals (admins only).

Mounted through `fleet.api.routers.residents.router`, as app.py mounts a fixed list.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from fleet.api.deps import ADMIN_ONLY, Db
from fleet.api.schemas import SIGNED_IN, PageOut, Paging, Reply, page_fields
from fleet.store.accounts import User
from fleet.store.audit import ObjectType, list_audit

router = APIRouter(prefix="/audit", tags=["audit"], responses=SIGNED_IN)


class AuditOut(Reply):
    id: int
    at: float = Field(description="Epoch seconds of the change.")
    user_id: int | None = Field(description="Who made it; null for the service (MQTT).")
    action: str
    object_type: str
    object_id: str
    changes: dict[str, list[Any] | None] = Field(
        description="field -> [old, new]; for residents' personal data field -> null "
        "(which fields changed, never their values)."
    )


@router.get("", summary="Who changed what, newest first")
def read_audit(
    user: Annotated[User, Depends(ADMIN_ONLY)],
    db: Db,
    paging: Paging,
    object_type: ObjectType | None = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
) -> PageOut[AuditOut]:
    page = list_audit(
        db,
        user.agency_id,
        object_type=object_type,
        object_id=object_id,
        limit=paging.limit,
        offset=paging.offset,
    )
    items = [AuditOut.model_validate(entry) for entry in page.items]
    return PageOut[AuditOut](items=items, **page_fields(page))
