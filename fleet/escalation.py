"""When each step of an incident's escalation chain is due: pure, no database, no clock.

A chain is an ordered list of steps; each waits `deadline_s` for an acknowledgement
before the next one is told. Step 0 is due at once (`raised_at`), step i at
`raised_at` plus the deadlines of the steps before it. Nothing is due once the
incident is no longer open: acknowledging it stops the chain.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

Channel = Literal["webhook", "email"]
Who = Literal["operator_on_duty", "contact"]
CHANNELS: tuple[Channel, ...] = ("webhook", "email")
MIN_DEADLINE_S = 30
MAX_DEADLINE_S = 24 * 3600
# Info alerts (a low battery, ...) are for the dashboard; people are paged for these.
ESCALATED_SEVERITIES = frozenset({"critical", "warning"})


@dataclass(frozen=True)
class Delivery:
    """One message of a step: a channel and where to (a URL or an e-mail address)."""

    channel: Channel
    target: str


@dataclass(frozen=True)
class Step:
    """Who is told, how, and how long they have before the next step is told."""

    who: Who
    deliveries: tuple[Delivery, ...]
    deadline_s: float
    contact_name: str = ""


def step_due_at(raised_at: float, steps: Sequence[Step], index: int) -> float:
    """When step `index` is due: raised_at plus the deadlines of the steps before it."""
    return raised_at + sum(step.deadline_s for step in steps[:index])


def due_steps(
    *,
    raised_at: float,
    status: str,
    steps: Sequence[Step],
    notified: Collection[int],
    now: float,
) -> list[int]:
    """The steps to notify now: due, not notified yet, and the incident still open.

    Usually one step; more when the service was down while several fell due (each of
    those people has been left waiting, so none is skipped).
    """
    if status != "open":
        return []
    return [
        index
        for index in range(len(steps))
        if index not in notified and step_due_at(raised_at, steps, index) <= now
    ]


def next_due_at(
    *, raised_at: float, status: str, steps: Sequence[Step], notified: Collection[int]
) -> float | None:
    """When the next step not yet notified falls due; None when the chain is done or stopped."""
    if status != "open":
        return None
    pending = [i for i in range(len(steps)) if i not in notified]
    return step_due_at(raised_at, steps, pending[0]) if pending else None
