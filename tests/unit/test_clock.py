from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from homecare.clock import AcceleratedClock, Clock, ManualClock, PacedClock, SystemClock
from homecare.errors import UsageError

START = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def test_every_clock_satisfies_the_port() -> None:
    for clock in (SystemClock(), ManualClock(START), AcceleratedClock(10.0, START)):
        assert isinstance(clock, Clock)
        assert clock.now().tzinfo is not None


def test_manual_clock_moves_only_when_advanced() -> None:
    clock = ManualClock(START)
    assert clock.now() == START and clock.monotonic() == 0.0
    clock.advance(90)
    assert clock.now() == START + timedelta(seconds=90)
    clock.advance_to(30)  # the past: no-op
    assert clock.monotonic() == 90
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


def test_clocks_refuse_naive_start_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 1, 1))


class SteppedWall:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 100.0

    def now(self) -> datetime:
        return START

    def monotonic(self) -> float:
        return self.seconds


def test_accelerated_clock_runs_speed_times_faster_than_the_wall() -> None:
    wall = SteppedWall()
    clock = AcceleratedClock(60.0, START, wall=wall)
    wall.seconds += 2.0
    assert clock.monotonic() == pytest.approx(120.0)
    assert clock.now() == START + timedelta(seconds=120)
    assert clock.wall_seconds_until(180.0) == pytest.approx(1.0)


def test_accelerated_clock_skips_and_pauses() -> None:
    wall = SteppedWall()
    clock = AcceleratedClock(10.0, START, wall=wall, paused=True)
    wall.seconds += 5
    assert clock.monotonic() == 0.0
    clock.resume()
    wall.seconds += 1
    assert clock.monotonic() == pytest.approx(10.0)
    clock.skip(3600)
    assert clock.monotonic() == pytest.approx(3610.0)
    clock.pause()
    wall.seconds += 1
    assert clock.monotonic() == pytest.approx(3610.0)


@pytest.mark.parametrize("speed", [0, -1, float("inf"), float("nan")])
def test_accelerated_clock_rejects_bad_speeds(speed: float) -> None:
    with pytest.raises(UsageError, match="speed"):
        AcceleratedClock(speed)


def test_paced_clock_steps_no_faster_than_its_cap() -> None:
    wall = SteppedWall()
    clock = PacedClock(100.0, START, wall=wall)
    assert clock.wall_seconds_until(50.0) == pytest.approx(0.5)
    clock.step_towards(50.0)  # no wall time has passed: no step yet
    assert clock.monotonic() == 0.0
    wall.seconds += 0.2
    clock.step_towards(50.0)
    assert clock.monotonic() == pytest.approx(20.0)
    wall.seconds += 10.0  # a long pause on the wall banks no credit beyond the target
    clock.step_towards(30.0)
    assert clock.monotonic() == pytest.approx(30.0)
    assert clock.wall_seconds_until(130.0) == pytest.approx(1.0)


def test_paced_clock_without_a_cap_jumps_like_a_manual_clock() -> None:
    clock = PacedClock(float("inf"), START, wall=SteppedWall())
    clock.step_towards(3600.0)
    assert clock.now() == START + timedelta(hours=1)
    clock.set_max_speed(2.0)
    assert clock.wall_seconds_until(3602.0) == pytest.approx(1.0)
    with pytest.raises(UsageError, match="max_speed"):
        clock.set_max_speed(0)


def test_paced_clock_makes_up_for_a_late_wake_up_but_not_for_a_long_stall() -> None:
    wall = SteppedWall()
    clock = PacedClock(100.0, START, wall=wall)
    wall.seconds += 0.013  # woke 3 ms late for a step due at 0.01
    clock.step_towards(1.0)
    assert clock.wall_seconds_until(2.0) == pytest.approx(0.007)  # the next step waits less
    wall.seconds += 5.0  # a long stall (slow work): a new schedule, no burst to catch up
    clock.step_towards(2.0)
    assert clock.wall_seconds_until(3.0) == pytest.approx(0.01)
