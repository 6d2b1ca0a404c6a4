"""What the guardian says, in Russian and English.

Short, plain sentences for older listeners. The fall questions ask exactly one
yes/no question ("Do you need help?"), so "yes" means help and "no" means fine.
The check-ins the home's devices ask for (night bed exit, daytime inactivity)
ask "Are you all right?", where "yes" means fine; the night-door question asks
both ("Is everything all right? Do you need help?"), so a bare "yes" or "no" to
it is ambiguous and the guardian asks the one clear question (ASK_AGAIN) instead.
The guardian keeps track of what "yes" means to the question asked last.
"""

from __future__ import annotations

from enum import StrEnum


class Phrase(StrEnum):
    ASK_AFTER_FALL = "ask_after_fall"
    ASK_AFTER_INACTIVITY = "ask_after_inactivity"
    ASK_AGAIN = "ask_again"
    HELP_CALLED = "help_called"
    HELP_ALREADY_CALLED = "help_already_called"
    REASSURE = "reassure"
    ALERT_DELIVERED = "alert_delivered"
    SERVICE_UNREACHABLE = "service_unreachable"
    GLAD_YOU_ARE_FINE = "glad_you_are_fine"
    FINE_BUT_HELP_COMING = "fine_but_help_coming"
    ASK_NIGHT_BED_EXIT = "ask_night_bed_exit"
    ASK_DAYTIME_INACTIVITY = "ask_daytime_inactivity"
    ASK_NIGHT_DOOR = "ask_night_door"
    BUTTON_HELP_CALLED = "button_help_called"


SUPPORTED_LANGUAGES = ("ru", "en")
FALLBACK_LANGUAGE = "en"

PHRASES: dict[str, dict[Phrase, str]] = {
    "ru": {
        Phrase.ASK_AFTER_FALL: "Похоже, вы упали. Вам нужна помощь? Скажите: да или нет.",
        Phrase.ASK_AFTER_INACTIVITY: (
            "Вы давно не двигаетесь. Вам нужна помощь? Скажите: да или нет."
        ),
        Phrase.ASK_AGAIN: (
            "Вам нужна помощь? Скажите: да или нет. Если не ответите, я вызову помощь."
        ),
        Phrase.HELP_CALLED: "Я вызываю помощь. Оставайтесь на месте. Я рядом с вами.",
        Phrase.HELP_ALREADY_CALLED: "Помощь уже вызвана. Я рядом с вами.",
        Phrase.REASSURE: "Помощь вызвана. Я рядом с вами.",
        Phrase.ALERT_DELIVERED: "Ваш вызов дошёл до службы. Помощь в пути. Я рядом с вами.",
        Phrase.SERVICE_UNREACHABLE: (
            "Сейчас не получается связаться со службой. Я продолжаю пытаться."
        ),
        Phrase.GLAD_YOU_ARE_FINE: "Хорошо. Если понадобится помощь, скажите: помогите.",
        Phrase.FINE_BUT_HELP_COMING: (
            "Хорошо, что вам лучше. Помощь уже вызвана, к вам всё равно заглянут."
        ),
        Phrase.ASK_NIGHT_BED_EXIT: "Вы встали ночью и ещё не вернулись. У вас всё в порядке?",
        Phrase.ASK_DAYTIME_INACTIVITY: "Я давно не вижу движения дома. У вас всё хорошо?",
        Phrase.ASK_NIGHT_DOOR: "Дверь открылась. Всё в порядке? Вам нужна помощь?",
        Phrase.BUTTON_HELP_CALLED: (
            "Вы нажали тревожную кнопку. Я вызываю помощь. Оставайтесь на месте. Я рядом с вами."
        ),
    },
    "en": {
        Phrase.ASK_AFTER_FALL: "It looks like you fell. Do you need help? Please say yes or no.",
        Phrase.ASK_AFTER_INACTIVITY: (
            "You have not moved for a while. Do you need help? Please say yes or no."
        ),
        Phrase.ASK_AGAIN: (
            "Do you need help? Please say yes or no. If you do not answer, I will call for help."
        ),
        Phrase.HELP_CALLED: "I am calling for help. Please stay where you are. I am with you.",
        Phrase.HELP_ALREADY_CALLED: "Help has already been called. I am with you.",
        Phrase.REASSURE: "Help has been called. I am with you.",
        Phrase.ALERT_DELIVERED: (
            "Your call for help has reached the service. Help is on the way. I am with you."
        ),
        Phrase.SERVICE_UNREACHABLE: ("I cannot reach the service right now. I keep trying."),
        Phrase.GLAD_YOU_ARE_FINE: "All right. If you need help, just say: help.",
        Phrase.FINE_BUT_HELP_COMING: (
            "I am glad you feel better. Help was already called. Someone will still check on you."
        ),
        Phrase.ASK_NIGHT_BED_EXIT: (
            "You got up in the night and have not come back. Are you all right?"
        ),
        Phrase.ASK_DAYTIME_INACTIVITY: (
            "I have not seen any movement at home for a long time. Are you all right?"
        ),
        Phrase.ASK_NIGHT_DOOR: "The door opened. Is everything all right? Do you need help?",
        Phrase.BUTTON_HELP_CALLED: (
            "You pressed the emergency button. I am calling for help. "
            "Please stay where you are. I am with you."
        ),
    },
}


def phrase(key: Phrase, lang: str) -> str:
    """The sentence for `key` in `lang`, or in English when `lang` has no texts."""
    return PHRASES.get(lang, PHRASES[FALLBACK_LANGUAGE])[key]
