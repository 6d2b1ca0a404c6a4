"""appointments: booking by voice, ratings after a visit, complaints.

Thin wiring of `benefits.visits.VisitsConversation`. In: /dialog/intent,
/fleet/config (kind "appointments": free slots and the resident's
appointments), /speech/say (an urgent question, the guardian's, ends any
conversation; anyone else speaking holds back the robot's own rating question).
Out: /speech/say (questions marked `expects_answer`, so the dialog passes the
next utterance on unchanged) and /fleet/event (`appointment.book`,
`appointment.request`, `service.rating`, `complaint.filed`; fleet_link sends
them durably).

`appointment.list` stays with the reminders node. The last good cfg, the
ratings already asked and the bookings awaiting the fleet are kept in
`state_file`, so a restart neither asks twice nor forgets to say "you are booked".
A bad cfg is logged and the previous kept; a wipe (`{}`) forgets everything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field

from benefits.visits import (
    Action,
    AppointmentsConfig,
    AppointmentsConfigError,
    Say,
    VisitsConversation,
    VisitsParams,
    VisitsState,
    parse_appointments_config,
)
from homecare.settings import get_settings
from robot.nodes.guardian_node import parse_slots
from robot.runtime import CONFIG, EVENTS, Runtime, load_params
from robot.state_file import JsonStateFile
from robot.voice_out import VoiceOut

CONFIG_KIND = "appointments"
OWN_SAYS_KEPT = 64

__all__ = ["AppointmentsNode", "AppointmentsNodeParams"]


class AppointmentsNodeParams(VisitsParams):
    lang: str = Field(default="", description="The resident's language; empty: the settings'.")
    timezone: str = Field(default="", description="IANA zone of the home; empty: the settings'.")
    state_file: str = Field(
        default="",
        description="Last cfg, asked ratings, pending bookings (empty: in data_dir).",
    )
    tick_period_s: float = Field(default=1.0, gt=0)


class AppointmentsNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        params = load_params(rt, AppointmentsNodeParams)
        settings = get_settings()
        self.params = params.model_copy(
            update={
                "lang": params.lang if params.lang in ("ru", "en") else settings.robot.language,
                "timezone": params.timezone or settings.robot.timezone,
            }
        )
        self.state_path = Path(
            self.params.state_file or settings.data_dir / "appointments.json"
        ).expanduser()
        self.state_file = JsonStateFile(self.state_path, rt.log, "appointments state")
        self.config_version: int | None = None
        self.core = VisitsConversation(self.params, rt.clock)
        # Ids of our own requests, to tell them from others' on /speech/say (bounded: a
        # middleware that does not echo our own messages must not make it grow).
        self._own_says: dict[str, None] = {}
        self._load_local()
        self._stored = self._state_data()
        types = rt.types
        self.out = VoiceOut(rt)
        rt.subscribe("/fleet/config", types.ConfigUpdate, self.on_config, CONFIG)
        rt.subscribe("/dialog/intent", types.Intent, self.on_intent, EVENTS)
        rt.subscribe("/speech/say", types.SayRequest, self.on_say, EVENTS)
        rt.timer(self.params.tick_period_s, self.tick)

    # -- the local copy ----------------------------------------------------------------

    def _load_local(self) -> None:
        stored = self.state_file.read()
        self.core.state = VisitsState.from_data(stored)
        if isinstance(stored.get("config"), dict):
            try:
                self.core.config = parse_appointments_config(stored["config"], str(self.state_path))
            except AppointmentsConfigError as error:
                self.rt.log.error("appointments stored config unusable", problem=str(error))
                return
            version = stored.get("version")
            self.config_version = version if isinstance(version, int) else None

    def _state_data(self) -> dict[str, Any]:
        config: AppointmentsConfig = self.core.config
        return {
            **self.core.state.to_data(),
            "config": config.model_dump(mode="json"),
            "version": self.config_version,
        }

    def _store_if_changed(self) -> None:
        """Write the state when it changed (atomically: a crash keeps the old file)."""
        data = self._state_data()
        if data == self._stored:
            return
        if self.state_file.write(data):
            self._stored = data

    # -- inputs ------------------------------------------------------------------------

    def on_config(self, update: Any) -> None:
        if update.kind != CONFIG_KIND:
            return
        version = int(update.version)
        if update.json.strip() in ("", "{}"):
            self.core.forget()  # the rental ended: nothing about the resident stays
            self.config_version = None
            self._store_if_changed()
            self.rt.log.info("appointments cleared", version=version)
            return
        if self.config_version is not None and version < self.config_version:
            self.rt.log.warning(
                "appointments config ignored: older than the one in use",
                version=version,
                current=self.config_version,
            )
            return
        try:
            config = parse_appointments_config(json.loads(update.json))
        except ValueError as error:
            self._reject(version, f"not valid JSON: {error}")
            return
        except AppointmentsConfigError as error:
            self._reject(version, str(error))
            return
        self.config_version = version
        self.perform(self.core.set_config(config))
        self.rt.log.info(
            "appointments config loaded",
            version=version,
            free_slots=len(config.free_slots),
            appointments=len(config.appointments),
        )

    def _reject(self, version: int, problem: str) -> None:
        self.rt.log.error(
            "appointments config rejected; the previous stays", version=version, problem=problem
        )

    def on_intent(self, intent: Any) -> None:
        lang = intent.lang if intent.lang in ("ru", "en") else self.params.lang
        slots = parse_slots(intent.slots_json)
        self.perform(self.core.on_intent(str(intent.name), slots, str(intent.text), lang))

    def on_say(self, request: Any) -> None:
        if request.utterance_id in self._own_says:
            del self._own_says[request.utterance_id]
            return
        self.core.floor_taken()
        urgent = int(request.priority) >= self.rt.types.SayRequest.PRIORITY_URGENT
        if urgent and self.core.active:
            self.perform(self.core.interrupt())
            self.rt.log.info("appointments conversation interrupted by an urgent question")

    def tick(self) -> None:
        self.perform(self.core.tick())

    # -- outputs -----------------------------------------------------------------------

    def perform(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Say):
                self.say(action)
            else:
                self.out.send(action)
        self._store_if_changed()

    def say(self, say: Say) -> None:
        # Its own questions are not "someone else speaking" (see on_say).
        self._own_says[self.out.say(say)] = None
        if len(self._own_says) > OWN_SAYS_KEPT:
            del self._own_says[next(iter(self._own_says))]


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(AppointmentsNode, "appointments", args)
