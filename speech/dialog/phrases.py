"""What the dialog manager itself says, in Russian and English.

Short sentences, one question at a time, the answer the robot expects named
in the question ("Скажите: да или нет"): older listeners do better when they
know what to say.
"""

from __future__ import annotations

from enum import StrEnum


class Line(StrEnum):
    TIME_NOW = "time_now"
    DATE_TODAY = "date_today"
    NOT_UNDERSTOOD = "not_understood"
    NOT_UNDERSTOOD_AGAIN = "not_understood_again"
    CONFIRM_REMINDER = "confirm_reminder"
    CONFIRM_CALL = "confirm_call"
    ASK_TIME = "ask_time"
    ASK_WHAT = "ask_what"
    CANCELLED = "cancelled"
    NOT_YET_SUPPORTED = "not_yet_supported"
    UNKNOWN_MEDICINE = "unknown_medicine"
    NOTHING_TO_REPEAT = "nothing_to_repeat"
    REMINDER_NOT_YET = "reminder_not_yet"


SUPPORTED_LANGUAGES = ("ru", "en")

LINES: dict[str, dict[Line, str]] = {
    "ru": {
        Line.TIME_NOW: "Сейчас {time}.",
        Line.DATE_TODAY: "Сегодня {date}.",
        Line.NOT_UNDERSTOOD: "Простите, я не понял. Скажите, например: «{example}».",
        Line.NOT_UNDERSTOOD_AGAIN: (
            "Я снова не понял. Можно сказать, например: «{example}». "
            "Если нужна помощь, скажите: помогите."
        ),
        Line.CONFIRM_REMINDER: "Напомнить вам в {time}: {what}? Скажите: да или нет.",
        Line.CONFIRM_CALL: "Позвать {who}? Скажите: да или нет.",
        Line.ASK_TIME: "Во сколько напомнить? Скажите, например: в девять утра.",
        Line.ASK_WHAT: "О чём напомнить? Скажите, например: принять таблетку.",
        Line.CANCELLED: "Хорошо, не буду.",
        Line.NOT_YET_SUPPORTED: "Простите, этого я пока не умею.",
        Line.UNKNOWN_MEDICINE: (
            "Я не знаю лекарства «{medicine}». Попросите вашего помощника добавить его."
        ),
        Line.NOTHING_TO_REPEAT: "Я ещё ничего не говорил.",
        Line.REMINDER_NOT_YET: "Хорошо, я напомню ещё раз чуть позже.",
    },
    "en": {
        Line.TIME_NOW: "It is {time}.",
        Line.DATE_TODAY: "Today is {date}.",
        Line.NOT_UNDERSTOOD: "Sorry, I did not understand. You can say, for example: {example}.",
        Line.NOT_UNDERSTOOD_AGAIN: (
            "Sorry, I still did not understand. You can say, for example: {example}. "
            "If you need help, say: help."
        ),
        Line.CONFIRM_REMINDER: "Shall I remind you at {time}: {what}? Please say yes or no.",
        Line.CONFIRM_CALL: "Shall I call {who}? Please say yes or no.",
        Line.ASK_TIME: "At what time? You can say, for example: at nine in the morning.",
        Line.ASK_WHAT: "What shall I remind you about? For example: to take my pills.",
        Line.CANCELLED: "All right, I won't.",
        Line.NOT_YET_SUPPORTED: "Sorry, I cannot do that yet.",
        Line.UNKNOWN_MEDICINE: (
            "I do not know the medicine {medicine}. Please ask your caregiver to add it."
        ),
        Line.NOTHING_TO_REPEAT: "I have not said anything yet.",
        Line.REMINDER_NOT_YET: "All right, I will remind you again a little later.",
    },
}

ROLE_NAMES: dict[str, dict[str, str]] = {
    "ru": {
        "social_worker": "социального работника",
        "doctor": "врача",
        "nurse": "медсестру",
        "caregiver": "помощника",
        "daughter": "дочь",
        "son": "сына",
        "operator": "оператора",
    },
    "en": {
        "social_worker": "your social worker",
        "doctor": "your doctor",
        "nurse": "the nurse",
        "caregiver": "your caregiver",
        "daughter": "your daughter",
        "son": "your son",
        "operator": "the operator",
    },
}


def line(lang: str, which: Line, **values: str) -> str:
    texts = LINES.get(lang, LINES["en"])
    return texts[which].format(**values)
