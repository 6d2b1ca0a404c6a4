"""The guardian's core: ask after a fall, cancel on "I'm fine", alert on "help" or silence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from homecare.clock import ManualClock
from robot.safety.guardian import (
    Action,
    Guardian,
    GuardianParams,
    GuardianState,
    LogFalseAlarm,
    RaiseAlert,
    Say,
)
from robot.safety.guardian_phrases import PHRASES, Phrase, phrase


def make(**params: Any) -> tuple[Guardian, ManualClock]:
    clock = ManualClock()
    return Guardian(GuardianParams(**params), clock), clock


def run(guardian: Guardian, clock: ManualClock, seconds: float, step: float = 0.5) -> list[Action]:
    """Let `seconds` pass, ticking every `step` like the node's timer."""
    actions: list[Action] = []
    for _ in range(round(seconds / step)):
        clock.advance(step)
        actions += guardian.tick()
    return actions


def said(actions: list[Action]) -> list[str]:
    return [action.text for action in actions if isinstance(action, Say)]


def alerts(actions: list[Action]) -> list[RaiseAlert]:
    return [action for action in actions if isinstance(action, RaiseAlert)]


def false_alarms(actions: list[Action]) -> list[LogFalseAlarm]:
    return [action for action in actions if isinstance(action, LogFalseAlarm)]


def ru(key: Phrase) -> str:
    return phrase(key, "ru")


def en(key: Phrase) -> str:
    return phrase(key, "en")


# asking and alerting


def test_down_asks_then_asks_again_halfway_then_alerts_no_response_after_the_window() -> None:
    guardian, clock = make()
    detected = datetime(2026, 1, 5, 7, 0, 0, tzinfo=UTC)
    asked = guardian.on_fall("down", 0.9, detected)
    assert asked == [Say(ru(Phrase.ASK_AFTER_FALL), "ru", urgent=True)]
    assert guardian.state is GuardianState.ASKING

    first_half = run(guardian, clock, 15)
    assert said(first_half) == [ru(Phrase.ASK_AGAIN)] and not alerts(first_half)
    second_half = run(guardian, clock, 14.5)
    assert second_half == []  # still inside the 30 s window

    at_deadline = run(guardian, clock, 0.5)
    [alert] = alerts(at_deadline)
    assert (alert.kind, alert.severity) == ("no_response", "critical")
    assert alert.details == {
        "trigger": "fall_down",
        "confidence": 0.9,
        "waited_s": 30.0,
        "heard": [],
        "recovered_seen": False,
        "asked_again": True,
        "detected_at": detected.isoformat(),
    }
    assert said(at_deadline) == [ru(Phrase.HELP_CALLED)]
    assert guardian.state is GuardianState.ALERT_RAISED


def test_confirmation_window_is_a_parameter() -> None:
    guardian, clock = make(confirmation_window_s=10)
    guardian.on_fall("down", 0.9)
    assert not alerts(run(guardian, clock, 9.5))
    assert [a.kind for a in alerts(run(guardian, clock, 0.5))] == ["no_response"]


@pytest.mark.parametrize("answer", ["status.not_ok", "yes", "help.emergency"])
def test_asking_for_help_raises_a_fall_alert_at_once(answer: str) -> None:
    guardian, clock = make()
    guardian.on_fall("down", 0.8)
    clock.advance(4)
    actions = guardian.on_intent(answer, {}, "...", "ru")
    [alert] = alerts(actions)
    assert (alert.kind, alert.severity) == ("fall", "critical")
    assert alert.details["heard"] == [answer] and alert.details["waited_s"] == 4.0
    assert said(actions) == [ru(Phrase.HELP_CALLED)]


