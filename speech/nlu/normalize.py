"""Text normalisation before matching: case, ё, punctuation, fillers, number words.

ASR output and typed text differ in case, punctuation and how numbers are
written; the templates are written in one canonical form (lower case, `е` for
`ё`, digits for numbers, no punctuation or apostrophes), and every input is
brought to that form first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Russian number words in the forms a time or duration uses ("в восемь",
# "восьми", "через пять минут", "одну минуту").
_RU_UNITS = {
    "ноль": 0, "нуля": 0,
    "один": 1, "одна": 1, "одну": 1, "одного": 1, "одной": 1,
    "два": 2, "две": 2, "двух": 2,
    "три": 3, "трех": 3,
    "четыре": 4, "четырех": 4,
    "пять": 5, "пяти": 5,
    "шесть": 6, "шести": 6,
    "семь": 7, "семи": 7,
    "восемь": 8, "восьми": 8,
    "девять": 9, "девяти": 9,
}  # fmt: skip
_RU_TEENS = {
    "десять": 10, "десяти": 10,
    "одиннадцать": 11, "одиннадцати": 11,
    "двенадцать": 12, "двенадцати": 12,
    "тринадцать": 13, "тринадцати": 13,
    "четырнадцать": 14, "четырнадцати": 14,
    "пятнадцать": 15, "пятнадцати": 15,
    "шестнадцать": 16, "шестнадцати": 16,
    "семнадцать": 17, "семнадцати": 17,
    "восемнадцать": 18, "восемнадцати": 18,
    "девятнадцать": 19, "девятнадцати": 19,
}  # fmt: skip
_RU_TENS = {
    "двадцать": 20, "двадцати": 20,
    "тридцать": 30, "тридцати": 30,
    "сорок": 40, "сорока": 40,
    "пятьдесят": 50, "пятидесяти": 50,
    "шестьдесят": 60,
}  # fmt: skip
_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_EN_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60}

_NUMBER_WORDS = {
    "ru": (_RU_UNITS, _RU_TEENS, _RU_TENS),
    "en": (_EN_UNITS, _EN_TEENS, _EN_TENS),
}

# Keep ":" between digits (8:30); everything else that is not a letter, digit
# or space separates words. Apostrophes vanish so "don't" becomes "dont".
_APOSTROPHES = re.compile(r"['’`ʼ]")
_NOT_WORD = re.compile(r"(?!(?<=\d):(?=\d))[^\w\s]|_")
_SPACES = re.compile(r"\s+")


def basic_normalise(text: str) -> str:
    """Lower case, ё -> е, no punctuation, single spaces."""
    text = text.lower().replace("ё", "е")
    text = _APOSTROPHES.sub("", text)
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def numbers_to_digits(text: str, lang: str) -> str:
    """Number words to digits: "двадцать пять" -> "25", "eight thirty" -> "8 30".

    Only numbers up to 69 are needed for times and durations.
    """
    units, teens, tens = _NUMBER_WORDS[lang]
    words = text.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in tens:
            value = tens[word]
            following = words[i + 1] if i + 1 < len(words) else ""
            if units.get(following, 0) > 0:
                value += units[following]
                i += 1
            out.append(str(value))
        elif word in teens:
            out.append(str(teens[word]))
        elif word in units:
            out.append(str(units[word]))
        else:
            out.append(word)
        i += 1
    return " ".join(out)


def remove_phrases(text: str, phrases: Iterable[str]) -> str:
    """Remove whole-word occurrences of any phrase (longest first)."""
    ordered = sorted({p for p in phrases if p}, key=len, reverse=True)
    if not ordered:
        return text
    pattern = re.compile(r"(?<!\S)(?:" + "|".join(re.escape(p) for p in ordered) + r")(?!\S)")
    return _SPACES.sub(" ", pattern.sub(" ", text)).strip()


def strip_edges(text: str, lead: Iterable[str], tail: Iterable[str]) -> str:
    """Remove `lead` phrases from the start and `tail` phrases from the end, repeatedly."""
    leading = sorted({p for p in lead if p}, key=len, reverse=True)
    trailing = sorted({p for p in tail if p}, key=len, reverse=True)
    changed = True
    while changed and text:
        changed = False
        for phrase in leading:
            if text == phrase:
                return ""
            if text.startswith(phrase + " "):
                text, changed = text[len(phrase) + 1 :], True
        for phrase in trailing:
            if text == phrase:
                return ""
            if text.endswith(" " + phrase):
                text, changed = text[: -len(phrase) - 1], True
    return text


def rewrite_phrases(text: str, rewrites: dict[str, str]) -> str:
    """Replace whole-word phrases ("uh huh" -> "uhhuh") before fillers are removed."""
    for phrase, replacement in rewrites.items():
        text = re.sub(rf"(?<!\S){re.escape(phrase)}(?!\S)", replacement, text)
    return text
