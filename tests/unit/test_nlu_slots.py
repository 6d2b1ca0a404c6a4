"""Intent parser slots: medicines (fuzzy, unknown), times, dates, durations, roles, benefits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reminders.model import Medicine
from speech.nlu import (
    INTENT_NAMES,
    IntentParser,
    NluError,
    ParsedIntent,
    examples,
    grammar_phrases,
    vocabulary,
)

# Monday 2 March 2026, 09:00 UTC = 12:00 in Moscow.
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MEDICINES = [
    Medicine(name="Эналаприл", aliases=["от давления"], dose="10 мг"),
    Medicine(name="Аспирин"),
    Medicine(name="Metformin", aliases=["sugar pill"]),
]
BENEFITS = {
    "housing_subsidy": ["субсидия на оплату жилья", "субсидия на жку", "housing subsidy"],
    "travel_pass": ["льготный проезд", "travel pass"],
}


@pytest.fixture(scope="module")
def ru() -> IntentParser:
    return IntentParser("ru", medicines=MEDICINES, benefits=BENEFITS)


@pytest.fixture(scope="module")
def en() -> IntentParser:
    return IntentParser("en", medicines=MEDICINES, benefits=BENEFITS)


def test_result_shape(ru: IntentParser) -> None:
    result = ru.parse("Я выпила таблетку!", now=NOW)
    assert isinstance(result, ParsedIntent)
    assert result.name == "reminder.ack"
    assert result.confidence >= 0.9
    assert result.text == "Я выпила таблетку!"
    assert result.lang == "ru"
    assert result.as_dict() == {"intent": "reminder.ack", "slots": {}, "confidence": 0.95}


@pytest.mark.parametrize(
    ("text", "medicine"),
    [
        ("я выпила эналаприл", "Эналаприл"),
        ("выпил эналаприла", "Эналаприл"),  # inflected
        ("приняла эналоприл", "Эналаприл"),  # misheard vowel
        ("выпила таблетку от давления", "Эналаприл"),  # alias
        ("аспирин выпил", "Аспирин"),
    ],
)
def test_known_medicine_is_matched_fuzzily(ru: IntentParser, text: str, medicine: str) -> None:
    result = ru.parse(text, now=NOW)
    assert result.name == "reminder.ack"
    assert result.slots.get("medicine") == medicine


def test_english_medicine_and_alias(en: IntentParser) -> None:
    assert en.parse("I took my metformin", now=NOW).slots == {"medicine": "Metformin"}
    assert en.parse("i took the sugar pill", now=NOW).slots == {"medicine": "Metformin"}


@pytest.mark.parametrize(
    ("parser_lang", "text", "heard"),
    [
        ("ru", "я выпил парацетамол", "парацетамол"),
        ("ru", "выпила но-шпу", "но шпу"),
        ("en", "I took my ibuprofen", "ibuprofen"),
    ],
)
def test_unknown_medicine_is_reported(
    ru: IntentParser, en: IntentParser, parser_lang: str, text: str, heard: str
) -> None:
    parser = ru if parser_lang == "ru" else en
    result = parser.parse(text, now=NOW)
    assert result.name == "reminder.ack"
    assert result.slots.get("medicine_unknown") == heard
    assert "medicine" not in result.slots


def test_generic_pill_is_not_an_unknown_medicine(ru: IntentParser, en: IntentParser) -> None:
    assert ru.parse("выпила таблетку", now=NOW).slots == {}
    assert en.parse("i took my pills", now=NOW).slots == {}


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("напомни в восемь утра выпить таблетку", "08:00"),
        ("напомни в восемь вечера позвонить сыну", "20:00"),
        ("напомни в 21:30 закапать глаза", "21:30"),
        ("напомни в девять тридцать утра про врача", "09:30"),
        ("напомни в три часа дня про пирог", "15:00"),
        ("напомни в одиннадцать ночи выключить свет", "23:00"),
        ("напомни в полдень пообедать", "12:00"),
    ],
)
def test_russian_times(ru: IntentParser, text: str, time: str) -> None:
    result = ru.parse(text, now=NOW)
    assert result.name == "reminder.create"
    assert result.slots["time"] == time


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("remind me at eight am to take my pill", "08:00"),
        ("remind me at 7:45 pm to call my son", "19:45"),
        ("remind me at nine in the evening to lock the door", "21:00"),
        ("remind me at noon to eat", "12:00"),
        ("remind me at twelve am to sleep", "00:00"),
    ],
)
def test_english_times(en: IntentParser, text: str, time: str) -> None:
    result = en.parse(text, now=NOW)
    assert result.name == "reminder.create"
    assert result.slots["time"] == time


def test_reminder_create_has_date_time_and_what(ru: IntentParser, en: IntentParser) -> None:
    result = ru.parse("Напомни мне завтра в восемь утра позвонить дочке", now=NOW)
    assert result.slots == {"date": "2026-03-03", "time": "08:00", "what": "позвонить дочке"}
    result = en.parse("remind me on friday at 6 pm to call my sister", now=NOW)
    assert result.slots == {"date": "2026-03-06", "time": "18:00", "what": "call my sister"}


def test_dates_follow_the_residents_time_zone(ru: IntentParser) -> None:
    late_evening_utc = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # already 3 March in Moscow
    moscow = ru.parse("напомни завтра в девять утра", now=late_evening_utc)
    assert moscow.slots["date"] == "2026-03-04"
    lisbon = ru.parse(
        "напомни завтра в девять утра", now=late_evening_utc, timezone="Europe/Lisbon"
    )
    assert lisbon.slots["date"] == "2026-03-03"


def test_without_a_clock_a_relative_date_is_not_guessed(ru: IntentParser) -> None:
    result = ru.parse("напомни завтра в восемь утра купить хлеб")
    assert "date" not in result.slots
    assert result.slots["date_text"] == "завтра"
    assert result.slots["time"] == "08:00"


@pytest.mark.parametrize(
    ("lang", "text", "seconds"),
    [
        ("ru", "напомни через десять минут", 600),
        ("ru", "давай через полчаса", 1800),
        ("ru", "напомни через час", 3600),
        ("ru", "отложи на двадцать пять минут", 1500),
        ("ru", "подожди минут пятнадцать", 900),
        ("ru", "через полтора часа напомни", 5400),
        ("en", "remind me in ten minutes", 600),
        ("en", "give me half an hour", 1800),
        ("en", "snooze for an hour", 3600),
        ("en", "remind me again in 5 minutes", 300),
    ],
)
def test_snooze_durations(
    ru: IntentParser, en: IntentParser, lang: str, text: str, seconds: int
) -> None:
    result = (ru if lang == "ru" else en).parse(text, now=NOW)
    assert result.name == "reminder.snooze"
    assert result.slots["duration_s"] == seconds


def test_snooze_without_a_duration_has_none(ru: IntentParser) -> None:
    result = ru.parse("напомни попозже", now=NOW)
    assert result.name == "reminder.snooze"
    assert "duration_s" not in result.slots


def test_time_ago_is_not_a_snooze(ru: IntentParser) -> None:
    result = ru.parse("я выпила таблетку полчаса назад", now=NOW)
    assert result.name == "reminder.ack"
    assert "duration_s" not in result.slots


def test_which_hour_is_not_a_duration(ru: IntentParser) -> None:
    result = ru.parse("который час", now=NOW)
    assert result.name == "time.now"
    assert result.slots == {}


@pytest.mark.parametrize(
    ("lang", "text", "role"),
    [
        ("ru", "позвони дочке", "daughter"),
        ("ru", "набери сына", "son"),
        ("ru", "соедини меня с соцработником", "social_worker"),
        ("ru", "хочу поговорить с врачом", "doctor"),
        ("ru", "вызови медсестру", "nurse"),
        ("ru", "позвони оператору", "operator"),
        ("en", "call my daughter", "daughter"),
        ("en", "phone the social worker", "social_worker"),
        ("en", "i want to talk to my carer", "caregiver"),
        ("en", "connect me to the operator", "operator"),
    ],
)
def test_call_roles(ru: IntentParser, en: IntentParser, lang: str, text: str, role: str) -> None:
    result = (ru if lang == "ru" else en).parse(text, now=NOW)
    assert result.name == "call.request"
    assert result.slots == {"role": role}


def test_call_a_person_by_name(ru: IntentParser, en: IntentParser) -> None:
    assert ru.parse("Позвони Марии Ивановне", now=NOW).slots == {"person": "марии ивановне"}
    assert en.parse("call John", now=NOW).slots == {"person": "john"}


def test_known_benefit_is_explained(ru: IntentParser, en: IntentParser) -> None:
    result = ru.parse("расскажи про субсидию на оплату жилья", now=NOW)
    assert (result.name, result.slots) == ("benefits.explain", {"benefit": "housing_subsidy"})
    result = en.parse("tell me about the housing subsidy", now=NOW)
    assert (result.name, result.slots) == ("benefits.explain", {"benefit": "housing_subsidy"})
    # A question that names a known benefit is about that benefit.
    result = ru.parse("положен ли мне льготный проезд", now=NOW)
    assert (result.name, result.slots) == ("benefits.explain", {"benefit": "travel_pass"})


def test_unknown_benefit_keeps_the_words(ru: IntentParser) -> None:
    result = ru.parse("что такое ежемесячная денежная выплата", now=NOW)
    assert result.name == "benefits.explain"
    assert result.slots == {"benefit_text": "ежемесячная денежная выплата"}


def test_chatter_is_unknown_with_a_guess_below_the_threshold(ru: IntentParser) -> None:
    result = ru.parse("у меня кошка рыжая", now=NOW)
    assert result.name == "unknown"
    assert result.confidence < 0.5
    assert set(result.slots) <= {"guess"}


def test_empty_and_filler_only_input_is_unknown(ru: IntentParser) -> None:
    for text in ("", "   ", "ну", "...", "ну это самое"):
        result = ru.parse(text, now=NOW)
        assert (result.name, result.confidence, result.slots) == ("unknown", 0.0, {})


def test_misheard_endings_still_match_with_lower_confidence(ru: IntentParser) -> None:
    clean = ru.parse("я выпил таблетку", now=NOW)
    slurred = ru.parse("таблетк выпил", now=NOW)
    assert clean.name == slurred.name == "reminder.ack"
    assert 0.5 <= slurred.confidence < clean.confidence


def test_bad_language_time_zone_and_naive_now() -> None:
    with pytest.raises(NluError, match="unknown language 'de'"):
        IntentParser("de")
    parser = IntentParser("en")
    with pytest.raises(NluError, match="unknown time zone 'Mars/Olympus'"):
        parser.parse("help", now=NOW, timezone="Mars/Olympus")
    with pytest.raises(NluError, match="aware datetime"):
        parser.parse("help", now=datetime(2026, 3, 2, 9, 0))


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_grammar_phrases_and_vocabulary(lang: str) -> None:
    phrases = grammar_phrases(lang)
    assert 200 < len(phrases) <= 5000
    assert len(set(phrases)) == len(phrases)
    for phrase in phrases:
        assert phrase == phrase.lower().strip()
        assert not any(ch.isdigit() for ch in phrase), phrase
        assert not any(p in phrase.split() for p in ("xtime", "xdate", "xdur", "xmed")), phrase
    words = vocabulary(lang)
    assert words == {w for p in phrases for w in p.split()}
    assert ("помогите" if lang == "ru" else "help") in words


def test_grammar_uses_the_residents_medicines() -> None:
    phrases = grammar_phrases("ru", medicines=["Эналаприл"])
    assert any("эналаприл" in p.split() for p in phrases)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_intent_has_an_example_the_parser_understands(lang: str) -> None:
    parser = IntentParser(lang)
    for intent in INTENT_NAMES:
        example = examples(lang, intent)
        assert example
        if intent != "unknown":
            assert parser.parse(example, now=NOW).name == intent, (intent, example)
    with pytest.raises(NluError, match="no example"):
        examples(lang, "weather.today")


def test_appointment_keeps_the_specialist_and_date(ru: IntentParser) -> None:
    result = ru.parse("запишите меня к кардиологу на пятницу", now=NOW)
    assert result.name == "appointment.book"
    assert result.slots["date"] == "2026-03-06"
    result = ru.parse("запиши меня к кардиологу", now=NOW)
    assert result.slots == {"what": "кардиологу"}


def test_nonsense_numbers_are_not_slots(ru: IntentParser) -> None:
    assert "duration_s" not in ru.parse("напомни в 99 часов", now=NOW).slots
    assert "duration_s" not in ru.parse("отложи на 5000 минут", now=NOW).slots
    assert "time" not in ru.parse("напомни в 25:99 поесть", now=NOW).slots


def test_very_long_input_is_read_only_at_its_start(ru: IntentParser) -> None:
    result = ru.parse("помогите " + "бла " * 5000, now=NOW)
    assert result.name == "help.emergency"
