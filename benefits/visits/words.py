"""Reading the resident's answers about visits (ru, en): scores, grounds, "another time".

Everything here takes the words as heard (ASR text) and returns what was
meant, or None when it cannot tell: the conversation then asks once more.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from benefits.answers import normalise, numbers_in

# In the order they are read aloud (a number said picks one).
GROUNDS = ("missed_deadline", "refusal", "extra_documents_or_fees", "rude_treatment", "other")


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "ru"


def _has(words: str, phrases: Sequence[str]) -> bool:
    padded = f" {words} "
    return any(f" {phrase}" in padded for phrase in phrases)


# School grades and plain judgements (word starts); checked before numbers because
# "пятерка" would read as 5 anyway but "на троечку" would not read at all.
_GRADES: dict[str, tuple[tuple[str, int], ...]] = {
    "ru": (
        ("очень плохо", 1), ("ужасн", 1), ("отвратительн", 1), ("единиц", 1), ("кол", 1),
        ("двойк", 2), ("двоечк", 2), ("плохо", 2), ("тройк", 3), ("троечк", 3), ("трояк", 3),
        ("удовлетворительн", 3), ("не очень хорошо", 3), ("не очень", 3), ("неплохо", 4),
        ("не плохо", 4), ("так себе", 3), ("средне", 3), ("нормально", 3),
        ("четверк", 4), ("четверочк", 4), ("хорошо", 4), ("пятерк", 5), ("пятерочк", 5),
        ("отлично", 5), ("очень хорошо", 5), ("прекрасно", 5), ("замечательно", 5),
    ),
    "en": (
        ("very bad", 1), ("terrible", 1), ("awful", 1), ("bad", 2), ("poor", 2),
        ("okay", 3), ("ok", 3), ("so so", 3), ("average", 3), ("fine", 3), ("good", 4),
        ("very good", 5), ("excellent", 5), ("great", 5), ("perfect", 5),
    ),
}  # fmt: skip


def score(text: str, lang: str) -> int | None:
    """A 1-5 score: 'пять', '4', 'на троечку', 'four out of five', 'excellent'."""
    lang = _lang(lang)
    words = normalise(text)
    for number in numbers_in(words, lang):
        if 1 <= number <= 5:
            return number
    # The longest matching phrase wins ("очень плохо" over "плохо").
    found = [(len(p), value) for p, value in _GRADES[lang] if _has(words, (p,))]
    if found:
        return max(found)[1]
    return None


_OTHER_TIME = {
    "ru": ("друг", "позже", "попозже", "пораньше", "раньше", "не подходит", "не могу",
           "следующ", "еще вариант", "иное", "иначе"),
    "en": ("other", "another", "later", "earlier", "different", "next", "doesnt suit",
           "does not suit", "cant make", "cannot make"),
}  # fmt: skip


def wants_other_time(text: str, lang: str) -> bool:
    """'другое время', 'а попозже можно?', 'another time', 'later'."""
    return _has(normalise(text), _OTHER_TIME[_lang(lang)])


_COMPLAIN = {
    "ru": ("пожаловат", "пожалуюсь", "жалоб", "жалуюсь", "претензи"),
    "en": ("complain", "complaint", "grievance"),
}
_NOT = {"ru": ("не",), "en": ("not", "dont", "never")}


def wants_to_complain(text: str, lang: str) -> bool:
    """'хочу пожаловаться', 'у меня жалоба', 'I want to complain'; not 'не жалуюсь'.

    A word near a stem (ASR slips such as 'пожаловатся') counts too.
    """
    lang = _lang(lang)
    words = normalise(text).split()
    for index, word in enumerate(words):
        for stem in _COMPLAIN[lang]:
            near = len(word) >= len(stem) >= 6 and fuzz.ratio(word[: len(stem)], stem) >= 80
            if word.startswith(stem) or near:
                return index == 0 or words[index - 1] not in _NOT[lang]
    return False


_GROUND_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "ru": {
        "missed_deadline": ("срок", "долго", "затяну", "просроч", "не вовремя", "ждал", "ждала",
                            "тянут"),
        "refusal": ("отказ", "отказа", "отказал", "не приня", "не стал", "не дал"),
        "extra_documents_or_fees": ("документ", "справк", "бумаг", "деньг", "плат", "заплат",
                                    "взятк", "лишн", "требова"),
        "rude_treatment": ("груб", "хамств", "хамил", "хамк", "хам ", "накрича", "кричал",
                           "невежлив", "обращени", "обидел"),
        "other": ("друго", "иное", "что то еще", "другое"),
    },
    "en": {
        "missed_deadline": ("deadline", "late", "too long", "delay", "waited", "slow"),
        "refusal": ("refus", "turned me down", "rejected", "denied", "said no"),
        "extra_documents_or_fees": ("document", "paper", "fee", "money", "pay", "charge",
                                    "bribe", "extra"),
        "rude_treatment": ("rude", "shout", "yelled", "impolite", "disrespect", "treated"),
        "other": ("other", "something else", "different"),
    },
}  # fmt: skip


def ground(text: str, lang: str) -> str | None:
    """The complaint's ground from the words, or its number in the list read aloud."""
    lang = _lang(lang)
    words = normalise(text)
    hits = [name for name, stems in _GROUND_WORDS[lang].items() if _has(words, stems)]
    specific = [name for name in hits if name != "other"]
    if len(specific) == 1:
        return specific[0]
    if not specific and hits:
        return "other"
    if not hits:
        numbers = [n for n in numbers_in(words, lang) if 1 <= n <= len(GROUNDS)]
        if len(numbers) == 1:
            return GROUNDS[numbers[0] - 1]
    return None  # nothing, or two grounds at once: ask again


_NOTHING_TO_ADD = {
    "ru": ("нет", "нечего", "ничего", "не хочу", "не надо", "всё", "все", "хватит", "достаточно"),
    "en": ("no", "nothing", "thats all", "that is all", "none", "nope"),
}


def nothing_to_add(text: str, lang: str) -> bool:
    """'нет', 'ничего', 'nothing': the comment question answered with no comment."""
    words = normalise(text)
    if not words:
        return True
    short = len(words.split()) <= 3  # a longer sentence with "нет" in it is a comment
    return short and _has(words, _NOTHING_TO_ADD[_lang(lang)])
