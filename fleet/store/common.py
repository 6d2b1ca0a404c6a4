"""What the agency-owned stores (robots, residents, rentals, audit) share.

Every query of those stores names the agency: an object of another agency is
"not found", exactly like one that never existed, so the API cannot leak it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

import sqlite_utils

from fleet.store.database import transaction
from homecare.errors import HomecareError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: `items` in order, `total` matching rows over all pages."""

    items: list[T]
    total: int
    limit: int
    offset: int


class NotFoundError(HomecareError):
    """No such object in this agency: missing, erased, or another agency's (never said which)."""

    def __init__(self, kind: str, object_id: object) -> None:
        super().__init__(f"{kind} {object_id} not found")


class ConflictError(HomecareError):
    """The change does not fit the object's current state (the message names that state)."""


class InvalidChangeError(HomecareError):
    """The change is well-formed but wrong against what is stored (e.g. end before start)."""


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a document the API took (a schedule, a registry): where (a
    path into it) and what."""

    loc: tuple[str | int, ...]
    msg: str


class InvalidFieldsError(ValueError):
    """A document with problems in named fields (the API answers 422 naming each)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in problems))
        self.problems = problems


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """All of it or nothing, holding the write lock from the start.

    These writes check state first (robot in stock, no open rental) and then change it;
    the check and the change must be one step for concurrent writers.
    """
    with transaction(db.conn, immediate=True) as connection:
        yield connection


def contains_pattern(text: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') matching `text` anywhere, wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def clamp_limit(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))