@pytest.mark.parametrize("answer", ["status.ok", "no", "cancel"])
def test_saying_fine_cancels_and_logs_a_false_alarm_for_tuning(answer: str) -> None:
    guardian, clock = make()
    guardian.on_fall("recovered", 0.9)  # not down: no follow-up watch afterwards
    guardian.on_fall("falling", 0.7)
    clock.advance(1)
    guardian.on_fall("down", 0.6)
    clock.advance(3)
    guardian.on_fall("recovered", 0.9)  # got up again
    actions = guardian.on_intent(answer, {}, "всё хорошо", "ru", confidence=0.9)
    [logged] = false_alarms(actions)
    assert logged.details["confidence"] == 0.7  # the falling event's, the surer one
    assert logged.details["answer"] == answer
    assert logged.details["trigger"] == "fall_down"
    assert logged.details["recovered_seen"] is True
    assert logged.details["waited_s"] == 3.0
    assert said(actions) == [ru(Phrase.GLAD_YOU_ARE_FINE)]
    assert guardian.state is GuardianState.IDLE
    assert run(guardian, clock, 300) == []  # no alert, no more questions


def test_an_unsure_fine_does_not_cancel() -> None:
    guardian, clock = make()
    guardian.on_fall("down", 0.9)
    assert guardian.on_intent("no", {}, "но", "ru", confidence=0.2) == []
    assert [a.kind for a in alerts(run(guardian, clock, 30))] == ["no_response"]


def test_repeat_asks_again_and_other_intents_do_not_stop_the_clock() -> None:
    guardian, clock = make()
    guardian.on_fall("down", 0.9)
    assert said(guardian.on_intent("repeat", {}, "что?", "ru")) == [ru(Phrase.ASK_AGAIN)]
    assert guardian.on_intent("weather.today", {}, "погода", "ru") == []
    [alert] = alerts(run(guardian, clock, 30))
    assert alert.details["heard"] == ["repeat", "weather.today"]


def test_recovered_during_the_check_does_not_cancel_but_is_recorded() -> None:
    guardian, clock = make()
    guardian.on_fall("down", 0.9)
    clock.advance(5)
    assert guardian.on_fall("recovered", 0.9) == []
    [alert] = alerts(run(guardian, clock, 25))
    assert alert.kind == "no_response" and alert.details["recovered_seen"] is True


# what starts a check


def test_falling_alone_only_arms_and_recovery_disarms() -> None:
    guardian, clock = make()
    assert guardian.on_fall("falling", 0.9) == []
    assert guardian.state is GuardianState.ARMED
    clock.advance(2)
    assert guardian.on_fall("recovered", 0.9) == []
    assert guardian.state is GuardianState.IDLE
    assert run(guardian, clock, 120) == []


def test_falling_without_recovery_starts_the_check_after_the_grace_time() -> None:
    guardian, clock = make(falling_grace_s=5)
    guardian.on_fall("falling", 0.8)
    assert run(guardian, clock, 4.5) == []
    asked = run(guardian, clock, 0.5)
    assert said(asked) == [ru(Phrase.ASK_AFTER_FALL)]
    [alert] = alerts(run(guardian, clock, 30))
    assert alert.details["trigger"] == "falling_no_recovery"
    assert alert.details["confidence"] == 0.8


def test_unsure_events_start_only_the_inactivity_watch() -> None:
    guardian, clock = make(min_fall_confidence=0.6, inactivity_after_down_s=60)
    assert guardian.on_fall("falling", 0.3) == []
    assert guardian.state is GuardianState.IDLE
    assert guardian.on_fall("down", 0.4) == []
    assert guardian.state is GuardianState.WATCHING
    clock.advance(30)
    guardian.on_intent("time.now", {}, "который час", "ru")  # speech: a sign of life
    assert run(guardian, clock, 59.5) == []
    asked = run(guardian, clock, 0.5)
    assert said(asked) == [ru(Phrase.ASK_AFTER_INACTIVITY)]
    [alert] = alerts(run(guardian, clock, 30))
    assert (alert.kind, alert.details["trigger"]) == ("no_response", "inactivity_after_down")
    assert alert.details["confidence"] == 0.4


def test_getting_up_ends_the_inactivity_watch() -> None:
    guardian, clock = make(min_fall_confidence=0.6)
    guardian.on_fall("down", 0.4)
    clock.advance(20)
    guardian.on_fall("recovered", 0.9)
    assert guardian.state is GuardianState.IDLE
    assert run(guardian, clock, 300) == []


