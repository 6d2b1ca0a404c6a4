"""The `Clock` port and its implementations.

Nothing in the project calls `time.time()` or `datetime.now()` directly: code
asks an injected clock, so tests and simulations can move time themselves.

- `SystemClock`: the machine's time.
- `ManualClock`: time moves only when someone calls `advance`/`advance_to`
  (unit tests; the runtime's "as fast as possible" mode).
- `AcceleratedClock`: simulated time that runs `speed` times faster than the
  wall clock, and can skip ahead over idle stretches.
- `PacedClock`: simulated time that jumps from one due timer to the next, but
  never faster than `max_speed` times the wall clock (the scenario runner:
  quiet stretches fast, rendering-heavy moments as fast as the work allows).
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


class PacedClock(ManualClock):
    """Simulated time moved by its runtime, capped at `max_speed` times the wall clock.

    Like a `ManualClock`, time stands still while callbacks run, so work that
    takes long on the wall (rendering a camera frame) takes no simulated time
    and frames stay evenly spaced. Unlike it, time cannot run away from the
    world outside the process (a broker, the fleet service, a speech engine):
    simulated time follows a schedule of `max_speed` simulated seconds per wall
    second. A step that waited a little too long is made up by the next ones
    (thread wake-ups are coarse next to a 0.1 s step at 1000x), but once the
    run is more than `MAX_LAG_S` of wall time behind (slow work), the schedule
    starts again from there: a slow stretch does not let the next one race.
    """

    MAX_LAG_S = 0.25

    def __init__(
        self, max_speed: float, start: datetime = DEFAULT_SIM_START, wall: Clock | None = None
    ) -> None:
        super().__init__(start)
        self._wall = wall or SystemClock()
        self.max_speed = _check_speed(max_speed)
        self._anchor = (0.0, self._wall.monotonic())  # (simulated, wall) the schedule starts at

    def set_max_speed(self, max_speed: float) -> None:
        speed = _check_speed(max_speed)
        if speed != self.max_speed:
            self.max_speed = speed
            self._anchor = (self.monotonic(), self._wall.monotonic())

    def wall_seconds_until(self, monotonic_target: float) -> float:
        """How long the wall clock must run before a step to `monotonic_target` is allowed."""
        return max(0.0, self._due(monotonic_target) - self._wall.monotonic())

    def step_towards(self, monotonic_target: float) -> None:
        """Advance as far towards `monotonic_target` as the schedule allows by now."""
        sim, wall = self._anchor
        wall_now = self._wall.monotonic()
        reachable = (
            monotonic_target
            if self.max_speed == float("inf")
            else sim + (wall_now - wall) * self.max_speed
        )
        self.advance_to(min(monotonic_target, reachable))
        if wall_now - self._due(self.monotonic()) > self.MAX_LAG_S:
            self._anchor = (self.monotonic(), wall_now)

    def _due(self, monotonic_target: float) -> float:
        """The wall time at which the schedule reaches `monotonic_target`."""
        sim, wall = self._anchor
        return wall + (monotonic_target - sim) / self.max_speed


def _check_speed(speed: float) -> float:
    if not speed > 0:
        raise UsageError(f"max_speed must be positive (inf for no cap), got {speed}")
    return float(speed)


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
