"""benefits: /dialog/intent and /fleet/config in; /speech/say and /fleet/event out.

Thin wiring of `benefits.interview.BenefitsInterview`. `benefits.query` starts
the interview; while it runs, every intent goes to it (the dialog passes the
answer to a question marked `expects_answer` on unchanged, even `unknown`, with
the words said). `benefits.explain` explains one measure.

The catalog comes from the fleet (ConfigUpdate kind "benefits", JSON
`{"catalog": <catalog document>, "profile": {facts}}`); a bad one is logged and
the previous kept. The last good one is kept in `state_file`, so the robot
answers offline after a restart; until the fleet sends one, the shipped seed
catalog is used. A wipe (`{}`) forgets the resident's saved answers.

An urgent question on /speech/say (the guardian's) ends a running interview,
so the resident's "yes" to it is never taken as an answer here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from benefits import Catalog, catalog_from_data, load_catalog, parse_profile
from benefits.errors import BenefitsError
from benefits.interview import (
    Action,
    BenefitsInterview,
    InterviewParams,
    Say,
    SendEvent,
    benefit_names,
)
from homecare.settings import get_settings
from robot.nodes.guardian_node import parse_slots
from robot.runtime import CONFIG, EVENTS, Runtime, load_params
from robot.state_file import JsonStateFile
from robot.voice_out import VoiceOut

CONFIG_KIND = "benefits"
QUERY, EXPLAIN = "benefits.query", "benefits.explain"

__all__ = ["BenefitsNode", "BenefitsNodeParams", "benefit_names", "local_catalog"]


class BenefitsNodeParams(InterviewParams):
    lang: str = Field(default="", description="The resident's language; empty: the settings'.")
    timezone: str = Field(default="", description="IANA zone of the home; empty: the settings'.")
    state_file: str = Field(
        default="",
        description="The last good catalog and saved answers (empty: benefits.json in data_dir).",
    )
    seed_catalog: str = Field(
        default="", description="Catalog file or folder until the fleet sends one (empty: seed)."
    )
    tick_period_s: float = Field(default=1.0, gt=0)


class BenefitsNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        params = load_params(rt, BenefitsNodeParams)
        settings = get_settings()
        self.lang = params.lang if params.lang in ("ru", "en") else settings.robot.language
        self.params = params.model_copy(
            update={"timezone": params.timezone or settings.robot.timezone}
        )
        self.state_path = Path(
            self.params.state_file or settings.data_dir / "benefits.json"
        ).expanduser()
        self.state_file = JsonStateFile(self.state_path, rt.log, "benefits state")
        self.config_version: int | None = None
        self.interview = BenefitsInterview(self.params, rt.clock, None)
        self._load_local()
        types = rt.types
        self.out = VoiceOut(rt)
        rt.subscribe("/fleet/config", types.ConfigUpdate, self.on_config, CONFIG)
        rt.subscribe("/dialog/intent", types.Intent, self.on_intent, EVENTS)
        rt.subscribe("/speech/say", types.SayRequest, self.on_say, EVENTS)
        rt.timer(self.params.tick_period_s, self.tick)

    @property
    def catalog(self) -> Catalog | None:
        return self.interview.catalog

    # -- start-up ----------------------------------------------------------------------

    def _load_local(self) -> None:
        """The stored catalog if there is a good one (else the seed), and the saved answers."""
        stored = self.state_file.read()
        try:
            self.interview.set_saved_profile(_mapping(stored.get("profile")))
        except BenefitsError as error:
            self.rt.log.error("benefits stored answers unusable", problem=str(error))
        if isinstance(stored.get("catalog"), dict):
            try:
                self.interview.catalog = catalog_from_data(stored["catalog"], str(self.state_path))
                version = stored.get("version")
                self.config_version = version if isinstance(version, int) else None
                self.rt.log.info("benefits catalog loaded", source="local", version=version)
                return
            except BenefitsError as error:
                self.rt.log.error("benefits stored catalog unusable", problem=str(error))
        seed = Path(self.params.seed_catalog).expanduser() if self.params.seed_catalog else None
        self.interview.catalog = load_catalog(seed)
        self.rt.log.info("benefits catalog loaded", source="seed")

    def _store(self, catalog_data: Mapping[str, Any] | None = None) -> None:
        """Write the catalog in use and the saved answers (atomically: a crash keeps the old)."""
        stored = self.state_file.read()
        if catalog_data is not None:
            stored["catalog"] = catalog_data
            stored["version"] = self.config_version
        stored["profile"] = self.interview.saved_profile_data()
        self.state_file.write(stored)

    # -- inputs ------------------------------------------------------------------------

    def on_config(self, update: Any) -> None:
        if update.kind != CONFIG_KIND:
            return
        version = int(update.version)
        if update.json.strip() in ("", "{}"):
            self.interview.forget_resident()  # the rental ended: the resident's answers go
            self._store()
            self.rt.log.info("benefits resident data cleared", version=version)
            return
        if self.config_version is not None and version < self.config_version:
            self.rt.log.warning(
                "benefits config ignored: older than the one in use",
                version=version,
                current=self.config_version,
            )
            return
        try:
            data = json.loads(update.json)
            if not isinstance(data, dict):
                raise BenefitsError("expected a JSON object with catalog and profile")
            catalog_data = data.get("catalog")
            catalog = None
            if catalog_data is not None:
                catalog = catalog_from_data(catalog_data, "cfg/benefits catalog")
            raw_profile = data.get("profile")
            if raw_profile is not None and not isinstance(raw_profile, dict):
                raise BenefitsError("cfg/benefits profile: expected an object of facts")
            profile = None
            if raw_profile is not None:
                profile = parse_profile(raw_profile, self.interview.today(), "cfg/benefits profile")
        except ValueError as error:
            self._reject(version, f"not valid JSON: {error}")
            return
        except BenefitsError as error:
            self._reject(version, str(error))
            return
        if catalog is not None:
            self.interview.catalog = catalog
        if profile is not None:  # absent: keep what the resident saved here
            self.interview.saved = dict(profile.facts)
        self.config_version = version
        self._store(catalog_data if catalog is not None else None)
        self.rt.log.info(
            "benefits catalog loaded",
            source="fleet",
            version=version,
            measures=len(self.catalog.measures) if self.catalog else 0,
        )

    def _reject(self, version: int, problem: str) -> None:
        self.rt.log.error(
            "benefits config rejected; the previous catalog stays", version=version, problem=problem
        )

    def on_intent(self, intent: Any) -> None:
        name = str(intent.name)
        lang = intent.lang if intent.lang in ("ru", "en") else self.lang
        if name == QUERY:
            actions = self.interview.start(lang)
        elif name == EXPLAIN:
            slots = parse_slots(intent.slots_json)
            benefit = slots.get("benefit")
            text = slots.get("benefit_text")
            actions = self.interview.explain(
                benefit if isinstance(benefit, str) else "",
                text if isinstance(text, str) else str(intent.text),
                lang,
            )
        elif self.interview.active:
            actions = self.interview.on_intent(name, str(intent.text), lang)
        else:
            return
        self.perform(actions)

    def on_say(self, request: Any) -> None:
        # The guardian's "do you need help?" takes the floor: the next "yes" is not ours.
        urgent = int(request.priority) >= self.rt.types.SayRequest.PRIORITY_URGENT
        if urgent and self.interview.active:
            self.interview.interrupt()
            self.rt.log.info("benefits interview interrupted by an urgent question")

    def tick(self) -> None:
        self.perform(self.interview.tick())

    # -- outputs -----------------------------------------------------------------------

    def perform(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Say):
                self.out.say(action)
            else:
                self.send(action)

    def send(self, event: SendEvent) -> None:
        self.out.send(event)
        if event.type in ("benefits.profile", "benefits.profile_deleted"):
            self._store()  # the local copy follows the resident's choice at once


def local_catalog(state_file: Path | None = None) -> Catalog:
    """The catalog this node answers from: the stored fleet copy, else the shipped seed.

    For the dialog's NLU (`benefit_names(local_catalog(), lang)`), so names are
    known offline after a restart too. A missing or bad stored copy means the seed.
    """
    path = state_file or get_settings().data_dir / "benefits.json"
    try:
        stored = json.loads(path.expanduser().read_text(encoding="utf-8"))
        return catalog_from_data(stored["catalog"], str(path))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, BenefitsError):
        return load_catalog()


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(BenefitsNode, "benefits", args)
