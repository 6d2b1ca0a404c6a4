"""The `Recognizer` port: streaming speech recognition, and what a result means.

A recogniser is fed one utterance at a time (the VAD cuts them): `accept`
chunks of 16-bit mono PCM at its `sample_rate`, read `partial()` while the
person speaks, then `finish()` for the final result, which also makes it ready
for the next utterance. Results that are out of grammar or too unsure are
`REJECTED`: the dialog must never act on them as if they were words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

UNKNOWN_WORD = "[unk]"


class Outcome(Enum):
    HEARD = "heard"
    NOTHING_HEARD = "nothing_heard"
    """Silence or noise: no words at all."""
    REJECTED = "rejected"
    """Words came out, but out of grammar or below the confidence threshold."""


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float
    start_s: float = 0.0
    end_s: float = 0.0


@dataclass(frozen=True)
class Recognition:
    """The final result of one utterance."""

    outcome: Outcome
    text: str = ""
    confidence: float = 0.0
    """Mean of the per-word confidences, 0..1."""
    words: tuple[Word, ...] = ()
    reason: str = ""
    """Why a result was rejected (for logs; never shown to the resident)."""

    @property
    def heard(self) -> bool:
        return self.outcome is Outcome.HEARD


NOTHING_HEARD = Recognition(Outcome.NOTHING_HEARD)


class Recognizer(Protocol):
    @property
    def sample_rate(self) -> int: ...

    def accept(self, pcm: bytes) -> None:
        """Feed the next chunk of the current utterance."""
        ...

    def partial(self) -> str:
        """The text so far for the current utterance (may still change)."""
        ...

    def finish(self) -> Recognition:
        """The utterance is over: its final result; the recogniser starts afresh."""
        ...

    def reset(self) -> None:
        """Drop the current utterance without a result (e.g. the robot began to speak)."""
        ...


@dataclass(frozen=True)
class RejectionPolicy:
    """When a final result is not trusted as words."""

    min_confidence: float = 0.5
    allowed_words: frozenset[str] | None = None
    """In grammar mode, the grammar's words: anything else is rejected."""
    extra_ignored: frozenset[str] = field(default_factory=frozenset)


def judge(words: Sequence[Word], policy: RejectionPolicy) -> Recognition:
    """Turn the words a recogniser produced into a heard, rejected or nothing-heard result."""
    if not words:
        return NOTHING_HEARD
    text = " ".join(word.text for word in words)
    confidence = sum(word.confidence for word in words) / len(words)
    kept = tuple(words)
    if any(word.text == UNKNOWN_WORD for word in words):
        return Recognition(Outcome.REJECTED, text, confidence, kept, "out of grammar ([unk])")
    if policy.allowed_words is not None:
        strangers = sorted({w.text for w in words} - policy.allowed_words)
        if strangers:
            return Recognition(
                Outcome.REJECTED, text, confidence, kept, f"words outside the grammar: {strangers}"
            )
    if confidence < policy.min_confidence:
        return Recognition(
            Outcome.REJECTED,
            text,
            confidence,
            kept,
            f"confidence {confidence:.2f} below {policy.min_confidence:.2f}",
        )
    return Recognition(Outcome.HEARD, text, confidence, kept)
