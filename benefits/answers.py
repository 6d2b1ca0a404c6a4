"""Reading a resident's spoken answers (ru, en): numbers, a birth year or an age, an income band.

The interview gets what the resident said as text ("тысяча девятьсот сорок
шестого", "мне 84", "тысяч двадцать", "skip"). What can be read is turned into
what is honestly known: a year or an age becomes a birth-date *range*, an amount
becomes the income band around it; nothing is rounded into a made-up exact value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from benefits.facts import OLDEST_BIRTH_DATE, Between

_NOT_WORD = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower case, ё -> е, no punctuation or apostrophes, single spaces."""
    text = text.lower().replace("ё", "е").replace("'", "").replace("’", "")
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", text)).strip()


def _has(text: str, phrases: Sequence[str]) -> bool:
    padded = f" {text} "
    return any(f" {phrase}" in padded for phrase in phrases)


# Prefixes of words (matched at a word start).
_SKIP = {
    "ru": ("не знаю", "не помню", "пропус", "дальше", "следующ", "затрудня", "не скажу",
           "не хочу говорить", "не уверен", "без понятия", "понятия не имею", "не могу сказать"),
    "en": ("skip", "dont know", "do not know", "not sure", "next", "pass", "no idea",
           "dont remember", "do not remember", "cant say", "rather not"),
}  # fmt: skip
_DELETE = {
    "ru": ("удали", "удалите", "сотри", "сотрите", "забудь", "забудьте", "уничтож"),
    "en": ("delete", "erase", "forget", "remove"),
}
_CORRECT = {
    "ru": ("исправ", "измен", "поправ", "неверно", "не верно", "не так", "ошиб", "заново"),
    "en": ("change", "fix", "wrong", "not right", "again", "update"),
}
_YES = {"ru": ("да", "есть", "получаю", "конечно", "нужна", "нужно", "являюсь", "ага"),
        "en": ("yes", "yeah", "i do", "i have", "i am", "sure", "of course")}  # fmt: skip
_NO = {"ru": ("нет", "не ", "нету", "неа", "никак"), "en": ("no", "not", "dont", "do not", "none")}


def is_skip(text: str, lang: str) -> bool:
    """'не знаю', 'пропустить', 'skip', 'I don't know'."""
    return _has(normalise(text), _SKIP[_lang(lang)])


def is_delete(text: str, lang: str) -> bool:
    """'удалите мои ответы', 'delete my answers'."""
    return _has(normalise(text), _DELETE[_lang(lang)])


def is_correct(text: str, lang: str) -> bool:
    """'исправить', 'change them': ask the saved questions again."""
    return _has(normalise(text), _CORRECT[_lang(lang)])


def yes_or_no(text: str, lang: str) -> bool | None:
    """A yes/no in words the NLU did not take as an intent ('есть', 'не получаю')."""
    words = normalise(text)
    if _has(words, _NO[_lang(lang)]):
        return False
    if _has(words, _YES[_lang(lang)]):
        return True
    return None


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "ru"


# -- numbers --------------------------------------------------------------------

