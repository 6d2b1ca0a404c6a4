"""Structured logs: `event key=value ...` lines through the standard logging module.

Log ids and counts, never personal data (names, addresses, what a resident said).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any


def format_fields(event: str, fields: dict[str, Any]) -> str:
    parts = [event]
    for key, value in fields.items():
        text = str(value)
        if not text or any(ch.isspace() for ch in text) or "=" in text or '"' in text:
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


class StructuredLogger:
    """A logger whose calls take an event text and key=value fields."""

    def __init__(self, name: str) -> None:
        self._logger = logging.getLogger(name)

    @property
    def name(self) -> str:
        return self._logger.name

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        """An error with the current exception's traceback (for bugs, not user mistakes)."""
        if self._logger.isEnabledFor(logging.ERROR):
            self._logger.error(format_fields(event, fields), exc_info=True)

    def _log(self, level: int, event: str, fields: dict[str, Any]) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(level, format_fields(event, fields))


def configure_logging(level: str = "INFO", file: Path | None = None) -> None:
    """Send logs to `file` (all levels from `level`) or, without a file, to stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    target: logging.Handler = (
        logging.FileHandler(file, encoding="utf-8") if file else logging.StreamHandler()
    )
    target.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(target)
    root.setLevel(level.upper())
