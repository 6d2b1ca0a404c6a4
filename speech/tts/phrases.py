"""What the speech output itself says when the resident changes how it speaks.

Said at the new setting, so the resident hears the difference at once.
"""

from __future__ import annotations

from speech.tts.voice import ProfileChange, normalise_language

CONFIRMATIONS: dict[str, dict[ProfileChange, str]] = {
    "ru": {
        ProfileChange.SLOWER: "Хорошо, буду говорить медленнее.",
        ProfileChange.ALREADY_SLOWEST: "Медленнее уже нельзя: это самая медленная речь.",
        ProfileChange.LOUDER: "Хорошо, буду говорить громче.",
        ProfileChange.ALREADY_LOUDEST: "Громче уже нельзя: это самая большая громкость.",
    },
    "en": {
        ProfileChange.SLOWER: "All right, I will speak more slowly.",
        ProfileChange.ALREADY_SLOWEST: "I cannot speak any slower: this is my slowest.",
        ProfileChange.LOUDER: "All right, I will speak louder.",
        ProfileChange.ALREADY_LOUDEST: "I cannot speak any louder: this is the highest volume.",
    },
}


def confirmation(change: ProfileChange, lang: str) -> str:
    return CONFIRMATIONS[normalise_language(lang)][change]