def test_fine_from_the_floor_is_checked_once_more_after_inactivity() -> None:
    guardian, clock = make(inactivity_after_down_s=60)
    guardian.on_fall("down", 0.9)
    assert false_alarms(guardian.on_intent("status.ok", {}, "я в порядке", "ru"))
    assert guardian.state is GuardianState.WATCHING
    # The detector repeating "down" is the same episode: no second question.
    assert guardian.on_fall("down", 0.9) == []
    asked = run(guardian, clock, 60)
    assert said(asked) == [ru(Phrase.ASK_AFTER_INACTIVITY)]
    assert false_alarms(guardian.on_intent("status.ok", {}, "я в порядке", "ru"))
    assert guardian.state is GuardianState.IDLE  # only once per time on the floor
    assert run(guardian, clock, 300) == []


# sos


def test_sos_in_idle_raises_at_once_without_a_question() -> None:
    guardian, _clock = make()
    actions = guardian.on_intent("help.emergency", {}, "помогите", "ru")
    [alert] = alerts(actions)
    assert (alert.kind, alert.severity) == ("sos", "critical")
    assert alert.details["trigger"] == "sos_intent" and alert.details["waited_s"] == 0.0
    assert said(actions) == [ru(Phrase.HELP_CALLED)]
    assert guardian.state is GuardianState.ALERT_RAISED


# one alert per episode


def test_one_alert_per_episode() -> None:
    guardian, clock = make()
    guardian.on_fall("down", 0.9)
    assert len(alerts(run(guardian, clock, 30))) == 1
    assert guardian.on_fall("falling", 0.9) == []
    assert guardian.on_fall("down", 0.9) == []
    again = guardian.on_intent("help.emergency", {}, "помогите", "ru")
    assert not alerts(again) and said(again) == [ru(Phrase.HELP_ALREADY_CALLED)]
    # Leave alert_raised (delivered, stayed long enough), still the same episode.
    guardian.on_fleet_link(connected=True, pending_alerts=1)
    guardian.on_fleet_link(connected=True, pending_alerts=0)
    run(guardian, clock, 300)
    assert guardian.state is GuardianState.IDLE
    assert guardian.on_fall("down", 0.9) == []
    assert not alerts(guardian.on_intent("help.emergency", {}, "помогите", "ru"))
    # Getting up ends the episode: the next fall is checked again.
    guardian.on_fall("recovered", 0.9)
    assert said(guardian.on_fall("down", 0.9)) == [ru(Phrase.ASK_AFTER_FALL)]


def test_the_episode_also_ends_after_same_episode_s() -> None:
    guardian, clock = make(same_episode_s=600, stay_with_resident_s=0)
    guardian.on_intent("help.emergency", {}, "помогите", "ru")
    guardian.on_fleet_link(connected=True, pending_alerts=1)
    guardian.on_fleet_link(connected=True, pending_alerts=0)
    run(guardian, clock, 600)
    assert guardian.state is GuardianState.IDLE
    assert len(alerts(guardian.on_intent("help.emergency", {}, "помогите", "ru"))) == 1


# after the alert


def test_reassures_periodically_until_handed_off_then_goes_idle() -> None:
    guardian, clock = make(reassure_every_s=60, stay_with_resident_s=300)
    guardian.on_intent("help.emergency", {}, "help", "en")
    assert said(guardian.on_fleet_link(connected=True, pending_alerts=1)) == []
    assert said(run(guardian, clock, 10)) == []
    delivered = guardian.on_fleet_link(connected=True, pending_alerts=0)
    assert said(delivered) == [en(Phrase.ALERT_DELIVERED)]
    later = said(run(guardian, clock, 290))
    assert later == [en(Phrase.HELP_ALREADY_CALLED)] * 4  # at 70, 130, 190 and 250 s
    assert guardian.state is GuardianState.IDLE
    assert run(guardian, clock, 600) == []


def test_up_and_fine_after_the_alert_ends_the_talk_but_not_the_alert() -> None:
    guardian, clock = make()
    guardian.on_fall("down", 0.9)
    run(guardian, clock, 30)
    not_yet = guardian.on_intent("status.ok", {}, "я в порядке", "ru")
    assert said(not_yet) == [ru(Phrase.HELP_ALREADY_CALLED)]  # still on the floor
    guardian.on_fall("recovered", 0.9)
    actions = guardian.on_intent("status.ok", {}, "я в порядке", "ru")
    assert said(actions) == [ru(Phrase.FINE_BUT_HELP_COMING)]
    assert not false_alarms(actions)  # an alert went out: not a false alarm of the detector
    assert guardian.state is GuardianState.IDLE


