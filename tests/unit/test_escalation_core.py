"""The escalation core: which step is due when, on a ManualClock."""

from __future__ import annotations

from fleet.escalation import Delivery, Step, due_steps, next_due_at
from homecare.clock import ManualClock
from tests.fleet_api import START

CHAIN = [
    Step("operator_on_duty", (Delivery("webhook", "https://duty.example/hook"),), 60),
    Step("contact", (Delivery("email", "daughter@family.example"),), 300, "Мария"),
    Step("contact", (Delivery("email", "son@family.example"),), 300, "Иван"),
]


def due(
    clock: ManualClock, raised_at: float, notified: set[int], status: str = "open"
) -> list[int]:
    now = clock.now().timestamp()
    return due_steps(raised_at=raised_at, status=status, steps=CHAIN, notified=notified, now=now)


def test_step_one_at_once_then_each_after_the_deadlines_before_it() -> None:
    clock = ManualClock(START)
    raised = clock.now().timestamp()
    assert due(clock, raised, set()) == [0]
    clock.advance(59)
    assert due(clock, raised, {0}) == []
    clock.advance(1)
    assert due(clock, raised, {0}) == [1]
    clock.advance(299)
    assert due(clock, raised, {0, 1}) == []
    clock.advance(1)
    assert due(clock, raised, {0, 1}) == [2]
    assert due(clock, raised, {0, 1, 2}) == []  # the chain has ended


def test_nothing_is_due_once_acknowledged_or_resolved() -> None:
    clock = ManualClock(START)
    raised = clock.now().timestamp()
    clock.advance(3600)
    assert due(clock, raised, {0}, status="acknowledged") == []
    assert due(clock, raised, set(), status="resolved") == []
    assert next_due_at(raised_at=raised, status="acknowledged", steps=CHAIN, notified={0}) is None


def test_steps_that_fell_due_while_nobody_ran_are_all_due() -> None:
    clock = ManualClock(START)
    raised = clock.now().timestamp() - 400  # arrived late: the robot was offline
    assert due(clock, raised, set()) == [0, 1, 2]
    assert next_due_at(raised_at=raised, status="open", steps=CHAIN, notified={0}) == raised + 60


def test_an_empty_chain_has_nothing_due() -> None:
    assert due_steps(raised_at=0.0, status="open", steps=[], notified=set(), now=1e9) == []
