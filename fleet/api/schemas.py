"""What the API's resource routers share: strict request bodies, pages, error answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, ConfigDict

from fleet.store.common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ConflictError,
    InvalidChangeError,
    InvalidFieldsError,
    NotFoundError,
    Page,
)

T = TypeVar("T")


class RequestBody(BaseModel):
    """A request body: an unknown field is a 422 naming it, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _not_null(value: T) -> T:
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


# For PATCH fields that may be left out (None by default) but never sent as null.
NotNull = AfterValidator(_not_null)


class Reply(BaseModel):
    """A response body built from the store's dataclasses."""

    model_config = ConfigDict(from_attributes=True)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class ErrorOut(BaseModel):
    detail: str


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, description="Items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


def page_fields(page: Page[Any]) -> dict[str, int]:
    return {"total": page.total, "limit": page.limit, "offset": page.offset}


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


SIGNED_IN: dict[int | str, dict[str, Any]] = {
    401: _error("Not signed in, or the token is invalid or expired."),
    403: _error("Your role may not do this."),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: _error("No such object in your agency (objects of other agencies are never shown).")
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: _error("The object's current state does not allow this; the detail names it.")
}


@contextmanager
def store_errors() -> Iterator[None]:
    """The store's refusals as HTTP answers: 404, 409, 422 with the store's message."""
    try:
        yield
    except NotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from None
    except ConflictError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    except InvalidChangeError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from None
    except InvalidFieldsError as error:  # the same 422 as a body that fails its schema
        raise RequestValidationError(
            [
                {"loc": ("body", *problem.loc), "msg": problem.msg, "type": "value_error"}
                for problem in error.problems
            ]
        ) from None