def test_repeat_after_the_alert_repeats_the_last_sentence() -> None:
    guardian, _clock = make()
    guardian.on_intent("help.emergency", {}, "помогите", "ru")
    assert said(guardian.on_intent("repeat", {}, "повтори", "ru")) == [ru(Phrase.HELP_CALLED)]


# the fleet cannot be reached


def test_disconnected_fleet_is_announced_once_then_periodically_until_delivered() -> None:
    guardian, clock = make(reassure_every_s=60)
    guardian.on_fleet_link(connected=False, pending_alerts=0)
    guardian.on_fall("down", 0.9)
    raised = run(guardian, clock, 30)
    assert said(raised) == [ru(Phrase.ASK_AGAIN), ru(Phrase.HELP_CALLED)]
    first = guardian.on_fleet_link(connected=False, pending_alerts=1)
    assert said(first) == [ru(Phrase.SERVICE_UNREACHABLE)]
    assert guardian.on_fleet_link(connected=False, pending_alerts=1) == []  # said once
    periodic = said(run(guardian, clock, 120))
    assert periodic == [ru(Phrase.SERVICE_UNREACHABLE)] * 2
    guardian.on_fleet_link(connected=True, pending_alerts=1)
    delivered = guardian.on_fleet_link(connected=True, pending_alerts=0)
    assert said(delivered) == [ru(Phrase.ALERT_DELIVERED)]


def test_no_word_from_the_fleet_link_is_announced_after_the_grace_time() -> None:
    guardian, clock = make(delivery_grace_s=15)
    guardian.on_intent("help.emergency", {}, "help", "en")
    assert said(run(guardian, clock, 14.5)) == []
    assert said(run(guardian, clock, 0.5)) == [en(Phrase.SERVICE_UNREACHABLE)]


def test_alert_pending_too_long_is_announced_even_when_connected() -> None:
    guardian, clock = make(delivery_grace_s=15)
    guardian.on_intent("help.emergency", {}, "help", "en")
    guardian.on_fleet_link(connected=True, pending_alerts=1)
    assert said(run(guardian, clock, 15)) == [en(Phrase.SERVICE_UNREACHABLE)]


def test_an_empty_outbox_before_the_alert_reached_it_is_not_delivery() -> None:
    guardian, _clock = make()
    guardian.on_intent("help.emergency", {}, "help", "en")
    assert guardian.on_fleet_link(connected=True, pending_alerts=0) == []
    assert said(guardian.on_fleet_link(connected=True, pending_alerts=1)) == []
    assert said(guardian.on_fleet_link(connected=True, pending_alerts=0)) == [
        en(Phrase.ALERT_DELIVERED)
    ]


# languages


def test_english_texts_for_an_english_resident() -> None:
    guardian, clock = make(lang="en")
    assert said(guardian.on_fall("down", 0.9)) == [
        "It looks like you fell. Do you need help? Please say yes or no."
    ]
    assert said(run(guardian, clock, 15)) == [en(Phrase.ASK_AGAIN)]


def test_answers_follow_the_language_the_resident_speaks() -> None:
    guardian, _clock = make(lang="ru")
    guardian.on_fall("down", 0.9)
    actions = guardian.on_intent("repeat", {}, "pardon?", "en")
    assert actions == [Say(en(Phrase.ASK_AGAIN), "en", urgent=True)]


def test_unknown_languages_fall_back_to_english() -> None:
    guardian, _clock = make(lang="de")
    [ask] = guardian.on_fall("down", 0.9)
    assert isinstance(ask, Say) and ask.text == en(Phrase.ASK_AFTER_FALL)


def test_every_phrase_exists_in_both_languages_and_asks_one_yes_no_question() -> None:
    for lang in ("ru", "en"):
        assert set(PHRASES[lang]) == set(Phrase)
        for key in (Phrase.ASK_AFTER_FALL, Phrase.ASK_AFTER_INACTIVITY, Phrase.ASK_AGAIN):
            assert PHRASES[lang][key].count("?") == 1
