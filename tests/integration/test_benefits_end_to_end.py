"""An agency edits a rule in the dashboard, and the robot's answer changes after the next sync.

The whole path with real parts: the dashboard's measure form (posted as the
browser posts it; test_dashboard_benefits.py drives the same form in Chromium),
the config publisher, a real broker, the robot's fleet_link node, /fleet/config,
and the benefits node answering "tell me about the social package" from its
local copy.
"""

# The fixtures `broker` and `robot` come from tests.integration.fleet_wire.
# ruff: noqa: F811

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

from fleet.config_sync import ConfigPublisher
from fleet.store import connect_database
from homecare.clock import SystemClock
from robot.nodes.benefits_node import BenefitsNode
from robot.nodes.fleet_link_node import FleetLinkNode
from robot.runtime import EVENTS, LocalRuntime
from robot.runtime.stamps import header
from tests.broker import AnyBroker
from tests.fleet_api import Fleet
from tests.integration.fleet_wire import broker, robot  # noqa: F401  (fixtures)
from tests.integration.test_fleet_ingest import Login, running_ingest
from tests.integration.test_reminders_wire import rent
from tests.support import wait_until
from tests.unit.test_fleet_api_reminders import auth
from tests.unit.test_fleet_web import sign_in

API = "/api/v1"
LIKELY = "You are likely entitled to it."
NOT_LIKELY = "you are likely not entitled to it."


class Robot:
    """fleet_link and benefits nodes on the real clock, with a probe for intents and speech."""

    def __init__(self, server: AnyBroker, login: Login, folder: Path) -> None:
        user = urllib.parse.quote(login.username, safe="")
        password = urllib.parse.quote(login.password, safe="")
        self.runtime = LocalRuntime(
            clock=SystemClock(),
            parameters={
                "fleet_link": {
                    "robot_id": login.username,
                    "broker_url": f"mqtt://{user}:{password}@{server.host}:{server.port}",
                    "outbox_path": str(folder / "outbox.db"),
                    "resident_dir": str(folder / "resident"),
                },
                "benefits": {"lang": "en", "state_file": str(folder / "benefits.json")},
            },
        )
        self.link = self.runtime.add_node("fleet_link", FleetLinkNode)
        self.benefits = self.runtime.add_node("benefits", BenefitsNode)
        assert isinstance(self.link, FleetLinkNode) and isinstance(self.benefits, BenefitsNode)
        self.probe = self.runtime.node("probe")
        self.intents = self.probe.publisher("/dialog/intent", self.probe.types.Intent, EVENTS)
        self.said: list[Any] = []
        self.probe.subscribe("/speech/say", self.probe.types.SayRequest, self.said.append, EVENTS)

    def spin_until(self, condition: Any, what: str) -> None:
        def spun() -> bool:
            self.runtime.run_for(0.1)
            return bool(condition())

        wait_until(spun, timeout=20, what=what)

    def config_version(self) -> int | None:
        version: int | None = self.benefits.config_version  # type: ignore[union-attr]
        return version

    def explain_nsu(self) -> str:
        self.said.clear()
        self.intents.publish(
            self.probe.types.Intent(
                header=header(self.probe), name="benefits.explain",
                slots_json='{"benefit": "ru.nsu"}', text="tell me about the social package",
                lang="en", confidence=0.95,
            )
        )  # fmt: skip
        self.spin_until(lambda: len(self.said) >= 2, "the robot's explanation")
        return " ".join(request.text for request in self.said)

    def stop(self) -> None:
        self.link.connection.stop()  # type: ignore[union-attr]


def edit_rule_in_the_dashboard(fleet: Fleet, measure_id: str, rule: object) -> Any:
    answer = fleet.client.get(
        f"{API}/benefits/measures/{measure_id}", headers=auth(fleet, "social@a.example")
    ).json()
    measure, version = answer["item"], answer["catalog_version"]
    csrf = sign_in(fleet, "social@a.example")
    form = {
        "csrf": csrf, "base_version": str(version), "rule": json.dumps(rule),
        "title_ru": measure["title"]["ru"], "title_en": measure["title"]["en"],
        "summary_ru": measure["summary"]["ru"], "summary_en": measure["summary"]["en"],
    }  # fmt: skip
    return fleet.client.post(f"/benefits/measures/{measure_id}", data=form, follow_redirects=False)


def test_an_edited_rule_changes_the_robots_answer_after_the_next_sync(
    fleet: Fleet,
    broker: AnyBroker,
    robot: Login,
    tmp_path: Path,
) -> None:
    broker.start()
    social = auth(fleet, "social@a.example")
    with running_ingest(fleet, broker) as ingest:
        fleet.context.publish = ingest.publish
        publisher = ConfigPublisher(
            ingest.publish, ingest.is_connected, connect_database(fleet.context.db_path),
            fleet.context.now,
        )  # fmt: skip
        resident_id, rental_id = rent(fleet, robot.username)
        profile = {"disability_group": 2, "region": "RU-PER", "birth_date": "1941-03-08"}
        saved = fleet.client.put(
            f"{API}/residents/{resident_id}/benefits/profile",
            json={"facts": profile},
            headers=social,
        )
        assert saved.status_code == 200, saved.text
        handed = fleet.client.post(
            f"{API}/rentals/{rental_id}/handover", headers=auth(fleet, "operator@a.example")
        )
        assert handed.status_code == 200, handed.text
        publisher.run()

        home = Robot(broker, robot, tmp_path)
        try:
            home.spin_until(lambda: home.config_version() is not None, "cfg/benefits at the robot")
            first = home.config_version()
            assert LIKELY in home.explain_nsu()

            # The agency decides the social package needs something this resident lacks.
            rule = {"fact": "receives_edv", "op": "eq", "value": True}
            edited = edit_rule_in_the_dashboard(fleet, "ru.nsu", rule)
            assert edited.status_code == 303, edited.text
            publisher.run()  # the next sync (also done at once by the edit when connected)
            home.spin_until(
                lambda: (home.config_version() or 0) > (first or 0), "the edited catalog"
            )
            answer = home.explain_nsu()
            assert LIKELY not in answer and "not entitled" not in answer  # unknown: no EDV fact
            profile["receives_edv"] = False  # type: ignore[assignment]
            fleet.client.put(
                f"{API}/residents/{resident_id}/benefits/profile",
                json={"facts": profile},
                headers=social,
            )
            publisher.run()
            second = home.config_version()
            home.spin_until(lambda: (home.config_version() or 0) > (second or 0), "the profile")
            assert NOT_LIKELY in home.explain_nsu()
        finally:
            home.stop()
