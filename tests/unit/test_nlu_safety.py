"""Safety phrases: calls for help are never missed, and a refusal of help is never an alarm."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from speech.nlu import MIN_CONFIDENCE, IntentParser

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALARM = {"help.emergency", "status.not_ok"}


@pytest.fixture(scope="module")
def ru() -> IntentParser:
    return IntentParser("ru")


@pytest.fixture(scope="module")
def en() -> IntentParser:
    return IntentParser("en")


@pytest.mark.parametrize(
    "text",
    [
        "помогите",
        "Помогите!",
        "помогит",  # ending lost
        "помагите",  # vowel misheard
        "ну помогите же",
        "я упала",
        "я упал",
        "упала не могу встать",
        "не могу встать",
        "не могу подняться",
        "вызовите скорую",
        "нет нет помогите",
        "мне плохо",
        "мне очень плохо",
        "сердце прихватило",
    ],
)
def test_russian_calls_for_help(ru: IntentParser, text: str) -> None:
    result = ru.parse(text, now=NOW)
    assert result.name in ALARM, result
    assert result.confidence >= MIN_CONFIDENCE


@pytest.mark.parametrize(
    "text",
    [
        "help",
        "help me please",
        "I fell",
        "i've fallen and i can't get up",
        "I can't get up",
        "call an ambulance",
        "call an ambulance, I'm not well",
        "no no help me",
        "I don't feel well",
        "um help",
    ],
)
def test_english_calls_for_help(en: IntentParser, text: str) -> None:
    result = en.parse(text, now=NOW)
    assert result.name in ALARM, result
    assert result.confidence >= MIN_CONFIDENCE


@pytest.mark.parametrize(
    "text",
    [
        "не надо помощи",
        "мне не нужна помощь",
        "помощь не нужна",
        "не надо скорую",
        "скорую не надо",
        "я не упала",
        "мне не плохо",
        "всё хорошо",
        "всё хорошо, не надо никого вызывать",
        "я в порядке",
        "нормально всё",
    ],
)
def test_russian_refusals_are_not_alarms(ru: IntentParser, text: str) -> None:
    result = ru.parse(text, now=NOW)
    assert result.name == "status.ok", result
    assert result.confidence >= MIN_CONFIDENCE


@pytest.mark.parametrize(
    "text",
    [
        "I don't need help",
        "I do not need any help",
        "no help needed",
        "I didn't fall",
        "don't call an ambulance",
        "I'm fine",
        "I'm okay, thank you",
        "everything is fine",
    ],
)
def test_english_refusals_are_not_alarms(en: IntentParser, text: str) -> None:
    result = en.parse(text, now=NOW)
    assert result.name == "status.ok", result
    assert result.confidence >= MIN_CONFIDENCE


@pytest.mark.parametrize(
    ("lang", "text", "intent"),
    [
        ("ru", "да", "yes"),
        ("ru", "ага", "yes"),
        ("ru", "угу", "yes"),
        ("ru", "нет-нет", "no"),
        ("ru", "неа", "no"),
        ("ru", "да ладно", "yes"),
        ("ru", "нет спасибо", "no"),  # "спасибо" is not "спаси"
        ("en", "yeah", "yes"),
        ("en", "uh huh", "yes"),
        ("en", "nope", "no"),
        ("en", "no no", "no"),
    ],
)
def test_short_answers(
    ru: IntentParser, en: IntentParser, lang: str, text: str, intent: str
) -> None:
    result = (ru if lang == "ru" else en).parse(text, now=NOW)
    assert result.name == intent
    assert result.confidence >= MIN_CONFIDENCE


def test_not_taken_is_not_an_acknowledgement(ru: IntentParser, en: IntentParser) -> None:
    assert ru.parse("я ещё не выпила таблетку", now=NOW).name != "reminder.ack"
    assert en.parse("I haven't taken my pills", now=NOW).name != "reminder.ack"


def test_emergency_numbers(ru: IntentParser, en: IntentParser) -> None:
    assert ru.parse("позвони 112", now=NOW).name == "help.emergency"
    assert ru.parse("позвони в скорую", now=NOW).name == "help.emergency"
    assert en.parse("call 911", now=NOW).name == "help.emergency"
