"""Errors of intent recognition that a caller can fix (bad language, time zone)."""

from __future__ import annotations


class NluError(ValueError):
    """Bad input to the intent parser; the message says what was wrong."""
