"""What the simulated resident says, and when: scripted lines replayed as recognised speech."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field


class ScriptedLine(BaseModel):
    at_s: float = Field(ge=0, description="Seconds after the simulation starts.")
    text: str = Field(min_length=1)
    lang: str = "ru"


@dataclass
class ResidentScript:
    """Hands out each line once its time has come."""

    lines: Sequence[ScriptedLine]

    def __post_init__(self) -> None:
        self._pending = sorted(self.lines, key=lambda line: line.at_s)

    def due(self, elapsed_s: float) -> list[ScriptedLine]:
        ready = [line for line in self._pending if line.at_s <= elapsed_s]
        self._pending = self._pending[len(ready) :]
        return ready

    @property
    def finished(self) -> bool:
        return not self._pending


def drop_endings(text: str, share: float, rng: random.Random) -> str:
    """`text` as a weak recogniser hears it: `share` of the longer words lose their last letters.

    Russian carries grammar in word endings ("выпила" -> "выпи"), so this is the
    noise that matters most for intent matching.
    """
    words = text.split(" ")
    for index, word in enumerate(words):
        letters = len(word.rstrip(".,!?"))
        if letters > 3 and rng.random() < share:
            cut = rng.randint(1, min(2, letters - 3))
            words[index] = word[: letters - cut] + word[letters:]
    return " ".join(words)
