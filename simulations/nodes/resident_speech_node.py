"""resident_speech: the simulated resident's scripted lines, published on /speech/heard."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from robot.runtime import EVENTS, Runtime, load_params
from robot.runtime.stamps import header
from simulations.resident_script import ResidentScript, ScriptedLine


class ResidentSpeechParams(BaseModel):
    lines: list[ScriptedLine] = Field(default_factory=list)
    check_period_s: float = Field(default=0.5, gt=0)


class ResidentSpeechNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = load_params(rt, ResidentSpeechParams)
        self.script = ResidentScript(self.params.lines)
        self.started = rt.clock.monotonic()
        self.publisher = rt.publisher("/speech/heard", rt.types.Utterance, EVENTS)
        self.timer: Any = rt.timer(self.params.check_period_s, self.tick)

    def tick(self) -> None:
        for line in self.script.due(self.rt.clock.monotonic() - self.started):
            self.publisher.publish(
                self.rt.types.Utterance(
                    header=header(self.rt),
                    text=line.text,
                    lang=line.lang,
                    confidence=1.0,
                    is_final=True,
                )
            )
        if self.script.finished:
            self.timer.cancel()
