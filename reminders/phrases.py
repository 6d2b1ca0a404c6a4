"""What the reminder engine says, in Russian and English.

For older listeners: short sentences, the medicine name and dose set apart by
commas (a synthetic voice pauses there), times said as words a person would
use ("в 8 часов 30 минут", "at half past 8 in the morning"), and every
announcement ends by saying what to answer.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

SUPPORTED_LANGUAGES = ("ru", "en")
FALLBACK_LANGUAGE = "en"


class Phrase(StrEnum):
    ANNOUNCE_MEDICATION = "announce_medication"
    ANNOUNCE_APPOINTMENT = "announce_appointment"
    ANNOUNCE_CUSTOM = "announce_custom"
    REPROMPT_MEDICATION = "reprompt_medication"
    REPROMPT_OTHER = "reprompt_other"
    LATE = "late"
    ACKNOWLEDGED = "acknowledged"
    NOTHING_TO_ACKNOWLEDGE = "nothing_to_acknowledge"
    SNOOZED = "snoozed"
    NOTHING_TO_SNOOZE = "nothing_to_snooze"
    SNOOZE_LIMIT = "snooze_limit"
    MISSED_CAREGIVER_TOLD = "missed_caregiver_told"
    UPCOMING = "upcoming"
    UPCOMING_NONE = "upcoming_none"
    APPOINTMENTS_NONE = "appointments_none"
    CREATED = "created"
    REFUSE_PAST = "refuse_past"
    REFUSE_UNKNOWN_MEDICINE = "refuse_unknown_medicine"
    REFUSE_BAD_TIME = "refuse_bad_time"
    REFUSE_NOTHING_SAID = "refuse_nothing_said"


PHRASES: dict[str, dict[Phrase, str]] = {
    "ru": {
        Phrase.ANNOUNCE_MEDICATION: (
            "Пора принять лекарство: {medicine}{dose}. Скажите «выпила» или «выпил», когда примете."
        ),
        Phrase.ANNOUNCE_APPOINTMENT: "Напоминаю: {title}, {when}.",
        Phrase.ANNOUNCE_CUSTOM: "Напоминаю: {title}.",
        Phrase.REPROMPT_MEDICATION: (
            "Вы приняли лекарство: {medicine}{dose}? Скажите «выпила» или «выпил», когда примете."
        ),
        Phrase.REPROMPT_OTHER: "Напоминаю ещё раз: {title}. Скажите «хорошо», если услышали.",
        Phrase.LATE: "Это напоминание с опозданием: оно было назначено на {time}.",
        Phrase.ACKNOWLEDGED: "Хорошо, отмечено. Спасибо.",
        Phrase.NOTHING_TO_ACKNOWLEDGE: "Сейчас нечего отмечать: напоминаний нет.",
        Phrase.SNOOZED: "Хорошо, напомню через {duration}.",
        Phrase.NOTHING_TO_SNOOZE: "Сейчас нечего откладывать: напоминаний нет.",
        Phrase.SNOOZE_LIMIT: "Больше откладывать нельзя. Пожалуйста, не забудьте: {title}.",
        Phrase.MISSED_CAREGIVER_TOLD: (
            "Я не услышал ответа. Я сообщу вашему помощнику, что лекарство, {medicine}, не принято."
        ),
        Phrase.UPCOMING: "Ваши напоминания: {items}.",
        Phrase.UPCOMING_NONE: "Напоминаний на ближайшее время нет.",
        Phrase.APPOINTMENTS_NONE: "Записей на ближайшее время нет.",
        Phrase.CREATED: "Хорошо, напомню {when}: {title}.",
        Phrase.REFUSE_PAST: "Это время уже прошло: {time}. Назовите время позже.",
        Phrase.REFUSE_UNKNOWN_MEDICINE: (
            "Я не знаю лекарства «{medicine}». Его должен добавить в расписание ваш помощник."
        ),
        Phrase.REFUSE_BAD_TIME: "Я не понял время. Скажите, например: напомни в восемь вечера.",
        Phrase.REFUSE_NOTHING_SAID: "Я не понял, о чём напомнить. Скажите, например: "
        "напомни в пять часов позвонить дочери.",
    },
    "en": {
        Phrase.ANNOUNCE_MEDICATION: (
            "It is time to take your medicine: {medicine}{dose}. Say «I took it» when you have."
        ),
        Phrase.ANNOUNCE_APPOINTMENT: "A reminder: {title}, {when}.",
        Phrase.ANNOUNCE_CUSTOM: "A reminder: {title}.",
        Phrase.REPROMPT_MEDICATION: (
            "Have you taken your medicine: {medicine}{dose}? Say «I took it» when you have."
        ),
        Phrase.REPROMPT_OTHER: "A reminder again: {title}. Say «okay» if you heard me.",
        Phrase.LATE: "This reminder is late: it was due {time}.",
        Phrase.ACKNOWLEDGED: "Good, noted. Thank you.",
        Phrase.NOTHING_TO_ACKNOWLEDGE: "There is no reminder to confirm right now.",
        Phrase.SNOOZED: "All right, I will remind you in {duration}.",
        Phrase.NOTHING_TO_SNOOZE: "There is no reminder to put off right now.",
        Phrase.SNOOZE_LIMIT: "I cannot put it off again. Please remember: {title}.",
        Phrase.MISSED_CAREGIVER_TOLD: (
            "I did not hear an answer. I will tell your caregiver that {medicine} was not taken."
        ),
        Phrase.UPCOMING: "Your reminders: {items}.",
        Phrase.UPCOMING_NONE: "You have no reminders coming up.",
        Phrase.APPOINTMENTS_NONE: "You have no appointments coming up.",
        Phrase.CREATED: "All right, I will remind you {when}: {title}.",
        Phrase.REFUSE_PAST: "That time has already passed: {time}. Please say a later time.",
        Phrase.REFUSE_UNKNOWN_MEDICINE: (
            "I do not know the medicine «{medicine}». "
            "Your caregiver needs to add it to the schedule."
        ),
        Phrase.REFUSE_BAD_TIME: (
            "I did not understand the time. Say, for example: remind me at eight in the evening."
        ),
        Phrase.REFUSE_NOTHING_SAID: (
            "I did not understand what to remind you of. Say, for example: "
            "remind me at five to call my daughter."
        ),
    },
}


def language(lang: str) -> str:
    return lang if lang in PHRASES else FALLBACK_LANGUAGE


def phrase(key: Phrase, lang: str, **values: str) -> str:
    return PHRASES[language(lang)][key].format(**values)


def dose_part(dose: str) -> str:
    """ ", одна таблетка": the dose after a comma, so the voice pauses after the medicine name."""
    return f", {dose}" if dose.strip() else ""


def plural_ru(number: int, one: str, few: str, many: str) -> str:
    """The Russian noun form for `number`: 1 час, 2 часа, 5 часов, 21 час."""
    if number % 10 == 1 and number % 100 != 11:
        return one
    if number % 10 in (2, 3, 4) and number % 100 not in (12, 13, 14):
        return few
    return many


def spoken_clock(moment: datetime, lang: str) -> str:
    """The time of day as words: "8 часов 30 минут", "half past 8 in the morning"."""
    hour, minute = moment.hour, moment.minute
    if language(lang) == "ru":
        hours = f"{hour} {plural_ru(hour, 'час', 'часа', 'часов')}"
        if minute == 0:
            return hours
        return f"{hours} {minute} {plural_ru(minute, 'минута', 'минуты', 'минут')}"
    if (hour, minute) in _SPECIAL_EN:
        return _SPECIAL_EN[hour, minute]
    part = "in the morning" if hour < 12 else "in the afternoon" if hour < 18 else "in the evening"
    pattern = _MINUTES_EN.get(minute, "{hour} {minute:02d}")
    return f"{pattern.format(hour=hour % 12 or 12, minute=minute)} {part}"


def spoken_when(moment: datetime, today: date, lang: str) -> str:
    """ "сегодня в 8 часов", "tomorrow at 10 o'clock in the morning", "on 15 March at ..."."""
    clock = spoken_clock(moment, lang)
    days = (moment.date() - today).days
    if language(lang) == "ru":
        day = _RELATIVE_DAYS_RU.get(days, f"{moment.day} {_MONTHS_RU[moment.month - 1]}")
        return f"{day} в {clock}"
    day = _RELATIVE_DAYS_EN.get(days, f"on {moment.day} {moment.strftime('%B')}")
    at = clock if clock in _SPECIAL_EN.values() else f"at {clock}"
    return f"{day} {at}"


def spoken_duration(seconds: float, lang: str) -> str:
    """ "10 минут", "1 час 30 минут", "an hour", "10 minutes"."""
    minutes_total = max(1, round(seconds / 60))
    hours, minutes = divmod(minutes_total, 60)
    if language(lang) == "ru":
        parts = []
        if hours:
            parts.append(
                "час" if hours == 1 else f"{hours} {plural_ru(hours, 'час', 'часа', 'часов')}"
            )
        if minutes:
            parts.append(f"{minutes} {plural_ru(minutes, 'минуту', 'минуты', 'минут')}")
        return " ".join(parts)
    english = []
    if hours:
        english.append("an hour" if hours == 1 else f"{hours} hours")
    if minutes:
        english.append("1 minute" if minutes == 1 else f"{minutes} minutes")
    return " and ".join(english)


_SPECIAL_EN = {(0, 0): "midnight", (12, 0): "noon"}
_MINUTES_EN = {0: "{hour} o'clock", 15: "a quarter past {hour}", 30: "half past {hour}"}
_RELATIVE_DAYS_RU = {0: "сегодня", 1: "завтра", -1: "вчера"}
_RELATIVE_DAYS_EN = {0: "today", 1: "tomorrow", -1: "yesterday"}
_MONTHS_RU = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
