"""What a page can answer instead of itself; `fleet.web.routing.PageRoute` turns these into
HTML pages (or the redirect to sign-in), so a user never sees JSON or a stack trace."""

from __future__ import annotations


class PageError(Exception):
    """An answer page: status code, a title and a message, both translation keys."""

    status_code = 400
    title_key = "not_found_title"
    message_key = "not_found"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.message_key)
        self.detail = detail


class LoginRequiredError(PageError):
    """Not signed in (or the session ended): go to /login and come back to `next_url`."""

    status_code = 303

    def __init__(self, next_url: str, *, expired: bool = False) -> None:
        super().__init__("sign in first")
        self.next_url = next_url
        self.expired = expired


class PageNotFoundError(PageError):
    """Missing, or another agency's: the same answer for both, so nothing leaks."""

    status_code = 404


class ForbiddenError(PageError):
    """The user's role may not do this; `message_key` names who may."""

    status_code = 403
    title_key = "forbidden_title"

    def __init__(self, message_key: str = "forbidden") -> None:
        super().__init__()
        self.message_key = message_key


class CsrfError(PageError):
    status_code = 403
    title_key = "csrf_title"
    message_key = "csrf_refused"


class ActionConflictError(PageError):
    """The object's state does not allow the action; `detail` says why (from the store)."""

    status_code = 409
    title_key = "conflict_title"
    message_key = "conflict"


class FormError(PageError):
    """A form field is missing or wrong; `message_key` says which and how to fix it."""

    status_code = 400
    title_key = "conflict_title"

    def __init__(self, message_key: str) -> None:
        super().__init__()
        self.message_key = message_key
