"""Reading ids and page numbers from URLs; `?page=N` links that keep a list's filters."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request

from fleet.web.errors import PageNotFoundError

PAGE_SIZE = 25


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    previous_url: str | None
    next_url: str | None

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE


def parse_id(text: str) -> int:
    """A numeric id from the path; anything else is simply not found (never a 422)."""
    if not text.isdigit() or len(text) > 18:
        raise PageNotFoundError()
    return int(text)


def page_number(text: str) -> int:
    """`?page=` as a number from 1; anything else is the first page, not an error."""
    return int(text) if text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1


def pager(request: Request, page: int, total: int) -> Pager:
    pages = max(1, -(-total // PAGE_SIZE))
    return Pager(
        page=page,
        pages=pages,
        previous_url=_url(request, page - 1) if page > 1 else None,
        next_url=_url(request, page + 1) if page < pages else None,
    )


def _url(request: Request, page: int) -> str:
    query = {k: v for k, v in request.query_params.items() if k not in ("page", "lang")}
    query["page"] = str(page)
    return f"{request.url.path}?{urlencode(query)}"
