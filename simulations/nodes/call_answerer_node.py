"""call_answerer: the simulated resident answers a video call's "accept?" by voice.

The simulated home's resident for consultations: `answer_delay_s` after a `ring`
reaches the robot (/telepresence/signal_in), the resident says `answer` on
/speech/heard, as the microphone would hear it ("да" accepts, "нет" declines, ""
stays silent). The robot's own consent path (dialog, telepresence) does the rest.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from robot.runtime import EVENTS, Runtime, load_params
from robot.runtime.stamps import header


class CallAnswererParams(BaseModel):
    answer: str = Field(default="да", max_length=200, description='"" never answers.')
    lang: str = Field(default="ru", pattern="^(ru|en)$")
    answer_delay_s: float = Field(default=3.0, ge=0)
    check_period_s: float = Field(default=0.2, gt=0)


class CallAnswererNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = load_params(rt, CallAnswererParams)
        self.heard = rt.publisher("/speech/heard", rt.types.Utterance, EVENTS)
        self.answers_due: list[float] = []
        self.rings = 0
        rt.subscribe("/telepresence/signal_in", rt.types.CallSignal, self.on_signal, EVENTS)
        rt.timer(self.params.check_period_s, self.tick)

    def on_signal(self, message: object) -> None:
        if getattr(message, "type", "") != "ring":
            return
        self.rings += 1
        if self.params.answer:
            self.answers_due.append(self.rt.clock.monotonic() + self.params.answer_delay_s)

    def tick(self) -> None:
        now = self.rt.clock.monotonic()
        due = [t for t in self.answers_due if t <= now]
        if not due:
            return
        self.answers_due = [t for t in self.answers_due if t > now]
        for _ in due:
            self.say(self.params.answer)

    def say(self, text: str) -> None:
        """What the resident says now (the demo and tests also use it for "закончить")."""
        self.heard.publish(
            self.rt.types.Utterance(
                header=header(self.rt), text=text, lang=self.params.lang, confidence=1.0,
                is_final=True,
            )
        )  # fmt: skip
