"""What the simulated resident says, and when: scripted lines replayed as recognised speech."""

from __future__ import annotations

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
