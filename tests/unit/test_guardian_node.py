"""The guardian node's wiring: fall events and intents in, spoken checks and alerts out."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from homecare.clock import ManualClock
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from robot.local_launch import robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.nodes.guardian_node import parse_slots
from robot.runtime import EVENTS, LATCHED, LocalRuntime
from robot.runtime.local import LocalNode, LocalPublisher
from robot.runtime.stamps import header
from robot.safety.guardian_phrases import Phrase, phrase
from tests.broker import fleet_link_runtime


@dataclass
class Home:
    """The guardian on a manual clock, with a probe standing in for the other nodes."""

    rt: LocalRuntime
    probe: LocalNode
    falls: LocalPublisher
    intents: LocalPublisher
    link: LocalPublisher
    said: list[Any] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)

    def fall(self, phase: str, confidence: float = 0.9) -> None:
        types = self.probe.types
        self.falls.publish(
            types.FallEvent(header=header(self.probe), phase=phase, confidence=confidence)
        )
        self.rt.run_until_idle()

    def intent(self, name: str, text: str = "", lang: str = "en") -> None:
        types = self.probe.types
        self.intents.publish(
            types.Intent(
                header=header(self.probe), name=name, slots_json="{}", text=text, lang=lang,
                confidence=0.9,
            )
        )  # fmt: skip
        self.rt.run_until_idle()

    def link_state(self, connected: bool, pending_alerts: int) -> None:
        state = self.probe.types.FleetLinkState(
            header=header(self.probe), connected=connected, pending_alerts=pending_alerts
        )
        self.link.publish(state)
        self.rt.run_until_idle()


@pytest.fixture
def home() -> Iterator[Home]:
    rt = robot_runtime(ManualClock(), PACKAGED_ROBOT_PARAMETERS, "en")
    start_nodes(rt, {"guardian": ROBOT_NODES["guardian"]})
    probe = rt.node("probe")
    types = probe.types
    home = Home(
        rt,
        probe,
        falls=probe.publisher("/safety/fall", types.FallEvent, EVENTS),
        intents=probe.publisher("/dialog/intent", types.Intent, EVENTS),
        link=probe.publisher("/fleet/link", types.FleetLinkState, LATCHED),
    )
    probe.subscribe("/speech/say", types.SayRequest, home.said.append, EVENTS)
    probe.subscribe("/safety/alert", types.Alert, home.alerts.append, EVENTS)
    yield home
    assert rt.callback_errors == {}


def test_fall_down_is_checked_by_voice_then_alerted_after_30_silent_seconds(home: Home) -> None:
    home.fall("down")
    [question] = home.said
    assert question.text == phrase(Phrase.ASK_AFTER_FALL, "en") and question.lang == "en"
    assert question.priority == home.probe.types.SayRequest.PRIORITY_URGENT

    home.rt.run_for(29)
    assert home.alerts == []
    home.rt.run_for(1.5)

    [alert] = home.alerts
    assert (alert.kind, alert.severity) == ("no_response", "critical")
    details = json.loads(alert.details_json)
    assert details["trigger"] == "fall_down" and details["waited_s"] == 30.0
    assert details["confidence"] == pytest.approx(0.9)
    assert len(alert.alert_id) == 36  # a fresh UUID
    assert home.said[-1].text == phrase(Phrase.HELP_CALLED, "en")


def test_fine_cancels_without_an_alert_and_logs_the_false_alarm(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    home.fall("down", confidence=0.75)
    home.rt.run_for(3)
    with caplog.at_level(logging.INFO, logger="robot.guardian"):
        home.intent("status.ok", "I'm fine")
    home.fall("recovered")
    home.rt.run_for(120)

    assert home.alerts == []
    assert home.said[-1].text == phrase(Phrase.GLAD_YOU_ARE_FINE, "en")
    [record] = [r for r in caplog.records if "guardian false alarm" in r.getMessage()]
    assert "confidence=0.75" in record.getMessage() and "answer=status.ok" in record.getMessage()
    assert "I'm fine" not in record.getMessage()  # intent names only, never what was said


def test_help_in_idle_alerts_at_once_and_delivery_is_announced(home: Home) -> None:
    home.intent("help.emergency", "help!")
    [alert] = home.alerts
    assert (alert.kind, alert.severity) == ("sos", "critical")
    home.link_state(connected=True, pending_alerts=1)
    home.link_state(connected=True, pending_alerts=0)
    assert [s.text for s in home.said] == [
        phrase(Phrase.HELP_CALLED, "en"),
        phrase(Phrase.ALERT_DELIVERED, "en"),
    ]


def test_unreachable_fleet_is_announced(home: Home) -> None:
    home.intent("help.emergency", "help!")
    home.link_state(connected=False, pending_alerts=1)
    assert home.said[-1].text == phrase(Phrase.SERVICE_UNREACHABLE, "en")


def test_yes_to_the_question_raises_a_fall_alert_in_the_residents_language(home: Home) -> None:
    home.fall("down")
    home.intent("yes", "да", lang="ru")
    [alert] = home.alerts
    assert (alert.kind, alert.severity) == ("fall", "critical")
    assert json.loads(alert.details_json)["heard"] == ["yes"]
    assert (home.said[-1].text, home.said[-1].lang) == (phrase(Phrase.HELP_CALLED, "ru"), "ru")


@pytest.mark.parametrize("slots_json", ["", "{bad", "[1]", "null"])
def test_malformed_slots_do_not_stop_the_guardian(slots_json: str) -> None:
    assert parse_slots(slots_json) == {}
    assert parse_slots('{"room": "kitchen"}') == {"room": "kitchen"}


def test_fleet_link_publishes_its_state_latched_on_each_alert(tmp_path: Path) -> None:
    # Nothing listens on port 1: the link stays disconnected and the alert pending.
    rt, link = fleet_link_runtime("mqtt://127.0.0.1:1", tmp_path / "outbox.db", ManualClock())
    try:
        probe = rt.node("probe")
        alerts = probe.publisher("/safety/alert", probe.types.Alert, EVENTS)
        alerts.publish(
            probe.types.Alert(header=header(probe), alert_id="a-1", kind="sos", severity="critical")
        )
        rt.run_for(0.35)
        late: list[Any] = []
        late_joiner = rt.node("late_joiner")
        late_joiner.subscribe("/fleet/link", probe.types.FleetLinkState, late.append, LATCHED)
        rt.run_until_idle()
        [state] = late  # latched: the last state reaches a late subscriber
        assert (state.connected, state.pending_alerts) == (False, 1)
        assert state.oldest_pending_age_s >= 0.0
    finally:
        link.connection.stop()
        link.outbox.close()
