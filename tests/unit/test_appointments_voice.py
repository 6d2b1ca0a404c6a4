"""The visits conversation core on a ManualClock: booking, rating, complaints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from benefits.visits import (
    AppointmentsConfigError,
    Say,
    SendEvent,
    VisitsConversation,
    VisitsParams,
    VisitsState,
    parse_appointments_config,
    words,
)
from homecare.clock import ManualClock

# 05:00 UTC is 10:00 in Perm, Monday 23 November 2026.
START = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
IVANOVA = {"id": "sp1", "name": "Мария Иванова", "role": "social_worker"}
PETROV = {"id": "sp2", "name": "Пётр Петров", "role": "Врач-терапевт"}


def slot(
    slot_id: str, starts_at: str, specialist: dict[str, str] = IVANOVA, **more: Any
) -> dict[str, Any]:
    return {
        "slot_id": slot_id, "specialist": specialist, "agency": "КЦСОН Перми",
        "starts_at": starts_at, "duration_min": 30, "mode": "in_person",
        "place": "улица Ленина, 5", **more,
    }  # fmt: skip


def visit(
    appointment_id: str, slot_id: str, starts_at: str, status: str, **more: Any
) -> dict[str, Any]:
    base = slot(slot_id, starts_at)
    return {**base, "appointment_id": appointment_id, "status": status, "rated": False, **more}


FREE = [
    slot("s0", "2026-11-23T10:30:00+05:00"),  # too soon to get there
    slot("s3", "2026-11-25T09:00:00+05:00"),
    slot("s1", "2026-11-24T10:00:00+05:00"),
    slot("s2", "2026-11-24T11:30:00+05:00", PETROV, mode="video", place=""),
    slot("s4", "2026-11-26T14:00:00+05:00"),
    slot("s5", "2026-11-27T14:00:00+05:00"),
]


def config(
    free: list[dict[str, Any]] | None = None, booked: list[dict[str, Any]] | None = None
) -> Any:
    return parse_appointments_config(
        {"timezone": "Asia/Yekaterinburg", "free_slots": FREE if free is None else free,
         "appointments": booked or []}
    )  # fmt: skip


class Talk:
    def __init__(self, **params: Any) -> None:
        self.clock = ManualClock(START)
        self.core = VisitsConversation(VisitsParams(**params), self.clock)
        self.said: list[Say] = []
        self.events: list[SendEvent] = []

    def take(self, actions: list[Any]) -> None:
        for action in actions:
            (self.said if isinstance(action, Say) else self.events).append(action)

    def config(self, cfg: Any) -> None:
        self.take(self.core.set_config(cfg))

    def book(self, **slots: object) -> None:
        self.take(self.core.book({**slots, "confirmed": True}, "запиши меня на приём", "ru"))

    def hear(self, text: str, name: str = "unknown") -> None:
        self.take(self.core.on_intent(name, {}, text, "ru"))

    def tick(self) -> None:
        self.take(self.core.tick())

    def silence(self) -> None:
        self.clock.advance(41)
        self.tick()

    @property
    def last(self) -> Say:
        return self.said[-1]

    def event(self, kind: str) -> dict[str, object]:
        [found] = [e for e in self.events if e.type == kind]
        return found.fields


@pytest.fixture
def talk() -> Talk:
    made = Talk()
    made.config(config())
    return made


# -- booking -----------------------------------------------------------------------------


def test_offers_the_earliest_free_slot_for_the_role(talk: Talk) -> None:
    talk.book(role="social_worker", what="к социальному работнику")
    assert talk.last.expects_answer
    assert talk.last.text == (
        "Есть свободное время: завтра, в 10 часов ровно. Социальный работник Мария Иванова. "
        "Адрес: улица Ленина, 5. Записать? Скажите: да, нет или другое время."
    )
    assert talk.events == []


def test_a_doctor_by_video(talk: Talk) -> None:
    talk.book(role="doctor", what="к врачу")
    assert (
        "завтра, в 11 часов 30 минут. Врач-терапевт Пётр Петров. По видеосвязи." in talk.last.text
    )


def test_words_without_a_role_pick_the_specialist(talk: Talk) -> None:
    talk.book(what="к терапевту")
    assert "Пётр Петров" in talk.last.text


def test_another_time_offers_the_next_at_most_three(talk: Talk) -> None:
    talk.book(role="social_worker")
    talk.hear("а другое время есть?")
    assert talk.last.text.startswith("Другой вариант: среда, 25 ноября, в 9 часов ровно.")
    talk.hear("попозже")
    assert "четверг, 26 ноября, в 14 часов ровно" in talk.last.text
    talk.hear("другое")
    assert talk.event("appointment.request") == {
        "agency_id": "", "measure_ids": [], "note": "запиши меня на приём",
    }  # fmt: skip
    assert "Другого свободного времени я не нашёл" in talk.last.text
    assert not talk.core.active


def test_yes_books_and_the_confirmation_is_said_once(talk: Talk) -> None:
    talk.book(role="social_worker")
    talk.hear("да", "yes")
    assert talk.event("appointment.book") == {"slot_id": "s1"}
    assert talk.last.text == "Я отправил запрос. Я скажу, когда запись подтвердят."
    assert "s1" in talk.core.state.pending
    talk.said.clear()
    talk.config(config())  # the fleet has not handled it yet: the slot is still free
    assert talk.said == []
    booked = [visit("a1", "s1", "2026-11-24T10:00:00+05:00", "booked")]
    talk.config(config([f for f in FREE if f["slot_id"] != "s1"], booked))
    assert [s.text for s in talk.said] == [
        "Вы записаны: завтра, в 10 часов ровно. Социальный работник Мария Иванова. "
        "Адрес: улица Ленина, 5."
    ]
    talk.config(config([], booked))
    assert len(talk.said) == 1 and talk.core.state.pending == {}


def test_a_slot_taken_by_someone_else_is_said(talk: Talk) -> None:
    talk.book(role="social_worker")
    talk.hear("да", "yes")
    talk.config(config([f for f in FREE if f["slot_id"] != "s1"]))
    assert talk.last.text.startswith("Не получилось записать вас на завтра, в 10 часов ровно")
    assert not talk.last.expects_answer


def test_the_notice_waits_for_a_running_conversation(talk: Talk) -> None:
    talk.book(role="social_worker")
    talk.hear("да", "yes")
    talk.book(role="doctor")
    talk.config(config([f for f in FREE if f["slot_id"] != "s1"]))
    assert "Не получилось" not in talk.last.text
    talk.hear("нет", "no")
    talk.tick()
    assert talk.last.text.startswith("Не получилось")


def test_no_refuses(talk: Talk) -> None:
    talk.book(role="social_worker")
    talk.hear("нет", "no")
    assert talk.events == [] and talk.last.text.startswith("Хорошо, не записываю.")
    talk.hear("да", "yes")
    assert talk.events == []


def test_unclear_answer_is_asked_again_and_silence_declines(talk: Talk) -> None:
    talk.book(role="social_worker")
    talk.hear("м-м")
    assert talk.last.text == "Скажите: да, нет или другое время." and talk.last.expects_answer
    talk.silence()
    assert talk.last.text.startswith("Хорошо, не записываю.") and talk.events == []


def test_no_free_slot_asks_the_social_worker_to_call(talk: Talk) -> None:
    talk.take(talk.core.book({"role": "nurse", "confirmed": True}, "запиши к медсестре", "ru"))
    assert talk.event("appointment.request") == {
        "agency_id": "", "measure_ids": [], "note": "запиши к медсестре",
    }  # fmt: skip
    assert "Свободного времени для записи сейчас нет" in talk.last.text


def test_english_offer() -> None:
    talk = Talk()
    talk.config(config())
    talk.take(talk.core.book({"role": "social_worker"}, "book an appointment", "en"))
    assert talk.last.text.startswith("I found a free time: tomorrow, at 10 o'clock in the morning.")
    assert talk.last.text.endswith("Say: yes, no, or another time.")


# -- rating ------------------------------------------------------------------------------


def rated_talk(status: str = "done", starts_at: str = "2026-11-23T08:00:00+05:00") -> Talk:
    talk = Talk()
    talk.config(config([], [visit("a1", "s9", starts_at, status)]))
    return talk


def test_rating_with_word_numbers_skips_and_a_comment() -> None:
    talk = rated_talk()
    talk.tick()
    intro, first = talk.said
    assert intro.text.startswith(
        "Недавно у вас был приём: Социальный работник Мария Иванова, сегодня, в 8 часов ровно."
    )
    assert "от одного до пяти" in intro.text and not intro.expects_answer
    assert first.expects_answer and "Как быстро вы получили услугу?" in first.text
    talk.hear("пять")
    assert "время ожидания" in talk.last.text
    talk.hear("4")
    assert "Вежливость" in talk.last.text
    talk.hear("ну на троечку")
    talk.hear("пропустить")
    assert talk.said[-2].text == "Хорошо, пропустим." and "Пятое" in talk.last.text
    talk.silence()
    assert talk.last.text.startswith("Спасибо. Хотите что-то добавить?")
    talk.hear("Всё было хорошо, спасибо")
    assert talk.event("service.rating") == {
        "appointment_id": "a1",
        "scores": {"time_to_service": 5, "waiting_time": 4, "courtesy": 3},
        "comment": "Всё было хорошо, спасибо",
    }
    assert talk.last.text == "Спасибо, я передал вашу оценку." and not talk.core.active
    talk.clock.advance(3600)
    talk.tick()
    assert len(talk.events) == 1  # asked once


def test_a_booked_visit_is_asked_about_after_its_end_plus_the_delay() -> None:
    talk = rated_talk("booked", "2026-11-23T09:15:00+05:00")  # ends 9:45; now 10:00
    talk.tick()
    assert talk.said == []
    talk.clock.advance(15 * 60)
    talk.tick()
    assert "Недавно у вас был приём" in talk.said[0].text


def test_no_rating_question_in_quiet_hours_or_right_after_someone_spoke() -> None:
    talk = Talk()
    talk.clock.advance(12 * 3600)  # 22:00 local
    talk.config(config([], [visit("a1", "s9", "2026-11-23T18:00:00+05:00", "done")]))
    talk.tick()
    assert talk.said == []
    talk.clock.advance(11 * 3600)  # 09:00 next day
    talk.core.floor_taken()
    talk.tick()
    assert talk.said == []
    talk.clock.advance(91)
    talk.tick()
    assert "Недавно у вас был приём" in talk.said[0].text


def test_rated_cancelled_or_old_visits_are_not_asked() -> None:
    talk = Talk()
    talk.config(
        config(
            [],
            [
                visit("a1", "s7", "2026-11-23T08:00:00+05:00", "done", rated=True),
                visit("a2", "s8", "2026-11-23T08:00:00+05:00", "cancelled"),
                visit("a3", "s9", "2026-11-01T08:00:00+05:00", "done"),
            ],
        )
    )
    talk.tick()
    assert talk.said == []


def test_a_low_score_offers_a_complaint() -> None:
    talk = rated_talk()
    talk.tick()
    for answer in ("два", "1", "пять", "пять", "пять"):
        talk.hear(answer)
    talk.hear("нет", "no")
    assert talk.event("service.rating")["comment"] == ""
    assert talk.last.text.startswith("Вы поставили низкую оценку. Хотите подать жалобу?")
    talk.hear("да", "yes")
    assert talk.last.text.startswith("На что вы жалуетесь?") and "Пятое: другое." in talk.last.text
    talk.hear("грубо со мной обращались")
    assert talk.last.text == "Расскажите, что случилось. Я запишу ваши слова."
    talk.hear("Она на меня накричала")
    assert talk.last.text == (
        "Я записал жалобу. Грубо обращались. Ваши слова: Она на меня накричала. "
        "Отправить? Скажите: да или нет."
    )
    talk.hear("да", "yes")
    assert talk.event("complaint.filed") == {
        "ground": "rude_treatment", "text": "Она на меня накричала", "appointment_id": "a1",
    }  # fmt: skip
    assert talk.last.text == "Жалоба отправлена. Ответ должны дать в течение 15 дней."


def test_two_silences_end_and_keep_the_scores_given() -> None:
    talk = rated_talk()
    talk.tick()
    talk.hear("пять")
    talk.silence()
    asked = len(talk.said)
    talk.silence()
    assert len(talk.said) == asked and not talk.core.active
    assert talk.event("service.rating")["scores"] == {"time_to_service": 5}


def test_the_guardian_interrupts_a_rating() -> None:
    talk = rated_talk()
    talk.tick()
    talk.hear("четыре")
    talk.take(talk.core.interrupt())
    assert talk.event("service.rating")["scores"] == {"time_to_service": 4}
    asked = len(talk.said)
    talk.hear("да", "yes")  # the answer to "do you need help?"
    assert len(talk.said) == asked and len(talk.events) == 1


def test_another_request_ends_the_rating() -> None:
    talk = rated_talk()
    talk.tick()
    talk.hear("какая погода", "weather.query")
    assert not talk.core.active and talk.events == []


# -- complaint ----------------------------------------------------------------------------


def test_i_want_to_complain_starts_a_complaint(talk: Talk) -> None:
    talk.hear("Я хочу пожаловаться")
    assert talk.last.expects_answer and talk.last.text.startswith("На что вы жалуетесь?")
    talk.hear("непонятно")
    assert talk.last.text.startswith("Скажите номер от одного до пяти")
    talk.hear("третье")
    talk.hear("не знаю")
    assert "Без описания" in talk.last.text
    talk.hear("нет", "no")
    assert talk.events == [] and talk.last.text == "Хорошо, не отправляю."


def test_a_complaint_by_number_is_filed_without_an_appointment(talk: Talk) -> None:
    talk.hear("у меня жалоба")
    talk.hear("второе")
    talk.hear("мне отказали в путёвке", "appointment.book")  # the story, whatever the NLU thinks
    talk.hear("да", "yes")
    assert talk.event("complaint.filed") == {
        "ground": "refusal", "text": "мне отказали в путёвке", "appointment_id": None,
    }  # fmt: skip


def test_not_complaining_is_not_a_complaint(talk: Talk) -> None:
    talk.hear("да я не жалуюсь")
    talk.hear("хочу пожаловаться", "weather.query")
    assert talk.said == []


def test_a_wipe_forgets_everything(talk: Talk) -> None:
    talk.book(role="social_worker")
    talk.hear("да", "yes")
    talk.core.forget()
    assert talk.core.state.pending == {} and talk.core.config.free_slots == ()


# -- words and the cfg --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("пять", 5), ("4", 4), ("на троечку", 3), ("пятёрка", 5), ("ставлю два", 2),
     ("очень плохо", 1), ("хорошо", 4), ("не очень", 3), ("десять", None), ("не помню", None)],
)  # fmt: skip
def test_scores_in_russian(text: str, value: int | None) -> None:
    assert words.score(text, "ru") == value


@pytest.mark.parametrize(
    ("text", "value"), [("five", 5), ("I'd say 3", 3), ("excellent", 5), ("very bad", 1)]
)
def test_scores_in_english(text: str, value: int) -> None:
    assert words.score(text, "en") == value


@pytest.mark.parametrize(
    ("text", "ground"),
    [("нарушили срок", "missed_deadline"), ("мне отказали", "refusal"),
     ("требовали лишние справки", "extra_documents_or_fees"), ("хамили", "rude_treatment"),
     ("другое", "other"), ("четвёртое", "rude_treatment"), ("what", None)],
)  # fmt: skip
def test_grounds(text: str, ground: str | None) -> None:
    assert words.ground(text, "ru") == ground


@pytest.mark.parametrize(
    ("text", "lang", "wanted"),
    [("хочу пожаловаться", "ru", True), ("хочу пожаловатся", "ru", True),
     ("у меня претензия к соцработнику", "ru", True), ("не жалуюсь", "ru", False),
     ("пожалуйста", "ru", False), ("I want to complain", "en", True),
     ("I have a complaint", "en", True), ("what a nice day", "en", False)],
)  # fmt: skip
def test_wanting_to_complain(text: str, lang: str, wanted: bool) -> None:
    assert words.wants_to_complain(text, lang) is wanted


@pytest.mark.parametrize(
    ("change", "named"),
    [({"starts_at": "2026-11-24T10:00:00"}, "free_slots.0.starts_at"),
     ({"mode": "phone"}, "free_slots.0.mode"), ({"duration_min": 0}, "free_slots.0.duration_min"),
     ({"specialist": {"name": "x"}}, "free_slots.0.specialist.id")],
)  # fmt: skip
def test_a_bad_config_names_the_field(change: dict[str, object], named: str) -> None:
    with pytest.raises(AppointmentsConfigError, match=named.replace(".", r"\.")):
        parse_appointments_config({"free_slots": [{**FREE[1], **change}]})


def test_a_bad_time_zone_or_shape_is_rejected() -> None:
    with pytest.raises(AppointmentsConfigError, match=r"timezone.*unknown time zone 'Mars/Base'"):
        parse_appointments_config({"timezone": "Mars/Base"})
    with pytest.raises(AppointmentsConfigError, match="expected a JSON object"):
        parse_appointments_config([])


def test_a_late_answer_to_an_old_request_waits_for_the_morning() -> None:
    talk = Talk()
    talk.config(config())
    talk.book(role="social_worker")
    talk.hear("да", "yes")
    talk.said.clear()
    talk.clock.advance(12 * 3600)  # 22:00: the fleet answers long after the request
    talk.config(config([], [visit("a1", "s1", "2026-11-24T10:00:00+05:00", "booked")]))
    talk.tick()
    assert talk.said == []
    talk.clock.advance(11 * 3600)  # 09:00
    talk.tick()
    assert [s.text[:12] for s in talk.said] == ["Вы записаны:"]


def test_a_fresh_request_is_answered_even_at_night() -> None:
    talk = Talk()
    talk.clock.advance(12 * 3600)  # 22:00
    talk.config(config([slot("s1", "2026-11-24T10:00:00+05:00")]))
    talk.book()
    talk.hear("да", "yes")
    talk.clock.advance(60)
    talk.config(config([], [visit("a1", "s1", "2026-11-24T10:00:00+05:00", "booked")]))
    assert talk.last.text.startswith("Вы записаны: завтра, в 10 часов ровно.")


def test_a_video_consultation_is_called_so() -> None:
    talk = Talk()
    talk.config(config([], [visit("a1", "s9", "2026-11-23T08:00:00+05:00", "done", mode="video")]))
    talk.tick()
    assert talk.said[0].text.startswith("Недавно у вас была консультация по видеосвязи:")


def test_a_booking_request_during_a_rating_keeps_the_scores() -> None:
    talk = rated_talk()
    talk.config(config(FREE, [visit("a1", "s9", "2026-11-23T08:00:00+05:00", "done")]))
    talk.tick()
    talk.hear("пять")
    talk.book(role="social_worker")
    assert talk.event("service.rating")["scores"] == {"time_to_service": 5}
    assert talk.last.text.startswith("Есть свободное время")


def test_the_state_survives_a_round_trip_and_bad_items_are_dropped() -> None:
    talk = Talk()
    talk.config(config())
    talk.book(role="social_worker")
    talk.hear("да", "yes")
    talk.core.state.asked_ratings.add("a7")
    data = talk.core.state.to_data()
    data["pending_bookings"].append({"slot": {"slot_id": "x"}, "lang": "ru"})
    data["pending_bookings"].append("junk")
    again = VisitsState.from_data(data)
    assert again.asked_ratings == {"a7"} and list(again.pending) == ["s1"]
    assert again.pending["s1"].requested_at == START
    assert VisitsState.from_data(["not", "an", "object"]) == VisitsState()


def test_an_unconfirmed_booking_intent_is_a_request_only_when_nothing_is_asked(talk: Talk) -> None:
    talk.take(talk.core.on_intent("appointment.book", {"role": "doctor"}, "к врачу", "ru"))
    assert "Пётр Петров" in talk.last.text
    talk.take(talk.core.on_intent("appointment.book", {}, "запиши к соцработнику", "ru"))
    assert talk.last.text.startswith("Хорошо, не записываю.")  # an answer, not a new request
