"""What the intent parser returns: the contract with the dialog (`/dialog/intent`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SlotValue = str | int | float

INTENT_NAMES: tuple[str, ...] = (
    "reminder.ack",
    "reminder.snooze",
    "reminder.list",
    "reminder.create",
    "time.now",
    "date.today",
    "help.emergency",
    "status.ok",
    "status.not_ok",
    "call.request",
    "call.end",
    "benefits.query",
    "benefits.explain",
    "appointment.book",
    "appointment.list",
    "repeat",
    "speak.slower",
    "speak.louder",
    "yes",
    "no",
    "cancel",
    "unknown",
)

# Below this the parser answers `unknown` (the guardian ignores intents below 0.5).
MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class ParsedIntent:
    """One understood utterance.

    `confidence` is 0..1: about 0.95 for a clean template match, 0.85 when a
    template matched after correcting misheard words, 0.55-0.85 for the keyword
    fallback. For `unknown` it is how likely the best guess (`slots["guess"]`) was.
    """

    name: str
    slots: dict[str, SlotValue] = field(default_factory=dict)
    confidence: float = 0.0
    text: str = ""
    lang: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The `homecare nlu parse --json` shape."""
        return {
            "intent": self.name,
            "slots": dict(self.slots),
            "confidence": round(self.confidence, 3),
        }
