"""The dialog node with the real NLU: heard text -> intents, answers, the guardian's turn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from homecare.clock import ManualClock
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from robot.local_launch import robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.runtime import EVENTS, LATCHED, LocalRuntime
from robot.runtime.local import LocalNode, LocalPublisher
from robot.runtime.stamps import header

SCHEDULE = {
    "timezone": "Asia/Yekaterinburg",
    "medicines": [{"name": "эналаприл", "aliases": ["от давления"], "dose": "1 таблетка"}],
    "reminders": [],
}


@dataclass
class Home:
    rt: LocalRuntime
    probe: LocalNode
    heard: LocalPublisher
    falls: LocalPublisher
    said: list[Any] = field(default_factory=list)
    intents: list[Any] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)

    def resident(self, text: str, lang: str = "ru", confidence: float = 1.0) -> None:
        types = self.probe.types
        self.heard.publish(
            types.Utterance(
                header=header(self.probe), text=text, lang=lang, confidence=confidence,
                is_final=True,
            )
        )  # fmt: skip
        self.rt.run_until_idle()

    def texts(self) -> list[str]:
        return [request.text for request in self.said]

    def intent_names(self) -> list[str]:
        return [intent.name for intent in self.intents]


@pytest.fixture
def home() -> Iterator[Home]:
    # 05:15 UTC is 10:15 in Perm.
    rt = robot_runtime(
        ManualClock(datetime(2026, 11, 23, 5, 15, tzinfo=UTC)),
        PACKAGED_ROBOT_PARAMETERS,
        "ru",
        overrides={"dialog": {"timezone": "Asia/Yekaterinburg"}},
    )
    start_nodes(rt, {name: ROBOT_NODES[name] for name in ("dialog", "guardian")})
    probe = rt.node("probe")
    types = probe.types
    config = probe.publisher("/fleet/config", types.ConfigUpdate, LATCHED)
    config.publish(types.ConfigUpdate(kind="reminders", version=1, json=json.dumps(SCHEDULE)))
    home = Home(
        rt,
        probe,
        heard=probe.publisher("/speech/heard", types.Utterance, EVENTS),
        falls=probe.publisher("/safety/fall", types.FallEvent, EVENTS),
    )
    probe.subscribe("/speech/say", types.SayRequest, home.said.append, EVENTS)
    probe.subscribe("/dialog/intent", types.Intent, home.intents.append, EVENTS)
    probe.subscribe("/safety/alert", types.Alert, home.alerts.append, EVENTS)
    rt.run_until_idle()
    yield home
    assert rt.callback_errors == {}


def test_what_time_is_it_is_answered_in_words(home: Home) -> None:
    home.resident("который час")
    assert home.texts() == ["Сейчас 10 часов 15 минут."]
    assert home.intent_names() == ["time.now"]


def test_intents_carry_a_confidence_the_guardian_accepts(home: Home) -> None:
    home.resident("я выпила таблетку от давления")
    [intent] = home.intents
    assert intent.name == "reminder.ack" and intent.confidence >= 0.5
    assert json.loads(intent.slots_json)["medicine"] == "эналаприл"


def test_yes_to_the_guardians_question_calls_for_help(home: Home) -> None:
    home.falls.publish(home.probe.types.FallEvent(phase="down", confidence=0.9))
    home.rt.run_until_idle()
    assert "Вам нужна помощь" in home.texts()[-1]
    home.resident("да")
    [alert] = home.alerts
    assert (alert.kind, alert.severity) == ("fall", "critical")


def test_im_fine_to_the_guardian_cancels_without_dialog_chatter(home: Home) -> None:
    home.falls.publish(home.probe.types.FallEvent(phase="down", confidence=0.9))
    home.rt.run_until_idle()
    asked = len(home.said)
    home.resident("всё хорошо я в порядке")
    home.rt.run_for(30)  # (the person is still down: after 60 s the guardian asks again)
    assert home.alerts == []
    assert len(home.said) == asked + 1  # only the guardian's "glad you are fine"


def test_repeat_is_slower(home: Home) -> None:
    home.resident("который час")
    home.resident("что-что? повтори")
    assert home.said[-1].text == home.said[0].text
    assert 0 < home.said[-1].rate_scale < 1


def test_mumbling_gets_two_reasks_then_silence(home: Home) -> None:
    for _ in range(3):
        home.resident("кхм бу бу бу")
    assert len(home.said) == 2
    assert "например" in home.said[0].text
    assert home.intent_names() == ["unknown", "unknown", "unknown"]


def test_voice_reminder_is_confirmed_before_it_is_created(home: Home) -> None:
    home.resident("напомни мне в девять вечера выпить эналаприл")
    assert home.intent_names() == []
    assert "Скажите: да или нет" in home.texts()[-1]
    home.resident("да")
    [intent] = home.intents
    slots = json.loads(intent.slots_json)
    assert intent.name == "reminder.create" and slots["confirmed"] is True
    assert slots["time"] == "21:00" and slots["medicine"] == "эналаприл"


def test_unknown_medicine_is_refused_with_its_name(home: Home) -> None:
    home.resident("напомни в девять принять аспирин")
    assert home.intent_names() == []
    assert "аспирин" in home.texts()[-1]
