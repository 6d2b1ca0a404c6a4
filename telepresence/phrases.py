"""What the robot says about a video consultation, in the resident's language (ru, en).

Short sentences, the caller named first: many residents hear poorly, and the
question must say who is calling before it asks anything.
"""

from __future__ import annotations

import enum


class Phrase(enum.StrEnum):
    RING = "ring"
    RING_UNNAMED = "ring_unnamed"
    DECLINED = "declined"
    CAMERA_ON = "camera_on"
    ENDED = "ended"
    CANCELLED = "cancelled"
    COULD_NOT_CONNECT = "could_not_connect"
    REQUEST_SENT = "request_sent"


LANGUAGES = ("ru", "en")

_PHRASES: dict[str, dict[Phrase, str]] = {
    "ru": {
        Phrase.RING: "{name}, {role}, звонит вам по видеосвязи. Принять звонок?",
        Phrase.RING_UNNAMED: "{name} звонит вам по видеосвязи. Принять звонок?",
        Phrase.DECLINED: "Хорошо, я не буду принимать звонок.",
        Phrase.CAMERA_ON: (
            "Камера включена: вас видит и слышит {name}. Чтобы закончить, скажите «закончить»."
        ),
        Phrase.ENDED: "Звонок завершён, камера выключена.",
        Phrase.CANCELLED: "Звонок отменён.",
        Phrase.COULD_NOT_CONNECT: (
            "Не удалось установить связь со специалистом. Попробуем позже. Камера выключена."
        ),
        Phrase.REQUEST_SENT: "Я передала вашу просьбу. Специалист позвонит вам.",
    },
    "en": {
        Phrase.RING: "{name}, {role}, is calling you by video. Accept the call?",
        Phrase.RING_UNNAMED: "{name} is calling you by video. Accept the call?",
        Phrase.DECLINED: "All right, I will not take the call.",
        Phrase.CAMERA_ON: (
            "The camera is on: {name} can see and hear you. To finish, say “end the call”."
        ),
        Phrase.ENDED: "The call has ended, the camera is off.",
        Phrase.CANCELLED: "The call was cancelled.",
        Phrase.COULD_NOT_CONNECT: (
            "I could not connect you with the specialist. We will try again later. "
            "The camera is off."
        ),
        Phrase.REQUEST_SENT: "I have passed on your request. A specialist will call you.",
    },
}

# Said in place of a missing name: the question must still say who is calling.
_SOMEONE = {"ru": "Специалист", "en": "A specialist"}


def phrase(which: Phrase, lang: str, **fields: str) -> str:
    """The sentence in `lang` (anything but ru falls back to en) with `fields` filled in."""
    table = _PHRASES["ru" if lang == "ru" else "en"]
    return table[which].format(**fields)


def ring_question(name: str, role: str, lang: str) -> str:
    """ "<name>, <role>, is calling you by video. Accept the call?", blanks left out."""
    name, role = name.strip(), role.strip()
    if name and role:
        return phrase(Phrase.RING, lang, name=name, role=role)
    who = name or (role[:1].upper() + role[1:]) or _SOMEONE["ru" if lang == "ru" else "en"]
    return phrase(Phrase.RING_UNNAMED, lang, name=who)


def camera_on(name: str, lang: str) -> str:
    who = name.strip() or _SOMEONE["ru" if lang == "ru" else "en"].lower()
    return phrase(Phrase.CAMERA_ON, lang, name=who)
