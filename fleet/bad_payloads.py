"""Logging bad MQTT payloads without letting a flood of them flood the log.

A misbehaving (or hostile) client can send thousands of bad messages a second. The
first few are logged one by one, which is what someone debugging a robot needs; after
that only a summary per period (how many, and the latest reason), which is what someone
watching the service needs. The metrics keep the exact count either way.
A summary is written by the first bad payload after the period has passed (no timer
thread), and by `summarize()` when the ingest stops.
"""

from __future__ import annotations

import logging

from homecare.clock import Clock

_MAX_TEXT = 200


class BadPayloadLog:
    def __init__(
        self, logger: logging.Logger, clock: Clock, *, first: int = 20, period_s: float = 60.0
    ) -> None:
        self.logger, self.clock = logger, clock
        self.first, self.period_s = first, period_s
        self.logged = 0
        self.suppressed = 0
        self._latest = ("", "")
        self._period_start = clock.monotonic()

    def bad(self, topic: str, reason: str) -> None:
        """Note one bad payload: logged now, or counted into the next summary."""
        if self.logged < self.first:
            self.logged += 1
            self.logger.warning("bad payload topic=%r reason=%s", topic[:_MAX_TEXT], _short(reason))
            if self.logged == self.first:
                self.logger.warning(
                    "bad payloads: %d logged; from now on one summary every %.0f s",
                    self.first,
                    self.period_s,
                )
            return
        self.suppressed += 1
        self._latest = (topic, reason)
        if self.clock.monotonic() - self._period_start >= self.period_s:
            self.summarize()

    def summarize(self) -> None:
        """Log how many were suppressed since the last summary (nothing if none were)."""
        if self.suppressed:
            topic, reason = self._latest
            self.logger.warning(
                "bad payloads suppressed=%d latest_topic=%r latest_reason=%s",
                self.suppressed,
                topic[:_MAX_TEXT],
                _short(reason),
            )
        self.suppressed = 0
        self._period_start = self.clock.monotonic()


def _short(text: str) -> str:
    # Reasons may quote the offending topic or id; keep a log line a line.
    flat = text.replace("\n", "\\n").replace("\r", "\\r")
    return flat if len(flat) <= _MAX_TEXT else flat[:_MAX_TEXT] + "..."
