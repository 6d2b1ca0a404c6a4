"""The outputs of a conversation node (benefits, appointments): its speech and its events.

Both go out as the node's own `SayRequest` (priority NORMAL; questions marked
`expects_answer`) and `FleetEvent` (a fresh id; fleet_link sends it durably).
"""

from __future__ import annotations

import json

from benefits.actions import Say, SendEvent
from robot.runtime import EVENTS, Runtime
from robot.runtime.stamps import header, new_id


class VoiceOut:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.speech = rt.publisher("/speech/say", rt.types.SayRequest, EVENTS)
        self.events = rt.publisher("/fleet/event", rt.types.FleetEvent, EVENTS)

    def say(self, say: Say) -> str:
        """Publish `say`; returns its utterance id."""
        types = self.rt.types
        utterance_id = new_id()
        self.speech.publish(
            types.SayRequest(
                header=header(self.rt),
                text=say.text,
                lang=say.lang,
                priority=types.SayRequest.PRIORITY_NORMAL,
                utterance_id=utterance_id,
                rate_scale=say.rate_scale,
                expects_answer=say.expects_answer,
            )
        )
        return utterance_id

    def send(self, event: SendEvent) -> None:
        self.events.publish(
            self.rt.types.FleetEvent(
                header=header(self.rt),
                event_id=new_id(),
                type=event.type,
                json=json.dumps(event.fields, ensure_ascii=False),
            )
        )
        # Event types only: answers, scores and complaints stay out of the logs.
        self.rt.log.info("fleet event sent", type=event.type)
