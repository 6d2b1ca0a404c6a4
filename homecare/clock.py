"""The `Clock` port and its implementations.

Nothing in the project calls `time.time()` or `datetime.now()` directly: code
asks an injected clock, so tests and simulations can move time themselves.

- `SystemClock`: the machine's time.
- `ManualClock`: time moves only when someone calls `advance`/`advance_to`
  (unit tests; the runtime's "as fast as possible" mode).
- `AcceleratedClock`: simulated time that runs `speed` times faster than the
  wall clock, and can skip ahead over idle stretches.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from homecare.errors import UsageError

DEFAULT_SIM_START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


@runtime_checkable
class Clock(Protocol):
    """Where the time comes from."""

    def now(self) -> datetime:
        """The current time as an aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (for timeouts and periods)."""
        ...


class SystemClock:
    """The real time of the machine."""

    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that stands still until it is advanced.

    `now()` and `monotonic()` move together: `now() == start + monotonic()`.
    """

    speed = float("inf")

    def __init__(self, start: datetime = DEFAULT_SIM_START) -> None:
        _require_aware(start)
        self._start = start.astimezone(UTC)
        self._elapsed = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (asked to advance {seconds} s)")
        with self._lock:
            self._elapsed += seconds

    def advance_to(self, monotonic_target: float) -> None:
        """Move forward to `monotonic_target`; a target in the past is a no-op."""
        with self._lock:
            self._elapsed = max(self._elapsed, monotonic_target)


class AcceleratedClock:
    """Simulated time running `speed` times faster than `wall`.

    `skip(seconds)` jumps forward at once, which lets a simulation pass over a
    quiet stretch without waiting for it. A clock made with `paused=True`
    stands still until `resume()`, so start-up work takes no simulated time.
    """

    def __init__(
        self,
        speed: float,
        start: datetime = DEFAULT_SIM_START,
        wall: Clock | None = None,
        paused: bool = False,
    ) -> None:
        if not speed > 0 or speed == float("inf"):
            raise UsageError(f"speed must be a positive finite number, got {speed}")
        _require_aware(start)
        self.speed = float(speed)
        self._wall = wall or SystemClock()
        self._start = start.astimezone(UTC)
        self._wall_origin = self._wall.monotonic()
        self._skipped = 0.0
        self._paused_at: float | None = self._wall_origin if paused else None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())

    def monotonic(self) -> float:
        with self._lock:
            wall_now = self._wall.monotonic() if self._paused_at is None else self._paused_at
            return (wall_now - self._wall_origin) * self.speed + self._skipped

    def pause(self) -> None:
        with self._lock:
            if self._paused_at is None:
                self._paused_at = self._wall.monotonic()

    def resume(self) -> None:
        with self._lock:
            if self._paused_at is not None:
                self._wall_origin += self._wall.monotonic() - self._paused_at
                self._paused_at = None

    def skip(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (asked to skip {seconds} s)")
        with self._lock:
            self._skipped += seconds

    def wall_seconds_until(self, monotonic_target: float) -> float:
        """How long to wait on the wall clock until this clock reads `monotonic_target`."""
        return max(0.0, (monotonic_target - self.monotonic()) / self.speed)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("clock start must be an aware datetime (with a time zone)")
