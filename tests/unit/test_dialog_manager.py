"""The dialog manager's turn-taking rules, with a table of parses standing in for the NLU."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from homecare.clock import ManualClock
from speech.dialog import DialogManager, DialogParams, Priority, PublishIntent, Say


@dataclass(frozen=True)
class Parsed:
    name: str
    slots: Mapping[str, object] = field(default_factory=dict)
    confidence: float = 0.95


PARSES: dict[str, Parsed] = {
    "который час": Parsed("time.now"),
    "какое сегодня число": Parsed("date.today"),
    "что": Parsed("repeat"),
    "да": Parsed("yes"),
    "нет": Parsed("no"),
    "закончить": Parsed("call.end"),
    "помогите": Parsed("help.emergency"),
    "выпила": Parsed("reminder.ack"),
    "напомни в девять принять эналаприл": Parsed(
        "reminder.create", {"time": "09:00", "medicine": "эналаприл"}
    ),
    "напомни про врача": Parsed("reminder.create", {"what": "врач"}),
    "в десять": Parsed("unknown", {"time": "10:00"}, 0.3),
    "напомни принять чудо-зелье в девять": Parsed(
        "reminder.create", {"time": "09:00", "medicine_unknown": "чудо-зелье"}
    ),
    "какие мне льготы положены": Parsed("benefits.query"),
    "отложи на десять минут": Parsed("reminder.snooze", {"duration_s": 600}),
}


def parse(text: str, lang: str) -> Parsed:
    return PARSES.get(text, Parsed("unknown", {}, 0.1))


def example(lang: str, intent: str) -> str:
    return f"<{intent}>"


@pytest.fixture
def clock() -> ManualClock:
    # 05:15 UTC is 10:15 in Perm (UTC+5).
    return ManualClock(datetime(2026, 11, 23, 5, 15, tzinfo=UTC))


@pytest.fixture
def dialog(clock: ManualClock) -> DialogManager:
    return DialogManager(DialogParams(timezone="Asia/Yekaterinburg"), clock, parse, example)


def said(actions: list[PublishIntent | Say]) -> list[str]:
    return [action.text for action in actions if isinstance(action, Say)]


def intents(actions: list[PublishIntent | Say]) -> list[str]:
    return [action.name for action in actions if isinstance(action, PublishIntent)]


def test_time_and_date_are_answered_in_the_home_time_zone(dialog: DialogManager) -> None:
    assert said(dialog.on_heard("который час", "ru")) == ["Сейчас 10 часов 15 минут."]
    assert said(dialog.on_heard("какое сегодня число", "ru")) == ["Сегодня понедельник, 23 ноября."]


def test_unknown_gets_at_most_two_reasks_in_a_row(dialog: DialogManager) -> None:
    first = said(dialog.on_heard("бла бла", "ru"))
    second = said(dialog.on_heard("бла бла", "ru"))
    third = said(dialog.on_heard("бла бла", "ru"))
    assert len(first) == 1 and "например" in first[0] and "<time.now>" in first[0]
    assert len(second) == 1 and "помогите" in second[0]
    assert third == []
    dialog.on_heard("который час", "ru")  # understood: the count starts over
    assert len(said(dialog.on_heard("бла бла", "ru"))) == 1


def test_reask_count_resets_after_a_quiet_spell(dialog: DialogManager, clock: ManualClock) -> None:
    dialog.on_heard("бла", "ru")
    dialog.on_heard("бла", "ru")
    clock.advance(dialog.params.reask_reset_s)
    assert len(said(dialog.on_heard("бла", "ru"))) == 1


def test_repeat_says_the_last_utterance_slower(dialog: DialogManager) -> None:
    dialog.on_said("Пора принять лекарство: эналаприл.", "ru", Priority.REMINDER)
    actions = dialog.on_heard("что", "ru")
    repeat = next(action for action in actions if isinstance(action, Say))
    assert repeat.text == "Пора принять лекарство: эналаприл."
    assert repeat.rate_scale < 1.0


def test_low_asr_confidence_is_not_understood(dialog: DialogManager) -> None:
    actions = dialog.on_heard("помогите", "ru", asr_confidence=0.1)
    assert intents(actions) == ["unknown"]


def test_urgent_floor_forwards_everything_to_the_guardian(
    dialog: DialogManager, clock: ManualClock
) -> None:
    dialog.on_said("Вам нужна помощь? Скажите: да или нет.", "ru", Priority.URGENT)
    assert dialog.on_heard("да", "ru") == [PublishIntent("yes", {}, "да", "ru", 0.95)]
    # no re-ask and no own repeat while the guardian asks: it repeats its own question
    assert said(dialog.on_heard("бла", "ru")) == []
    assert said(dialog.on_heard("что", "ru")) == []
    clock.advance(dialog.params.urgent_floor_s)
    dialog.tick()
    assert not dialog.has_urgent_floor


def test_during_a_video_call_only_ending_it_and_help_go_on(dialog: DialogManager) -> None:
    dialog.on_call(True)
    assert dialog.on_heard("который час", "ru") == []  # said to the doctor, not the robot
    assert dialog.on_heard("бла", "ru") == []  # no re-ask over the call
    assert dialog.on_heard("напомни в девять принять эналаприл", "ru") == []
    assert dialog.pending_intent is None
    assert [a.name for a in dialog.on_heard("помогите", "ru") if isinstance(a, PublishIntent)] == [
        "help.emergency"
    ]
    assert dialog.on_heard("закончить", "ru") == [
        PublishIntent("call.end", {}, "закончить", "ru", 0.95)
    ]
    dialog.on_call(False)
    assert said(dialog.on_heard("который час", "ru")) == ["Сейчас 10 часов 15 минут."]


def test_guardian_closing_sentence_ends_the_floor(dialog: DialogManager) -> None:
    dialog.on_said("Вам нужна помощь?", "ru", Priority.URGENT)
    dialog.on_said("Хорошо. Если понадобится помощь, скажите: помогите.", "ru", Priority.NORMAL)
    assert not dialog.has_urgent_floor


def test_reminder_creation_waits_for_yes(dialog: DialogManager) -> None:
    asked = dialog.on_heard("напомни в девять принять эналаприл", "ru")
    assert intents(asked) == []
    assert said(asked) == ["Напомнить вам в 9 часов ровно: принять эналаприл? Скажите: да или нет."]
    confirmed = dialog.on_heard("да", "ru")
    assert confirmed == [
        PublishIntent(
            "reminder.create",
            {"time": "09:00", "medicine": "эналаприл", "confirmed": True},
            "напомни в девять принять эналаприл",
            "ru",
            0.95,
        )
    ]
    assert dialog.pending_intent is None


def test_no_cancels_a_pending_change(dialog: DialogManager) -> None:
    dialog.on_heard("напомни в девять принять эналаприл", "ru")
    actions = dialog.on_heard("нет", "ru")
    assert "reminder.create" not in intents(actions)
    assert said(actions) == ["Хорошо, не буду."]


def test_missing_time_is_asked_for_first(dialog: DialogManager) -> None:
    assert "Во сколько" in said(dialog.on_heard("напомни про врача", "ru"))[0]
    question = said(dialog.on_heard("в десять", "ru"))
    assert question == ["Напомнить вам в 10 часов ровно: врач? Скажите: да или нет."]
    assert intents(dialog.on_heard("да", "ru")) == ["reminder.create"]


def test_help_is_never_held_by_a_pending_question(dialog: DialogManager) -> None:
    dialog.on_heard("напомни в девять принять эналаприл", "ru")
    assert intents(dialog.on_heard("помогите", "ru")) == ["help.emergency"]
    assert dialog.pending_intent is None


def test_unanswered_confirmation_expires(dialog: DialogManager, clock: ManualClock) -> None:
    dialog.on_heard("напомни в девять принять эналаприл", "ru")
    clock.advance(dialog.params.confirmation_timeout_s)
    dialog.tick()
    assert dialog.pending_intent is None
    assert intents(dialog.on_heard("да", "ru")) == ["yes"]


def test_unknown_medicine_is_refused_by_name(dialog: DialogManager) -> None:
    actions = dialog.on_heard("напомни принять чудо-зелье в девять", "ru")
    assert intents(actions) == []
    assert "«чудо-зелье»" in said(actions)[0]


def test_yes_after_a_reminder_acknowledges_it(dialog: DialogManager, clock: ManualClock) -> None:
    dialog.on_reminder_due("med-1@2026-11-23T03:00:00Z", "med-1")
    ack = dialog.on_heard("да", "ru")
    assert intents(ack) == ["reminder.ack"]
    assert isinstance(ack[0], PublishIntent)
    assert ack[0].slots["occurrence_id"] == "med-1@2026-11-23T03:00:00Z"
    # once acknowledged, a later "yes" is just "yes"
    assert intents(dialog.on_heard("да", "ru")) == ["yes"]


def test_reminder_context_expires(dialog: DialogManager, clock: ManualClock) -> None:
    dialog.on_reminder_due("med-1@x", "med-1")
    clock.advance(dialog.params.reminder_context_s)
    assert intents(dialog.on_heard("да", "ru")) == ["yes"]


def test_snooze_names_the_occurrence_being_asked_about(dialog: DialogManager) -> None:
    dialog.on_reminder_due("med-1@x", "med-1")
    actions = dialog.on_heard("отложи на десять минут", "ru")
    assert isinstance(actions[0], PublishIntent)
    assert actions[0].slots == {"duration_s": 600, "occurrence_id": "med-1@x"}


def test_unsupported_intent_is_said_honestly(clock: ManualClock) -> None:
    params = DialogParams(unsupported_intents=["benefits.query"])
    dialog = DialogManager(params, clock, parse, example)
    actions = dialog.on_heard("какие мне льготы положены", "ru")
    assert intents(actions) == []
    assert said(actions) == ["Простите, этого я пока не умею."]


def test_english_answers(clock: ManualClock) -> None:
    dialog = DialogManager(DialogParams(timezone="Europe/London"), clock, parse, example)
    assert said(dialog.on_heard("который час", "en")) == ["It is 5:15 in the morning."]


def test_an_interview_question_gets_the_next_answer_unchanged(
    dialog: DialogManager, clock: ManualClock
) -> None:
    dialog.on_said("В каком году вы родились?", "ru", Priority.NORMAL, expects_answer=True)
    assert said(dialog.on_heard("что", "ru")) == ["В каком году вы родились?"]
    answer = dialog.on_heard("бла бла", "ru")  # "1950" is no intent: no re-ask, passed on
    assert intents(answer) == ["unknown"] and said(answer) == []
    assert len(said(dialog.on_heard("бла бла", "ru"))) == 1  # answered: normal rules again


def test_an_interview_question_expires(dialog: DialogManager, clock: ManualClock) -> None:
    dialog.on_said("В каком году вы родились?", "ru", Priority.NORMAL, expects_answer=True)
    clock.advance(dialog.params.answer_floor_s)
    assert len(said(dialog.on_heard("бла бла", "ru"))) == 1


def test_an_utterance_another_node_answers_gets_no_reask(clock: ManualClock) -> None:
    def complaint(text: str, lang: str) -> bool:
        return "жалоб" in text

    dialog = DialogManager(DialogParams(), clock, parse, example, handled_elsewhere=complaint)
    actions = dialog.on_heard("у меня жалоба", "ru")
    assert intents(actions) == ["unknown"] and said(actions) == []
    assert len(said(dialog.on_heard("бла бла", "ru"))) == 1
