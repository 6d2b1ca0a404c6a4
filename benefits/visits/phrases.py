"""What the robot says about visits (ru, en): short sentences, each question says how to answer.

The robot speaks of itself in the masculine in Russian, as the dialog does ("я не понял").
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from benefits.answers import normalise
from benefits.visits.model import Appointment, FreeSlot
from speech.dialog.spoken_time import say_clock_time, say_date

PHRASES: dict[str, tuple[str, str]] = {
    "offer": (
        "Есть свободное время: {visit}. Записать? Скажите: да, нет или другое время.",
        "I found a free time: {visit}. Shall I book it? Say: yes, no, or another time.",
    ),
    "offer_next": ("Другой вариант: {visit}. Записать? Скажите: да, нет или другое время.",
                   "Another choice: {visit}. Shall I book it? Say: yes, no, or another time."),
    "reask_offer": ("Скажите: да, нет или другое время.", "Please say: yes, no, or another time."),
    "booking_sent": ("Я отправил запрос. Я скажу, когда запись подтвердят.",
                     "I have sent the request. I will tell you when the booking is confirmed."),
    "booking_declined": (
        "Хорошо, не записываю. Если передумаете, скажите: запиши меня на приём.",
        "All right, I will not book it. If you change your mind, say: book an appointment.",
    ),
    "no_slots": (
        "Свободного времени для записи сейчас нет. Я попрошу социального работника позвонить вам.",
        "There is no free time to book right now. I will ask your social worker to call you.",
    ),
    "no_more_slots": (
        "Другого свободного времени я не нашёл. Я попрошу социального работника позвонить вам.",
        "I found no other free time. I will ask your social worker to call you.",
    ),
    "booked": ("Вы записаны: {visit}.", "You are booked: {visit}."),
    "not_booked": (
        "Не получилось записать вас на {when}: это время уже заняли. "
        "Скажите: запиши меня на приём, и я предложу другое.",
        "I could not book {when}: that time has been taken. "
        "Say: book an appointment, and I will offer another.",
    ),
    "video": ("По видеосвязи", "By video call"),
    "place": ("Адрес: {place}", "Address: {place}"),
    "at_agency": ("Место: {agency}", "Place: {agency}"),
    "rating_intro": (
        "Недавно у вас был приём: {who}, {when}. Оцените его, пожалуйста, от одного до пяти. "
        "Пять — отлично, один — очень плохо. Если не хотите отвечать, скажите: пропустить.",
        "You recently had an appointment: {who}, {when}. Please rate it from one to five. "
        "Five is excellent, one is very bad. If you do not want to answer, say: skip.",
    ),
    "rating_intro_video": (
        "Недавно у вас была консультация по видеосвязи: {who}, {when}. Оцените её, пожалуйста, "
        "от одного до пяти. Пять — отлично, один — очень плохо. Если не хотите отвечать, "
        "скажите: пропустить.",
        "You recently had a video consultation: {who}, {when}. Please rate it from one to five. "
        "Five is excellent, one is very bad. If you do not want to answer, say: skip.",
    ),
    "time_to_service": (
        "Первое. Как быстро вы получили услугу? Скажите число от одного до пяти.",
        "First. How quickly did you get the service? Say a number from one to five.",
    ),
    "waiting_time": (
        "Второе. Как вы оцените время ожидания в очереди? Скажите число от одного до пяти.",
        "Second. How was the waiting time? Say a number from one to five.",
    ),
    "courtesy": (
        "Третье. Вежливость и знания специалиста. Скажите число от одного до пяти.",
        "Third. The specialist's courtesy and knowledge. Say a number from one to five.",
    ),
    "comfort": (
        "Четвёртое. Удобство помещения или связи. Скажите число от одного до пяти.",
        "Fourth. The comfort of the place or of the call. Say a number from one to five.",
    ),
    "information": (
        "Пятое. Легко ли было всё узнать и понять? Скажите число от одного до пяти.",
        "Fifth. Was it easy to find and understand the information? Say a number from one to five.",
    ),
    "reask_score": ("Скажите число от одного до пяти. Или скажите: пропустить.",
                    "Say a number from one to five. Or say: skip."),
    "skipped": ("Хорошо, пропустим.", "All right, let us skip it."),
    "comment": ("Спасибо. Хотите что-то добавить? Скажите своими словами или скажите: нет.",
                "Thank you. Would you like to add anything? Say it in your own words, or say: no."),
    "rating_sent": ("Спасибо, я передал вашу оценку.", "Thank you, I have passed on your rating."),
    "rating_empty": ("Хорошо, спасибо.", "All right, thank you."),
    "offer_complaint": (
        "Вы поставили низкую оценку. Хотите подать жалобу? Скажите: да или нет.",
        "You gave a low score. Would you like to make a complaint? Say: yes or no.",
    ),
    "ground": (
        "На что вы жалуетесь? Скажите номер или слова. Первое: нарушили срок. Второе: отказали. "
        "Третье: требовали лишние документы или деньги. Четвёртое: грубо обращались. "
        "Пятое: другое.",
        "What is the complaint about? Say the number or the words. One: a deadline was missed. "
        "Two: they refused. Three: they asked for extra documents or money. "
        "Four: rude treatment. Five: something else.",
    ),
    "reask_ground": ("Скажите номер от одного до пяти. Например: второе, отказали.",
                     "Say a number from one to five. For example: two, they refused."),
    "story": ("Расскажите, что случилось. Я запишу ваши слова.",
              "Tell me what happened. I will write down your words."),
    "readback": ("Я записал жалобу. {ground}. {story}. Отправить? Скажите: да или нет.",
                 "I have written the complaint. {ground}. {story}. Send it? Say: yes or no."),
    "your_words": ("Ваши слова: {text}", "Your words: {text}"),
    "no_words": ("Без описания", "No description"),
    "reask_yes_no": ("Скажите, пожалуйста: да или нет.", "Please say yes or no."),
    "complaint_filed": ("Жалоба отправлена. Ответ должны дать в течение 15 дней.",
                        "The complaint has been sent. They must answer within 15 days."),
    "complaint_not_sent": ("Хорошо, не отправляю.", "All right, I will not send it."),
    "cancelled": ("Хорошо, закончим.", "All right, let us stop."),
}  # fmt: skip

GROUND_WORDS: dict[str, tuple[str, str]] = {
    "missed_deadline": ("Нарушили срок", "A deadline was missed"),
    "refusal": ("Отказали", "They refused"),
    "extra_documents_or_fees": ("Требовали лишние документы или деньги",
                                "They asked for extra documents or money"),
    "rude_treatment": ("Грубо обращались", "Rude treatment"),
    "other": ("Другое", "Something else"),
}  # fmt: skip

ROLE_WORDS: dict[str, tuple[str, str]] = {
    "social_worker": ("социальный работник", "social worker"),
    "doctor": ("врач", "doctor"),
    "nurse": ("медсестра", "nurse"),
    "caregiver": ("сиделка", "caregiver"),
    "lawyer": ("юрист", "lawyer"),
    "psychologist": ("психолог", "psychologist"),
}


def phrase(key: str, lang: str, **values: object) -> str:
    ru, en = PHRASES[key]
    return (ru if lang == "ru" else en).format(**values)


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "ru" else pair[1]


def role_words(role: str, lang: str) -> str:
    key = normalise(role).replace(" ", "_")
    return pick(ROLE_WORDS[key], lang) if key in ROLE_WORDS else role


def who(visit: FreeSlot | Appointment, lang: str) -> str:
    """'Социальный работник Мария Иванова'."""
    role = role_words(visit.specialist.role, lang)
    said = " ".join(part for part in (role, visit.specialist.name) if part)
    return said[:1].upper() + said[1:] if said else visit.agency


def where(visit: FreeSlot | Appointment, lang: str) -> str:
    if visit.mode == "video":
        return pick(PHRASES["video"], lang)
    if visit.place:
        return phrase("place", lang, place=visit.place)
    return phrase("at_agency", lang, agency=visit.agency) if visit.agency else ""


def when(moment: datetime, now: datetime, lang: str) -> str:
    """'завтра, в 10 часов ровно' / 'понедельник, 30 ноября, в 9 часов 30 минут' (local times)."""
    days = (moment.date() - now.date()).days
    at = say_clock_time(moment, lang)
    if days == 0:
        day = "сегодня" if lang == "ru" else "today"
    elif days == 1:
        day = "завтра" if lang == "ru" else "tomorrow"
    elif days == -1:
        day = "вчера" if lang == "ru" else "yesterday"
    else:
        day = say_date(moment.date(), lang)
    return f"{day}, в {at}" if lang == "ru" else f"{day}, at {at}"


def describe(visit: FreeSlot | Appointment, zone: ZoneInfo, now: datetime, lang: str) -> str:
    """When, who and where, as sentences without the blank ones."""
    local = visit.starts_at.astimezone(zone)
    parts = (when(local, now.astimezone(zone), lang), who(visit, lang), where(visit, lang))
    return ". ".join(part for part in parts if part)
