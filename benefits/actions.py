"""What the conversation cores (the benefits interview, visits) ask their node to do."""

from __future__ import annotations

from dataclasses import dataclass

# Slightly slower than the resident's own rate: these answers are long and full of names.
RATE_SCALE = 0.9


@dataclass(frozen=True)
class Say:
    text: str
    lang: str
    expects_answer: bool = False
    rate_scale: float = RATE_SCALE


@dataclass(frozen=True)
class SendEvent:
    """A `/fleet/event` for the fleet: type and fields (the node adds the id)."""

    type: str
    fields: dict[str, object]


Action = Say | SendEvent
