"""Errors a user can cause and fix.

Anything raised as a `HomecareError` reaches the user as one clear line
(CLI: `error: ...` and exit status 2), never as a traceback.
"""

from __future__ import annotations


class HomecareError(Exception):
    """A problem the user can fix; the message says what and where."""


class UsageError(HomecareError):
    """A bad argument or option."""


class ConfigError(HomecareError):
    """A configuration file or setting is missing or malformed."""


class InterfaceError(HomecareError):
    """An unknown message or service type, or a malformed interface file."""
