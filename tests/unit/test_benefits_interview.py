"""The benefits interview on a manual clock: only missing facts, bands, boundaries, consent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from benefits import Catalog, load_catalog
from benefits.errors import ProfileError
from benefits.facts import FACTS, Between
from benefits.interview import (
    Action,
    BenefitsInterview,
    InterviewParams,
    Say,
    SendEvent,
    benefit_names,
    find_measure,
)
from benefits.speech import QUESTIONS
from homecare.clock import ManualClock

ON = date(2026, 11, 23)
# 05:00 UTC is 10:00 in Perm, on 23 November 2026.
START = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
EVERYTHING_BUT_INCOME: dict[str, object] = {
    "birth_date": "1940-03-01",
    "region": "RU-PER",
    "disability_group": None,
    "receives_insurance_pension": True,
    "titles": [],
    "needs_help_at_home": True,
    "has_ipra": False,
    "receives_edv": False,
}


@pytest.fixture(scope="module")
def seed() -> Catalog:
    return load_catalog()


@dataclass
class Talk:
    """One resident talking to the interview; keeps everything said and sent."""

    interview: BenefitsInterview
    clock: ManualClock
    said: list[Say] = field(default_factory=list)
    events: list[SendEvent] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)  # facts asked, in order
    lang: str = "ru"

    def take(self, actions: list[Action]) -> list[Action]:
        for action in actions:
            if isinstance(action, SendEvent):
                self.events.append(action)
                continue
            self.said.append(action)
            fact = question_fact(action.text, self.lang)
            if fact is not None:
                assert action.expects_answer
                self.questions.append(fact)
        return actions

    def start(self) -> list[Action]:
        return self.take(self.interview.start(self.lang))

    def answer(self, text: str, intent: str = "unknown") -> list[Action]:
        return self.take(self.interview.on_intent(intent, text, self.lang))

    def wait(self, seconds: float) -> list[Action]:
        self.clock.advance(seconds)
        return self.take(self.interview.tick())

    def texts(self) -> str:
        return "\n".join(say.text for say in self.said)

    def last_question(self) -> str | None:
        return self.questions[-1] if self.questions else None


def question_fact(text: str, lang: str) -> str | None:
    index = 0 if lang == "ru" else 1
    for fact, pair in QUESTIONS.items():
        if text.startswith(pair[index].split("?")[0].split("{")[0]):
            return fact
    return None


def talk(catalog: Catalog, saved: Mapping[str, object] | None = None, lang: str = "ru") -> Talk:
    clock = ManualClock(START)
    interview = BenefitsInterview(InterviewParams(timezone="Asia/Yekaterinburg"), clock, catalog)
    if saved:
        interview.set_saved_profile(saved)
    return Talk(interview, clock, lang=lang)


YES_NO_INTENT = {"да": "yes", "нет": "no", "yes": "yes", "no": "no"}


def answer_all(conversation: Talk, replies: Mapping[str, str], default: str = "не знаю") -> None:
    """Answer every question from `replies` (by fact) until the interview stops asking."""
    for _ in range(20):
        if conversation.interview.phase.value != "asking":
            return
        reply = replies.get(conversation.last_question() or "", default)
        conversation.answer(reply, YES_NO_INTENT.get(reply, "unknown"))
    raise AssertionError("the interview never stopped asking")


# -- which questions -----------------------------------------------------------------


def test_with_nothing_known_at_most_seven_simple_questions(seed: Catalog) -> None:
    conversation = talk(seed)
    conversation.start()
    assert "не знаю" in conversation.said[0].text
    answer_all(conversation, {})
    assert 1 <= len(conversation.questions) <= 7
    assert len(set(conversation.questions)) == len(conversation.questions)
    assert conversation.questions[0] == "region"  # income bands depend on it
    assert "Скорее всего" not in conversation.texts()  # nothing known: nothing is likely
    assert "Нужно уточнить" in conversation.texts()


def test_only_missing_facts_that_matter_are_asked(seed: Catalog) -> None:
    conversation = talk(
        seed, {"birth_date": "1940-03-01", "region": "RU-PER", "disability_group": 2}
    )
    conversation.start()
    conversation.answer("да", "yes")  # the read-back is right
    answer_all(conversation, {})
    assert conversation.questions
    assert not {"birth_date", "region", "disability_group"} & set(conversation.questions)
    # Known adult age: whether the person is a disabled *child* no longer matters.
    assert "disabled_child" not in conversation.questions


def test_answers_settle_later_questions(seed: Catalog) -> None:
    conversation = talk(seed, {"region": "RU-PER"})
    conversation.start()
    conversation.answer("да", "yes")
    answer_all(conversation, {"birth_date": "1940", "disability_group": "нет"})
    # No group and an adult: the rehabilitation programme (it needs a disability) and the
    # disabled-child status no longer matter, so they are not asked.
    assert not {"has_ipra", "disabled_child"} & set(conversation.questions)


def test_max_questions_is_a_parameter(seed: Catalog) -> None:
    conversation = talk(seed)
    conversation.interview.params = conversation.interview.params.model_copy(
        update={"max_questions": 2}
    )
    conversation.start()
    answer_all(conversation, {})
    assert len(conversation.questions) == 2


def test_skip_words_and_a_second_failed_answer_move_on(seed: Catalog) -> None:
    conversation = talk(seed)
    conversation.start()
    assert conversation.last_question() == "region"
    conversation.answer("пропустить")
    assert conversation.said[-2].text == "Хорошо, пропустим."
    assert conversation.last_question() == "birth_date"
    conversation.answer("ну как сказать")  # not understood: asked once more, with an example
    assert conversation.last_question() == "birth_date"
    assert "например" in conversation.said[-1].text and conversation.said[-1].expects_answer
    conversation.answer("гм")
    assert conversation.last_question() != "birth_date"


def test_silence_skips_a_question_and_two_silences_end_quietly(seed: Catalog) -> None:
    conversation = talk(seed)
    conversation.start()
    assert conversation.wait(39) == []
    conversation.wait(2)
    assert conversation.said[-2].text == "Хорошо, пропустим."
    assert conversation.last_question() == "birth_date"
    assert conversation.wait(41) == []  # the second silence in a row: stop talking
    assert not conversation.interview.active


def test_cancel_ends_politely(seed: Catalog) -> None:
    conversation = talk(seed)
    conversation.start()
    conversation.answer("хватит", "cancel")
    assert "закончим" in conversation.said[-1].text
    assert not conversation.said[-1].expects_answer
    assert not conversation.interview.active
    assert conversation.answer("да", "yes") == []


def test_another_request_ends_the_interview_without_words(seed: Catalog) -> None:
    conversation = talk(seed)
    conversation.start()
    assert conversation.answer("который час", "time.now") == []
    assert not conversation.interview.active


# -- income bands ----------------------------------------------------------------------


def income_talk(seed: Catalog, reply: str) -> Talk:
    conversation = talk(seed, EVERYTHING_BUT_INCOME)
    conversation.start()
    conversation.answer("да", "yes")
    assert conversation.questions == ["per_capita_income_rub"]
    conversation.answer(reply)
    return conversation


def test_income_is_asked_as_bands_around_the_threshold(seed: Catalog) -> None:
    conversation = talk(seed, EVERYTHING_BUT_INCOME)
    conversation.start()
    conversation.answer("да", "yes")
    # 1.5 x 14 985 (Perm, 2026) = 22 477.50: bands in whole thousands on either side.
    assert "меньше 22 тысяч, от 22 до 23 тысяч или больше 23 тысяч" in conversation.said[-1].text


@pytest.mark.parametrize(
    ("reply", "where"),
    [
        ("меньше двадцати двух тысяч", "likely"),
        ("тысяч двадцать", "likely"),
        ("от двадцати двух до двадцати трёх", "check"),
        ("двадцать две с половиной тысячи", "check"),
        ("больше", "neither"),
        ("тридцать тысяч", "neither"),
    ],
)
def test_income_band_below_across_or_above_the_threshold(
    seed: Catalog, reply: str, where: str
) -> None:
    conversation = income_talk(seed, reply)
    text = conversation.texts()
    likely = next((s.text for s in conversation.said if s.text.startswith("Скорее всего")), "")
    check = next((s.text for s in conversation.said if s.text.startswith("Нужно уточнить")), "")
    free = "Бесплатное социальное обслуживание на дому"
    assert (free in likely) is (where == "likely")
    assert (free in check) is (where == "check")
    if where == "check":
        assert "решит доход на человека" in check
    assert "Социальное обслуживание на дому" in text  # the paid service fits either way


# -- birth year or age at the 80 boundary ------------------------------------------------

PENSIONER = {"region": "RU-PER", "receives_insurance_pension": True, "disability_group": None}


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ("1946", "check"),  # 79 or 80 today: never "likely"
        ("тысяча девятьсот сорок шестого", "check"),
        ("1945", "likely"),  # 80 or 81
        ("мне восемьдесят", "likely"),  # 80 today, whatever the birthday
        ("мне 79", "neither"),
        ("в сорок седьмом году", "neither"),
    ],
)
def test_year_or_age_at_the_80_boundary(seed: Catalog, reply: str, status: str) -> None:
    conversation = talk(seed, PENSIONER)
    conversation.start()
    conversation.answer("да", "yes")
    answer_all(conversation, {"birth_date": reply}, default="нет")
    assert "birth_date" in conversation.questions
    doubling = "Удвоенная фиксированная выплата к страховой пенсии"
    likely = next((s.text for s in conversation.said if s.text.startswith("Скорее всего")), "")
    check = next((s.text for s in conversation.said if s.text.startswith("Нужно уточнить")), "")
    assert (doubling in likely) is (status == "likely")
    assert (doubling in check) is (status == "check")
    if status == "check":
        assert "решит дата рождения" in check


# -- the answer, booking, consent ----------------------------------------------------------


def test_answer_names_the_agency_and_the_disclaimer_slowly_then_offers_booking(
    seed: Catalog,
) -> None:
    conversation = income_talk(seed, "меньше")
    texts = conversation.texts()
    assert "Куда обращаться: Министерство труда и социального развития Пермского края" in texts
    assert "в МФЦ" in texts
    assert "Решение принимает ведомство" in texts
    assert all(say.rate_scale == pytest.approx(0.9) for say in conversation.said)
    offer = conversation.said[-1]
    assert offer.expects_answer and "записать вас на приём" in offer.text
    assert "http" not in texts


def test_yes_to_booking_sends_an_appointment_request(seed: Catalog) -> None:
    conversation = income_talk(seed, "меньше")
    conversation.answer("да", "yes")
    [request] = conversation.events
    assert request.type == "appointment.request"
    assert request.fields == {
        "agency_id": "perm.minsoc",
        "measure_ids": ["ru.home_social_services", "ru.home_social_services_free"],
        "note": "",
    }
    assert "Социальный работник свяжется с вами" in conversation.texts()
    assert conversation.said[-1].text.startswith("Сохранить ваши ответы")


def test_consent_yes_saves_the_answers_as_said(seed: Catalog) -> None:
    conversation = income_talk(seed, "меньше")
    conversation.answer("нет", "no")  # no appointment
    assert conversation.events == []
    conversation.answer("да", "yes")
    [saved] = conversation.events
    assert saved.type == "benefits.profile"
    assert saved.fields["consent"] is True
    facts = saved.fields["facts"]
    assert isinstance(facts, dict)
    assert facts["per_capita_income_rub"] == {"below": 22000.0}
    assert facts["birth_date"] == "1940-03-01"
    assert not conversation.interview.active
    assert "расскажи про" in conversation.said[-1].text


def test_consent_no_sends_nothing_and_keeps_nothing(seed: Catalog) -> None:
    conversation = talk(seed)
    conversation.start()
    answer_all(conversation, {"birth_date": "1950"})
    while conversation.interview.active:
        conversation.answer("нет", "no")
    assert conversation.events == []
    assert conversation.interview.saved == {}
    assert "не сохраняю" in conversation.texts()


def test_silence_to_the_offers_means_no(seed: Catalog) -> None:
    conversation = income_talk(seed, "меньше")
    conversation.wait(41)
    conversation.answer("хм")  # an answer resets the silence count
    conversation.wait(41)
    assert conversation.events == []


# -- saved answers: read back, correct, delete ---------------------------------------------


def test_saved_answers_are_read_back_and_kept_on_yes(seed: Catalog) -> None:
    conversation = talk(
        seed, {"birth_date": {"from": "1946-01-01", "to": "1946-12-31"}, "disability_group": 2}
    )
    conversation.start()
    assert "год рождения: 1946" in conversation.said[0].text
    assert "группа инвалидности: вторая" in conversation.said[0].text
    assert conversation.said[-1].expects_answer and "удалить" in conversation.said[-1].text
    conversation.answer("да", "yes")
    assert conversation.last_question() not in ("birth_date", "disability_group")


def test_correct_asks_the_saved_facts_again(seed: Catalog) -> None:
    conversation = talk(seed, {"birth_date": "1946-05-01", "region": "RU-PER"})
    conversation.start()
    conversation.answer("исправить")
    assert "спрошу заново" in conversation.texts()
    assert conversation.last_question() == "region"
    conversation.answer("да", "yes")
    assert conversation.last_question() == "birth_date"


def test_saving_after_a_correction_keeps_what_was_not_asked_again(seed: Catalog) -> None:
    saved = {**EVERYTHING_BUT_INCOME, "per_capita_income_rub": {"below": 22000}}
    conversation = talk(seed, saved)
    conversation.interview.params = conversation.interview.params.model_copy(
        update={"max_questions": 2}
    )
    conversation.start()
    conversation.answer("исправить")
    assert conversation.questions == ["region"]
    conversation.answer("да", "yes")
    conversation.answer("не знаю")  # the second question, skipped: its old value goes
    skipped = conversation.questions[1]
    assert skipped != "disability_group"
    while conversation.interview.phase.value == "booking":
        conversation.answer("нет", "no")
    assert conversation.said[-1].text.startswith("Сохранить ваши ответы")
    conversation.answer("да", "yes")
    facts = conversation.events[-1].fields["facts"]
    assert isinstance(facts, dict)
    assert facts["region"] == "RU-PER"
    assert facts[skipped] is None  # the fleet merges: null forgets the old answer
    assert set(facts) == set(saved)
    assert skipped not in conversation.interview.saved


def test_delete_my_answers_forgets_them_and_tells_the_fleet(seed: Catalog) -> None:
    conversation = talk(seed, {"birth_date": "1946-05-01", "region": "RU-PER"})
    conversation.start()
    conversation.answer("удалите мои ответы")
    [event] = conversation.events
    assert (event.type, event.fields) == ("benefits.profile_deleted", {})
    assert "удалил ваши ответы" in conversation.said[-1].text
    assert conversation.interview.saved == {}
    assert not conversation.interview.active
    conversation.start()
    assert "Я помню" not in conversation.said[-2].text + conversation.said[-1].text


def test_delete_works_in_english_during_the_questions(seed: Catalog) -> None:
    conversation = talk(seed, lang="en")
    conversation.start()
    assert conversation.last_question() == "region"
    conversation.answer("please delete my answers")
    assert [event.type for event in conversation.events] == ["benefits.profile_deleted"]


def test_english_interview(seed: Catalog) -> None:
    conversation = talk(seed, EVERYTHING_BUT_INCOME, lang="en")
    conversation.start()
    assert "Is that right?" in conversation.said[-1].text
    conversation.answer("yes", "yes")
    assert "less than 22 thousand, 22 to 23 thousand or more than 23 thousand" in (
        conversation.said[-1].text
    )
    conversation.answer("twenty thousand")
    assert "You are likely entitled to these. " in conversation.texts()
    assert "Free social services at home" in conversation.texts()


def test_a_bad_saved_profile_is_refused(seed: Catalog) -> None:
    with pytest.raises(ProfileError, match="birth_date"):
        talk(seed, {"birth_date": "2030-01-01"})


def test_no_catalog_is_said_plainly() -> None:
    interview = BenefitsInterview(InterviewParams(), ManualClock(START), None)
    [say] = interview.start("ru")
    assert isinstance(say, Say) and "нет списка льгот" in say.text
    assert not interview.active


# -- explanations --------------------------------------------------------------------------


def explain(
    seed: Catalog, measure_id: str, text: str, saved: Mapping[str, object] | None = None
) -> str:
    conversation = talk(seed, saved)
    conversation.take(conversation.interview.explain(measure_id, text, "ru"))
    assert all(not say.expects_answer for say in conversation.said)
    return conversation.texts()


def test_explain_by_id_says_what_who_how_and_why(seed: Catalog) -> None:
    text = explain(
        seed,
        "ru.pension_fixed_doubling",
        "",
        {"birth_date": "1940-03-01", "receives_insurance_pension": True},
    )
    assert text.startswith("Удвоенная фиксированная выплата к страховой пенсии.")
    assert "скорее всего, положено" in text
    assert "Возраст не меньше 80 лет; у вас: 86 лет — выполнено" in text
    assert "Назначает: Отделение Социального фонда России по Пермскому краю" in text
    assert "Назначается автоматически" in text
    assert "Решение принимает ведомство" in text
    assert "http" not in text


def test_explain_by_words_finds_the_nearest_title(seed: Catalog) -> None:
    text = explain(seed, "", "компенсацию за жильё и коммунальные услуги инвалидам")
    assert text.startswith("Компенсация 50 % расходов на жильё")
    assert "пока неясно. Нужно знать: группа инвалидности" in text
    assert "Понадобятся: паспорт" in text
    assert "Заявление можно подать в МФЦ, через Госуслуги" in text


def test_explain_something_unknown_offers_an_example(seed: Catalog) -> None:
    text = explain(seed, "", "бесплатный проезд на луну")
    assert "не нашёл такую меру" in text and "ЕДВ" in text


def test_explain_ends_a_running_interview(seed: Catalog) -> None:
    conversation = talk(seed)
    conversation.start()
    conversation.take(conversation.interview.explain("ru.nsu", "", "ru"))
    assert not conversation.interview.active


def test_benefit_names_give_titles_and_abbreviations(seed: Catalog) -> None:
    names = benefit_names(seed, "ru")
    assert set(names) == set(seed.measures)
    assert "ЕДВ" in names["ru.edv_disabled"]
    assert (
        "Удвоенная фиксированная выплата к страховой пенсии" in names["ru.pension_fixed_doubling"]
    )
    assert "EDV" in benefit_names(seed, "en")["ru.edv_disabled"]
    assert find_measure(seed, "что такое едв", "ru") == "ru.edv_disabled"


def test_every_question_is_short_and_says_how_to_answer() -> None:
    for fact, (ru, en) in QUESTIONS.items():
        assert fact in FACTS
        for text in (ru, en):
            sentences = [part for part in text.replace("?", ".").split(".") if part.strip()]
            assert all(len(sentence.split()) <= 14 for sentence in sentences), text
            assert "Скажите" in text or "Можно" in text or "Say" in text or "say" in text


def test_between_is_what_a_year_gives() -> None:
    conversation = talk(load_catalog())
    conversation.start()
    conversation.answer("да", "yes")  # Perm
    conversation.answer("1946")
    session = conversation.interview._session
    assert session is not None
    assert session.answers["birth_date"] == Between(date(1946, 1, 1), date(1946, 12, 31))
