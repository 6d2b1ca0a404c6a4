"""guardian: /safety/fall, /dialog/intent, /fleet/link, /devices/event (SOS buttons) and
/safety/check_in -> a spoken check, then /safety/alert.

Thin wiring of `robot.safety.guardian.Guardian`: messages in, actions out.
False alarms become structured log events (`guardian false alarm ...`) for
tuning the fall detector.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from robot.runtime import EVENTS, LATCHED, Runtime, load_params
from robot.runtime.stamps import header, new_id, to_datetime
from robot.safety.guardian import (
    CHECK_IN_TRIGGERS,
    Action,
    Guardian,
    GuardianParams,
    LogFalseAlarm,
    RaiseAlert,
    Say,
)


class GuardianNodeParams(GuardianParams):
    tick_period_s: float = Field(default=0.5, gt=0, description="How often deadlines are checked.")


class GuardianNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = load_params(rt, GuardianNodeParams)
        self.guardian = Guardian(self.params, rt.clock)
        self._logged_state = self.guardian.state
        types = rt.types
        self.alerts = rt.publisher("/safety/alert", types.Alert, EVENTS)
        self.speech = rt.publisher("/speech/say", types.SayRequest, EVENTS)
        rt.subscribe("/safety/fall", types.FallEvent, self.on_fall, EVENTS)
        rt.subscribe("/dialog/intent", types.Intent, self.on_intent, EVENTS)
        rt.subscribe("/fleet/link", types.FleetLinkState, self.on_fleet_link, LATCHED)
        rt.subscribe("/devices/event", types.DeviceEvent, self.on_device_event, EVENTS)
        rt.subscribe("/safety/check_in", types.CheckIn, self.on_check_in, EVENTS)
        rt.timer(self.params.tick_period_s, self.tick)

    def on_fall(self, event: Any) -> None:
        seen_at = to_datetime(event.header.stamp) if event.header.stamp.sec > 0 else None
        self.perform(self.guardian.on_fall(event.phase, float(event.confidence), seen_at))

    def on_intent(self, intent: Any) -> None:
        actions = self.guardian.on_intent(
            intent.name,
            parse_slots(intent.slots_json),
            intent.text,
            intent.lang,
            float(intent.confidence),
        )
        self.perform(actions)

    def on_fleet_link(self, state: Any) -> None:
        self.perform(self.guardian.on_fleet_link(bool(state.connected), int(state.pending_alerts)))

    def on_device_event(self, event: Any) -> None:
        if (event.role, event.kind) != ("sos_button", "pressed"):
            return
        room = parse_slots(event.json).get("room")
        room_name = room if isinstance(room, str) else ""
        self.rt.log.warning("guardian sos button pressed", device=event.device)
        self.perform(self.guardian.on_sos_button(str(event.device), room_name))

    def on_check_in(self, check_in: Any) -> None:
        trigger = str(check_in.trigger)
        if trigger not in CHECK_IN_TRIGGERS:
            self.rt.log.warning(
                "guardian check-in ignored: unknown trigger",
                trigger=trigger,
                known=",".join(sorted(CHECK_IN_TRIGGERS)),
            )
            return
        if self.guardian.busy:
            self.rt.log.info("guardian check-in ignored: an episode is running", trigger=trigger)
            return
        details = check_in_details(check_in.details_json)
        self.perform(self.guardian.on_check_in(trigger, details))

    def tick(self) -> None:
        self.perform(self.guardian.tick())

    def perform(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Say):
                self.say(action)
            elif isinstance(action, RaiseAlert):
                self.raise_alert(action)
            else:
                self.log_false_alarm(action)
        self.log_state_change()

    def log_state_change(self) -> None:
        # One line per transition (not per tick): enough to follow an episode in the log.
        state = self.guardian.state
        if state is not self._logged_state:
            episode = self.guardian.episode
            trigger = episode.trigger.value if episode else "-"
            self.rt.log.info(
                "guardian state",
                state=state.value,
                previous=self._logged_state.value,
                trigger=trigger,
            )
            self._logged_state = state

    def say(self, say: Say) -> None:
        types = self.rt.types
        priority = (
            types.SayRequest.PRIORITY_URGENT if say.urgent else types.SayRequest.PRIORITY_NORMAL
        )
        self.speech.publish(
            types.SayRequest(
                header=header(self.rt),
                text=say.text,
                lang=say.lang,
                priority=priority,
                utterance_id=new_id(),
            )
        )

    def raise_alert(self, alert: RaiseAlert) -> None:
        alert_id = new_id()
        self.alerts.publish(
            self.rt.types.Alert(
                header=header(self.rt),
                alert_id=alert_id,
                kind=alert.kind,
                severity=alert.severity,
                details_json=json.dumps(alert.details),
            )
        )
        self.rt.log.warning(
            "guardian alert raised",
            alert_id=alert_id,
            kind=alert.kind,
            trigger=alert.details.get("trigger"),
            waited_s=alert.details.get("waited_s"),
        )

    def log_false_alarm(self, false_alarm: LogFalseAlarm) -> None:
        # Intent names and numbers only (never what was said), so the log can be shared for tuning.
        fields = {key: _log_value(value) for key, value in false_alarm.details.items()}
        self.rt.log.info("guardian false alarm", **fields)


def parse_slots(slots_json: str) -> dict[str, object]:
    """The intent's slots; malformed JSON from the dialog must not stop the guardian."""
    try:
        slots = json.loads(slots_json) if slots_json else {}
    except ValueError:
        return {}
    return slots if isinstance(slots, dict) else {}


CHECK_IN_DETAIL_LIMIT = 12  # keys kept from a check-in's details (device, room, minutes, ...)


def check_in_details(details_json: str) -> dict[str, object]:
    """A check-in's details for the alert: plain values only, a few keys (never crashes)."""
    details = parse_slots(details_json)
    plain = {
        str(key): value
        for key, value in details.items()
        if isinstance(value, str | int | float | bool) or value is None
    }
    return dict(list(plain.items())[:CHECK_IN_DETAIL_LIMIT])


def _log_value(value: object) -> object:
    if isinstance(value, list):
        return ",".join(str(item) for item in value) or "-"
    return value


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(GuardianNode, "guardian", args)