# Word-start stems of Russian number words, cardinal and ordinal, longest first.
_RU_STEMS: tuple[tuple[str, int], ...] = tuple(
    sorted(
        {
            "одиннадцат": 11, "двенадцат": 12, "тринадцат": 13, "четырнадцат": 14,
            "пятнадцат": 15, "шестнадцат": 16, "семнадцат": 17, "восемнадцат": 18,
            "девятнадцат": 19, "десят": 10,
            "двадцат": 20, "тридцат": 30, "сорок": 40, "пятьдесят": 50, "пятидесят": 50,
            "шестьдесят": 60, "шестидесят": 60, "семьдесят": 70, "семидесят": 70,
            "восемьдесят": 80, "восьмидесят": 80, "девяност": 90,
            "сто": 100, "сотый": 100, "сотого": 100, "двести": 200, "двухсот": 200,
            "триста": 300, "трехсот": 300, "четыреста": 400, "четырехсот": 400,
            "пятьсот": 500, "пятисот": 500, "шестьсот": 600, "шестисот": 600,
            "семьсот": 700, "семисот": 700, "восемьсот": 800, "восьмисот": 800,
            "девятьсот": 900, "девятисот": 900,
            "один": 1, "одна": 1, "одно": 1, "одну": 1, "перв": 1,
            "два": 2, "две": 2, "двух": 2, "втор": 2, "три": 3, "трех": 3, "трет": 3,
            "четыр": 4, "четверт": 4, "пят": 5, "шест": 6, "сем": 7, "седьм": 7,
            "восем": 8, "восьм": 8, "девят": 9,
        }.items(),
        key=lambda item: -len(item[0]),
    )
)  # fmt: skip
_EN_WORDS = {
    "one": 1, "first": 1, "two": 2, "second": 2, "three": 3, "third": 3, "four": 4,
    "fourth": 4, "five": 5, "fifth": 5, "six": 6, "sixth": 6, "seven": 7, "seventh": 7,
    "eight": 8, "eighth": 8, "nine": 9, "ninth": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
# Words that start like a number word but are not one.
_RU_NOT_NUMBERS = ("семья", "семье", "семьи", "семей", "стол", "стоит", "сторон", "двер", "пятниц")
_THOUSAND = {"ru": "тысяч", "en": "thousand"}
_HUNDRED = {"ru": "", "en": "hundred"}


def _word_value(word: str, lang: str) -> int | None:  # noqa: PLR0911
    if word.isdigit():
        return int(word)
    if lang == "en":
        return _EN_WORDS.get(word)
    if word.startswith(_RU_NOT_NUMBERS):
        return None
    for stem, value in _RU_STEMS:
        if word.startswith(stem):
            if stem == "сто" and word not in ("сто", "ста"):
                return None  # "стоит", "столько"
            if stem == "сем" and not word.startswith(("семь", "семи")):
                return None  # "семья"
            return value
    return None


def numbers_in(text: str, lang: str) -> list[int]:
    """Every number said in the text, words or digits: 'тысяча девятьсот сорок шестого' -> [1946].

    Neighbouring number words add up ("сорок шесть"); "тысяч" multiplies what comes
    before it, or what follows when nothing does ("тысяч двадцать" -> 20000). English
    "nineteen forty six" is read as the year 1946. "18 500" is 18500.
    """
    lang = _lang(lang)
    words = normalise(text).split()
    groups: list[list[str]] = []
    current: list[str] = []
    for word in words:
        if (
            word.startswith(_THOUSAND[lang])
            or word == _HUNDRED[lang]
            or (word == "and" and current)
        ):
            current.append(word)
        elif _word_value(word, lang) is not None:
            # Two plain digit groups in a row are one number ("18 500"), other digits are not.
            if current and word.isdigit() and not (len(word) == 3 and current[-1].isdigit()):
                groups.append(current)
                current = []
            current.append(word)
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return [value for group in groups if (value := _group_value(group, lang)) is not None]


def _group_value(group: list[str], lang: str) -> int | None:
    if lang == "en" and len(group) >= 2 and _english_year(group) is not None:
        return _english_year(group)
    total = 0
    part = 0
    seen = False
    thousands_first = False
    for index, word in enumerate(group):
        if word.startswith(_THOUSAND[lang]):
            if part == 0 and not seen and index + 1 < len(group) and word != "тысяча":
                thousands_first = True  # "тысяч двадцать": about twenty thousand
                continue
            total += (part or 1) * 1000
            part = 0
            seen = True
            continue
        if word == "hundred":
            part = (part or 1) * 100
            continue
        if word == "and":
            continue
        value = _word_value(word, lang)
        if value is None:
            continue
        if word.isdigit() and part and len(word) == 3:
            part = part * 1000 + value  # "18 500"
        else:
            part += value
        seen = True
    if not seen:
        return None
    total += part
    return total * 1000 if thousands_first else total


def _english_year(group: list[str]) -> int | None:
    """'nineteen forty six' -> 1946 (a century then the rest)."""
    head = _EN_WORDS.get(group[0])
    if head is None or not 18 <= head <= 20:
        return None
    rest = [_EN_WORDS.get(word) for word in group[1:]]
    if not rest or any(value is None for value in rest) or len(rest) > 2:
        return None
    tail = sum(value or 0 for value in rest)
    return head * 100 + tail if tail < 100 else None


# -- facts ------------------------------------------------------------------------

MAX_AGE = 125


def birth_range(text: str, lang: str, on: date) -> date | Between | None:
    """A birth year ("1946", "в сорок шестом году") or an age ("мне 84") as a birth-date range.

    An age N on `on` means born after `on` minus N+1 years and no later than `on`
    minus N years; a year means 1 January to 31 December of it. None: not understood.
    """
    numbers = numbers_in(text, lang)
    if not numbers:
        return None
    words = normalise(text)
    value = numbers[-1] if len(numbers) > 1 and numbers[-1] >= 1000 else numbers[0]
    if OLDEST_BIRTH_DATE.year <= value <= on.year:
        return _year(value, on)
    year_words = ("году", "год рождения", "родил", "рожден", "born", "in 19")
    if value < 100 and _has(words, year_words):
        year = 1900 + value if 1900 + value <= on.year else None
        return _year(year, on) if year is not None else None
    if 0 <= value <= MAX_AGE:
        latest = _years_before(on, value)
        earliest = _years_before(on, value + 1) + timedelta(days=1)
        return Between(max(earliest, OLDEST_BIRTH_DATE), latest)
    return None


def _year(year: int, on: date) -> Between:
    return Between(date(year, 1, 1), min(date(year, 12, 31), on))


def _years_before(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def disability_group(text: str, lang: str) -> int | None:
    """'вторая', 'группа 2', 'second' -> 2; None when no group number was said."""
    for number in numbers_in(text, lang):
        if 1 <= number <= 3:
            return number
    return None


@dataclass(frozen=True)
class IncomeBand:
    """One choice of the income question: the range and how it is said."""

    value: Between
    ru: str
    en: str

    def text(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en


def income_bands(thresholds: Sequence[Decimal]) -> list[IncomeBand]:
    """Bands in whole thousands around each threshold (at most three thresholds).

    A threshold of 22 477.5 gives "less than 22 thousand", "22 to 23 thousand" (on
    both sides: the answer stays "needs checking") and "more than 23 thousand"; a
    whole-thousand threshold T gives "up to T" and "more than T".
    """
    edges: list[tuple[int, int]] = []  # (thousands below or at, thousands above or at)
    for threshold in sorted(set(thresholds))[:3]:
        low = math.floor(threshold / 1000)
        high = math.ceil(threshold / 1000)
        if low <= 0:
            continue
        if not edges or edges[-1] != (low, high):
            edges.append((low, high))
    if not edges:
        return []
    bands: list[IncomeBand] = []
    first_low, first_high = edges[0]
    if first_low == first_high:
        bands.append(
            _band(None, first_low, True, f"до {first_low} тысяч", f"up to {first_low} thousand")
        )
    else:
        less = f"меньше {first_low} тысяч", f"less than {first_low} thousand"
        bands.append(_band(None, first_low, False, *less))
    for index, (low, high) in enumerate(edges):
        if low != high:
            bands.append(
                IncomeBand(
                    Between(Decimal(low * 1000), Decimal(high * 1000)),
                    f"от {low} до {high} тысяч",
                    f"{low} to {high} thousand",
                )
            )
        if index + 1 < len(edges):
            next_low = edges[index + 1][0]
            if next_low > high:
                bands.append(
                    IncomeBand(
                        Between(Decimal(high * 1000), Decimal(next_low * 1000), low == high, False),
                        f"от {high} до {next_low} тысяч",
                        f"{high} to {next_low} thousand",
                    )
                )
    last = edges[-1][1]
    bands.append(
        IncomeBand(
            Between(Decimal(last * 1000), None, False),
            f"больше {last} тысяч",
            f"more than {last} thousand",
        )
    )
    return bands


def _band(low: int | None, high: int, inclusive: bool, ru: str, en: str) -> IncomeBand:
    return IncomeBand(
        Between(
            None if low is None else Decimal(low * 1000), Decimal(high * 1000), True, inclusive
        ),
        ru,
        en,
    )


_LESS = {"ru": ("меньше", "менее", "ниже", "до "), "en": ("less", "under", "below", "up to")}
_MORE = {"ru": ("больше", "более", "выше", "свыше"), "en": ("more", "over", "above")}
_MIDDLE = {"ru": ("между", "средн", "посередин"), "en": ("between", "middle")}


def income_answer(  # noqa: PLR0911
    text: str, lang: str, bands: Sequence[IncomeBand]
) -> Between | None:
    """Which band the resident chose, or the bands their amount falls in; None: not understood.

    A number below 1000 is in thousands ("двадцать" to "how many thousand?").
    """
    if not bands:
        return None
    lang = _lang(lang)
    words = normalise(text)
    amounts = [Decimal(n * 1000 if n < 1000 else n) for n in numbers_in(text, lang)]
    if len(amounts) >= 2:
        return _covering(bands, min(amounts), max(amounts))
    if _has(words, _LESS[lang]) and not amounts:
        return bands[0].value
    if _has(words, _MORE[lang]) and not amounts:
        return bands[-1].value
    if amounts:
        amount = amounts[0]
        # "less than 22 thousand" excludes 22 000 itself; a kopek is below any band edge.
        if _has(words, _LESS[lang]):
            return _covering(bands, Decimal(0), amount - Decimal("0.01"))
        if _has(words, _MORE[lang]):
            return _covering(bands, amount + Decimal("0.01"), None)
        return _covering(bands, amount, amount)
    if _has(words, _MIDDLE[lang]) and len(bands) == 3:
        return bands[1].value
    return None


def _covering(bands: Sequence[IncomeBand], low: Decimal, high: Decimal | None) -> Between | None:
    """The smallest union of consecutive bands that holds every amount from low to high."""
    hit = [index for index, band in enumerate(bands) if _overlaps(band.value, low, high)]
    if not hit:
        hit = [0]
    first, last = bands[min(hit)].value, bands[max(hit)].value
    if first.low is None and last.high is None:
        return None  # every band: nothing learnt
    return Between(first.low, last.high, first.low_inclusive, last.high_inclusive)


def _overlaps(band: Between, low: Decimal, high: Decimal | None) -> bool:
    assert band.low is None or isinstance(band.low, Decimal)
    assert band.high is None or isinstance(band.high, Decimal)
    below_high = (
        band.low is None
        or high is None
        or band.low < high
        or (band.low_inclusive and band.low == high)
    )
    above_low = band.high is None or band.high > low or (band.high_inclusive and band.high == low)
    return below_high and above_low
