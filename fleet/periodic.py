"""Service chores that run every so often on the injected clock (telemetry retention, ...).

The schedule is kept in the clock's time, and `run_due` does one step of it, so a test
moves a `ManualClock` and calls `run_due` (or lets the thread poll) instead of sleeping.
The thread only polls: it wakes every `poll_s` wall seconds and asks whether a run is due.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable

import sqlite_utils

from fleet.store.telemetry import compact_telemetry
from homecare.clock import Clock
from homecare.settings import FleetSettings

log = logging.getLogger("fleet.periodic")

HOUR_S = 3600.0


class PeriodicTask:
    """Runs `action` at start and then every `period_s` seconds of `clock`.

    A failing run is logged and counted (`<name>_failures` in `counters`) and tried
    again at the next period; it never stops the task.
    """

    def __init__(
        self,
        name: str,
        clock: Clock,
        period_s: float,
        action: Callable[[], object],
        *,
        poll_s: float = 5.0,
        counters: Counter[str] | None = None,
    ) -> None:
        if period_s <= 0 or poll_s <= 0:
            raise ValueError("period_s and poll_s must be positive")
        self.name, self.clock, self.period_s, self.action = name, clock, period_s, action
        self.poll_s = poll_s
        self.counters: Counter[str] = counters if counters is not None else Counter()
        self.runs = 0
        self._next_due = clock.monotonic()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> bool:
        """Run the action if its time has come; True if it ran (successfully or not)."""
        now = self.clock.monotonic()
        if now < self._next_due:
            return False
        self._next_due = now + self.period_s
        try:
            self.action()
        except Exception:
            self.counters[f"{self.name}_failures"] += 1
            log.exception("periodic task failed task=%s", self.name)
        else:
            self.counters[f"{self.name}_runs"] += 1
        self.runs += 1  # last: whoever watches `runs` sees the run's effects
        return True

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name=f"fleet-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        self.run_due()
        while not self._stopping.wait(self.poll_s):
            self.run_due()


def telemetry_retention_task(
    db: sqlite_utils.Database,
    clock: Clock,
    settings: FleetSettings,
    *,
    period_s: float = HOUR_S,
    poll_s: float = 5.0,
    counters: Counter[str] | None = None,
) -> PeriodicTask:
    """Fold and expire telemetry (see `compact_telemetry`) every `period_s`, hourly by default.

    `db` is a connection for this task alone (`fleet.store.connect_database`): it writes
    from its own thread.
    """
    task_counters: Counter[str] = counters if counters is not None else Counter()

    def compact() -> None:
        report = compact_telemetry(db, clock.now().timestamp(), settings)
        task_counters["telemetry_folded_rows"] += report.folded_rows
        task_counters["telemetry_expired_rows"] += report.expired_rows + report.expired_buckets
        if report.folded_rows or report.expired_rows or report.expired_buckets:
            log.info(
                "telemetry compacted folded=%d buckets=%d expired_rows=%d expired_buckets=%d",
                report.folded_rows,
                report.buckets_written,
                report.expired_rows,
                report.expired_buckets,
            )

    return PeriodicTask(
        "telemetry_retention", clock, period_s, compact, poll_s=poll_s, counters=task_counters
    )


def call_timeouts_task(
    db: sqlite_utils.Database,
    clock: Clock,
    sweep: Callable[[sqlite_utils.Database, float], object],
    *,
    period_s: float = 5.0,
    poll_s: float = 1.0,
    counters: Counter[str] | None = None,
) -> PeriodicTask:
    """End calls the robot never answered or that never connected (`CallHub.sweep`).

    `db` is a connection for this task alone; a few seconds late is fine against
    timeouts of 45 s and more.
    """
    return PeriodicTask(
        "call_timeouts", clock, period_s, lambda: sweep(db, clock.now().timestamp()),
        poll_s=poll_s, counters=counters,
    )  # fmt: skip
