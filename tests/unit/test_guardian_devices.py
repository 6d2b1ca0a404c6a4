"""The guardian's device inputs: SOS buttons (/devices/event) and check-ins (/safety/check_in)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from homecare.clock import ManualClock
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from robot.local_launch import robot_runtime, start_nodes
from robot.runtime import EVENTS, LATCHED, LocalRuntime
from robot.runtime.local import LocalNode, LocalPublisher
from robot.runtime.stamps import header
from robot.safety.guardian import Guardian, GuardianParams, Say
from robot.safety.guardian_phrases import Phrase, phrase

GUARDIAN = {"guardian": "robot.nodes.guardian_node:GuardianNode"}
BED_DETAILS = {"device": "bedroom/bed", "room": "bedroom", "minutes": 15}


@dataclass
class Home:
    rt: LocalRuntime
    probe: LocalNode
    events: LocalPublisher
    check_ins: LocalPublisher
    intents: LocalPublisher
    falls: LocalPublisher
    said: list[Any] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [say.text for say in self.said]

    def press(self, device: str = "sos/bedside", data: str = '{"room": "bedroom"}') -> None:
        types: Any = self.probe.types
        self.events.publish(
            types.DeviceEvent(
                header=header(self.probe), device=device, role="sos_button", kind="pressed",
                json=data,
            )
        )  # fmt: skip
        self.rt.run_until_idle()

    def check_in(self, trigger: str, details: str = json.dumps(BED_DETAILS)) -> None:
        types: Any = self.probe.types
        self.check_ins.publish(
            types.CheckIn(header=header(self.probe), trigger=trigger, details_json=details)
        )
        self.rt.run_until_idle()

    def intent(self, name: str, lang: str = "en") -> None:
        types: Any = self.probe.types
        self.intents.publish(
            types.Intent(
                header=header(self.probe), name=name, slots_json="{}", text="", lang=lang,
                confidence=0.9,
            )
        )  # fmt: skip
        self.rt.run_until_idle()

    def alert_details(self) -> dict[str, Any]:
        [alert] = self.alerts
        details: dict[str, Any] = json.loads(alert.details_json)
        return details


@pytest.fixture
def home() -> Iterator[Home]:
    rt = robot_runtime(ManualClock(), PACKAGED_ROBOT_PARAMETERS, "en")
    start_nodes(rt, GUARDIAN)
    probe = rt.node("probe")
    types: Any = probe.types
    made = Home(
        rt,
        probe,
        events=probe.publisher("/devices/event", types.DeviceEvent, EVENTS),
        check_ins=probe.publisher("/safety/check_in", types.CheckIn, EVENTS),
        intents=probe.publisher("/dialog/intent", types.Intent, EVENTS),
        falls=probe.publisher("/safety/fall", types.FallEvent, EVENTS),
    )
    probe.subscribe("/speech/say", types.SayRequest, made.said.append, EVENTS)
    probe.subscribe("/safety/alert", types.Alert, made.alerts.append, EVENTS)
    yield made
    assert rt.callback_errors == {}


# -- SOS buttons ------------------------------------------------------------------------


def test_an_sos_press_is_one_critical_alert_per_episode_and_the_resident_is_told(
    home: Home,
) -> None:
    home.press()
    [alert] = home.alerts
    assert (alert.kind, alert.severity) == ("sos", "critical")
    details = home.alert_details()
    assert (details["trigger"], details["device"], details["room"]) == (
        "sos_button", "sos/bedside", "bedroom",
    )  # fmt: skip
    assert home.texts == [phrase(Phrase.BUTTON_HELP_CALLED, "en")]
    types: Any = home.probe.types
    assert home.said[0].priority == types.SayRequest.PRIORITY_URGENT

    home.rt.run_for(30)
    home.press()  # pressed again, anxious: reassured, not a second incident
    assert len(home.alerts) == 1
    assert home.texts[-1] == phrase(Phrase.HELP_ALREADY_CALLED, "en")


def test_a_press_after_the_episode_is_a_new_alert(home: Home) -> None:
    home.press()
    types: Any = home.probe.types
    link = home.probe.publisher("/fleet/link", types.FleetLinkState, LATCHED)
    for pending in (1, 0):  # the fleet got the alert
        link.publish(
            types.FleetLinkState(header=header(home.probe), connected=True, pending_alerts=pending)
        )
        home.rt.run_until_idle()
    home.rt.run_for(600)
    home.press()  # still the same episode (same_episode_s, 900 s)
    assert len(home.alerts) == 1
    home.rt.run_for(301)
    home.press()
    assert [alert.kind for alert in home.alerts] == ["sos", "sos"]


def test_a_press_while_asked_after_a_fall_is_the_answer(home: Home) -> None:
    types: Any = home.probe.types
    home.falls.publish(types.FallEvent(header=header(home.probe), phase="down", confidence=0.9))
    home.rt.run_until_idle()
    home.press("sos/pendant")
    [alert] = home.alerts
    assert (alert.kind, alert.severity) == ("sos", "critical")
    details = home.alert_details()
    assert (details["trigger"], details["sos_button"]) == ("fall_down", "sos/pendant")


@pytest.mark.parametrize(
    ("role", "kind"), [("sos_button", "battery_low"), ("door_sensor", "pressed")]
)
def test_other_device_events_are_not_a_call_for_help(home: Home, role: str, kind: str) -> None:
    types: Any = home.probe.types
    home.events.publish(
        types.DeviceEvent(header=header(home.probe), device="x", role=role, kind=kind, json="{}")
    )
    home.rt.run_for(60)
    assert home.alerts == [] and home.said == []


@pytest.mark.parametrize("data", ["", "garbage", "[1]", '{"room": 5}'])
def test_a_press_with_bad_json_still_calls_for_help(home: Home, data: str) -> None:
    home.press(data=data)
    assert home.alert_details()["room"] == ""


# -- check-ins --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "question"),
    [
        ("night_bed_exit", Phrase.ASK_NIGHT_BED_EXIT),
        ("inactivity", Phrase.ASK_DAYTIME_INACTIVITY),
        ("night_door", Phrase.ASK_NIGHT_DOOR),
    ],
)
def test_silence_after_a_check_in_raises_no_response_with_the_trigger(
    home: Home, trigger: str, question: Phrase
) -> None:
    home.check_in(trigger)
    assert home.texts == [phrase(question, "en")]
    home.rt.run_for(29)
    assert home.alerts == []
    assert home.texts[-1] == phrase(Phrase.ASK_AGAIN, "en")  # asked again halfway
    home.rt.run_for(1.5)
    [alert] = home.alerts
    assert (alert.kind, alert.severity) == ("no_response", "critical")
    details = home.alert_details()
    assert details["trigger"] == trigger
    assert {key: details[key] for key in BED_DETAILS} == BED_DETAILS
    assert details["waited_s"] == 30.0


@pytest.mark.parametrize("answer", ["status.ok", "yes"])  # "Are you all right?" "Yes."
def test_fine_cancels_a_check_in(home: Home, answer: str) -> None:
    home.check_in("night_bed_exit")
    home.intent(answer)
    home.rt.run_for(120)
    assert home.alerts == []
    assert home.texts[-1] == phrase(Phrase.GLAD_YOU_ARE_FINE, "en")


@pytest.mark.parametrize("answer", ["help.emergency", "status.not_ok", "no"])
def test_help_or_not_all_right_raises_at_once(home: Home, answer: str) -> None:
    home.check_in("inactivity", '{"hours": 4.0}')
    home.intent(answer)
    [alert] = home.alerts
    assert alert.kind == "no_response"
    assert home.alert_details()["heard"] == [answer]
    assert home.alert_details()["hours"] == 4.0


def test_yes_to_the_double_night_door_question_asks_the_clear_one_first(home: Home) -> None:
    home.check_in("night_door", '{"device": "front door", "room": "hall"}')
    home.intent("yes")  # "All right?" or "need help?": cannot tell
    assert home.alerts == []
    assert home.texts[-1] == phrase(Phrase.ASK_AGAIN, "en")  # "Do you need help? yes or no"
    home.intent("yes")
    [alert] = home.alerts
    assert (alert.kind, home.alert_details()["heard"]) == ("no_response", ["yes", "yes"])


def test_no_to_the_clear_question_after_the_night_door_is_fine(home: Home) -> None:
    home.check_in("night_door", "{}")
    home.intent("no")
    home.intent("no")
    home.rt.run_for(60)
    assert home.alerts == [] and home.texts[-1] == phrase(Phrase.GLAD_YOU_ARE_FINE, "en")


def test_a_check_in_is_ignored_while_an_episode_runs(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    home.press()
    said_before = len(home.said)
    with caplog.at_level(logging.INFO, logger="robot.guardian"):
        home.check_in("night_door")
    assert len(home.said) == said_before and len(home.alerts) == 1
    assert any("an episode is running" in r.getMessage() for r in caplog.records)


def test_an_unknown_trigger_is_logged_not_asked(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="robot.guardian"):
        home.check_in("bathroom_flood")
    assert home.said == []
    assert any("unknown trigger" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("details", ["", "garbage", "[1]", '{"nested": {"a": 1}}'])
def test_bad_check_in_details_still_check(home: Home, details: str) -> None:
    home.check_in("night_bed_exit", details)
    home.rt.run_for(31)
    assert home.alert_details()["trigger"] == "night_bed_exit"
    assert "nested" not in home.alert_details()


def test_the_check_in_question_is_in_the_residents_language() -> None:
    guardian = Guardian(GuardianParams(lang="ru"), ManualClock())
    assert guardian.on_check_in("night_bed_exit", {}) == [
        Say("Вы встали ночью и ещё не вернулись. У вас всё в порядке?", "ru")
    ]
    with pytest.raises(ValueError, match="unknown check-in trigger 'flood'"):
        guardian.on_check_in("flood", {})
