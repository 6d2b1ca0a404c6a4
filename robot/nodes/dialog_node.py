"""dialog: /speech/heard -> /dialog/intent and the robot's own short answers on /speech/say.

Thin wiring of `speech.dialog.DialogManager` with the NLU (`speech.nlu`). It
also watches `/speech/say` (for "repeat" and for the guardian's urgent floor),
`/reminders/due` and `/reminders/outcome` (a "yes" right after a reminder
acknowledges it) and the resident's medicines from `/fleet/config`, so that
"I took the enalapril" is understood.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, ValidationError

from benefits import Catalog, catalog_from_data
from benefits.errors import BenefitsError
from benefits.explain import benefit_names
from benefits.visits.words import wants_to_complain
from homecare.settings import get_settings
from reminders.model import Medicine, ReminderSchedule
from robot.nodes.benefits_node import local_catalog
from robot.runtime import CONFIG, EVENTS, LATCHED, Runtime, load_params
from robot.runtime.stamps import header, new_id
from speech.dialog import Action, DialogManager, DialogParams, PublishIntent, Say
from speech.nlu import IntentParser, ParsedIntent, examples


class DialogNodeParams(DialogParams):
    lang: str = Field(default="", description="The resident's language; empty: the settings'.")
    timezone: str = Field(default="", description="IANA zone of the home; empty: the settings'.")
    tick_period_s: float = Field(default=0.5, gt=0)


class DialogNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        params = load_params(rt, DialogNodeParams)
        robot = get_settings().robot
        lang = params.lang if params.lang in ("ru", "en") else robot.language
        self.params = params.model_copy(
            update={"default_lang": lang, "timezone": params.timezone or robot.timezone}
        )
        self.medicines: list[Medicine] = []
        # Benefit names for the NLU ("расскажи про ЕДВ"): the robot's copy of the catalog.
        self.benefit_catalog: Catalog = local_catalog()
        self.parsers: dict[str, IntentParser] = {}
        self.dialog = DialogManager(
            self.params, rt.clock, self.parse, examples, handled_elsewhere=wants_to_complain
        )
        self.parse("", self.params.default_lang)  # load the templates now, not on the first word
        types = rt.types
        self.intents = rt.publisher("/dialog/intent", types.Intent, EVENTS)
        self.speech = rt.publisher("/speech/say", types.SayRequest, EVENTS)
        rt.subscribe("/speech/heard", types.Utterance, self.on_heard, EVENTS)
        rt.subscribe("/speech/say", types.SayRequest, self.on_say, EVENTS)
        rt.subscribe("/reminders/due", types.ReminderDue, self.on_reminder_due, EVENTS)
        rt.subscribe("/reminders/outcome", types.ReminderOutcome, self.on_outcome, EVENTS)
        rt.subscribe("/fleet/config", types.ConfigUpdate, self.on_config, CONFIG)
        rt.subscribe(
            "/telepresence/camera_shared", types.get("std_msgs/msg/Bool"), self.on_call, LATCHED
        )
        rt.timer(self.params.tick_period_s, self.tick)

    def parse(self, text: str, lang: str) -> ParsedIntent:
        parser = self.parsers.get(lang)
        if parser is None:
            parser = self.parsers[lang] = IntentParser(
                lang,
                medicines=self.medicines,
                benefits=benefit_names(self.benefit_catalog, lang),
            )
        return parser.parse(text, now=self.rt.clock.now(), timezone=self.params.timezone)

    def on_heard(self, utterance: Any) -> None:
        if not utterance.is_final:
            return  # partial results only show that someone is speaking
        self.perform(
            self.dialog.on_heard(utterance.text, utterance.lang, float(utterance.confidence))
        )

    def on_say(self, request: Any) -> None:
        self.dialog.on_said(
            request.text,
            request.lang,
            int(request.priority),
            expects_answer=bool(request.expects_answer),
        )

    def on_call(self, camera_shared: Any) -> None:
        self.dialog.on_call(bool(camera_shared.data))

    def on_reminder_due(self, due: Any) -> None:
        self.dialog.on_reminder_due(due.occurrence_id, due.reminder_id)

    def on_outcome(self, outcome: Any) -> None:
        self.dialog.on_reminder_closed(outcome.occurrence_id)

    def on_config(self, update: Any) -> None:
        if update.kind == "benefits":
            self.on_benefits_config(update.json)
            return
        if update.kind != "reminders":
            return
        try:
            schedule = ReminderSchedule.model_validate_json(update.json)
        except ValidationError as error:
            # The reminders node reports the bad schedule; the dialog keeps the medicines it had.
            self.rt.log.warning("dialog ignores a bad reminders config", errors=error.error_count())
            return
        self.medicines = list(schedule.medicines)
        self.parsers.clear()  # rebuilt with the new medicine names on the next utterance

    def on_benefits_config(self, data_json: str) -> None:
        try:
            data = json.loads(data_json)
            if not isinstance(data, dict) or "catalog" not in data:
                return  # a wipe ({}) keeps the catalog: it is the agency's, not the resident's
            self.benefit_catalog = catalog_from_data(data["catalog"], "cfg/benefits")
        except (ValueError, BenefitsError) as error:
            # The benefits node reports the bad catalog; the dialog keeps the names it had.
            self.rt.log.warning("dialog ignores a bad benefits config", problem=str(error)[:200])
            return
        self.parsers.clear()

    def tick(self) -> None:
        self.perform(self.dialog.tick())

    def perform(self, actions: list[Action]) -> None:
        types = self.rt.types
        for action in actions:
            if isinstance(action, PublishIntent):
                self.intents.publish(
                    types.Intent(
                        header=header(self.rt),
                        name=action.name,
                        slots_json=json.dumps(action.slots, ensure_ascii=False, default=str),
                        text=action.text,
                        lang=action.lang,
                        confidence=action.confidence,
                    )
                )
                # Intent names only: what people say stays out of the logs.
                self.rt.log.info("dialog intent", intent=action.name)
            else:
                self.say(action)

    def say(self, say: Say) -> None:
        self.speech.publish(
            self.rt.types.SayRequest(
                header=header(self.rt),
                text=say.text,
                lang=say.lang,
                priority=int(say.priority),
                utterance_id=new_id(),
                rate_scale=say.rate_scale,
            )
        )


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(DialogNode, "dialog", args)
