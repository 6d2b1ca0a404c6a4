"""`PageRoute`: the route class of every dashboard page, answering problems as pages.

FastAPI's own handlers answer with JSON, right for the API and wrong for a person:
here "not signed in" becomes a redirect to the sign-in page, and "not found",
"not allowed", "form expired" or "not possible now" become readable HTML pages.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from fleet.store.common import ConflictError, InvalidChangeError, NotFoundError
from fleet.web.errors import ActionConflictError, LoginRequiredError, PageError, PageNotFoundError
from fleet.web.render import redirect, render
from fleet.web.session import login_url

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except NotFoundError:
                return error_page(request, PageNotFoundError())
            except (ConflictError, InvalidChangeError) as error:
                return error_page(request, ActionConflictError(str(error)))
            except PageError as error:
                return error_page(request, error)

        return handle


def error_page(request: Request, error: PageError) -> Response:
    if isinstance(error, LoginRequiredError):
        return redirect(login_url(error.next_url, expired=error.expired))
    values = {
        "title_key": error.title_key,
        "message_key": error.message_key,
        "detail": error.detail,
    }
    return render(
        request,
        "error.html",
        values,
        session=getattr(request.state, "web_session", None),
        status_code=error.status_code,
        with_counts=False,  # runs on the event loop: no database work here
    )
