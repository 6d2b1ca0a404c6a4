"""How conditions, values and thresholds are said to a person, in Russian and English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from benefits.facts import FACTS, Between, FactValue
from benefits.model import Text

LANGS = ("ru", "en")

DISCLAIMER = Text(
    ru="Это предварительная оценка. Решение принимает ведомство, которое назначает меру; "
    "обратитесь туда, чтобы узнать точно.",
    en="This is a preliminary estimate. The agency that grants the measure decides; "
    "contact it to know for sure.",
)

STATUS_WORDS = {
    "eligible": Text(ru="скорее всего положено", en="likely eligible"),
    "not_eligible": Text(ru="скорее всего не положено", en="likely not eligible"),
    "unknown": Text(ru="нужно уточнить", en="needs checking"),
}

_OPS = {
    "eq": ("равно", "is"),
    "ne": ("не равно", "is not"),
    "in": ("одно из", "is one of"),
    "gte": ("не меньше", "at least"),
    "lte": ("не больше", "at most"),
    "gt": ("больше", "more than"),
    "lt": ("меньше", "less than"),
    "contains": ("включает", "include"),
}

TITLE_WORDS = {
    "veteran_of_labour": ("ветеран труда", "veteran of labour"),
    "veteran_of_labour_perm": ("ветеран труда Пермского края", "veteran of labour of Perm Krai"),
    "combat_veteran": ("ветеран боевых действий", "combat veteran"),
    "wwii_participant": ("участник Великой Отечественной войны", "WWII participant"),
    "home_front_worker": ("труженик тыла", "home front worker"),
    "victim_of_political_repression": (
        "реабилитированный или пострадавший от политических репрессий",
        "victim of political repression",
    ),
    "chernobyl_liquidator": ("ликвидатор аварии на ЧАЭС", "Chernobyl liquidator"),
}

_VERDICT = {True: ("выполнено", "holds"), False: ("не выполнено", "does not hold")}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "ru" else pair[1]


def money(value: Decimal, lang: str) -> str:
    whole = value == value.to_integral_value()
    text = f"{value:,.0f}" if whole else f"{value:,.2f}"
    if lang == "ru":
        return text.replace(",", " ").replace(".", ",") + " руб."
    return f"{text} rub"


def number(value: Decimal, lang: str) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",") if lang == "ru" else text


def shown(fact: str, value: FactValue | tuple[FactValue, ...], lang: str) -> str:  # noqa: PLR0911
    """A fact's value as a person reads it."""
    kind = FACTS[fact].kind
    if isinstance(value, Between):
        return shown_range(fact, value, lang)
    if isinstance(value, tuple):
        if kind == "titles" and not value:
            return _pick(("нет", "none"), lang)
        return ", ".join(shown(fact, item, lang) for item in value)
    if value is None:
        return _pick(("нет группы", "no group"), lang) if kind == "group" else "—"
    if isinstance(value, bool):
        return _pick(("да", "yes"), lang) if value else _pick(("нет", "no"), lang)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return money(value, lang) if kind == "money" else number(value, lang)
    if kind == "titles" and isinstance(value, str) and value in TITLE_WORDS:
        return _pick(TITLE_WORDS[value], lang)
    if kind == "age" and isinstance(value, int):
        return f"{value} " + _pick(("лет", "years"), lang)
    return str(value)


def shown_range(fact: str, value: Between, lang: str) -> str:
    """'born in 1946', 'from 22 000 to 23 000 rub', 'less than 22 000 rub', '79-80 years'."""
    low, high = value.low, value.high
    if isinstance(low, date) and isinstance(high, date):
        if (low.month, low.day, high.month, high.day) == (1, 1, 12, 31) and low.year == high.year:
            return _pick(("родились в {} году", "born in {}"), lang).format(low.year)
        return f"{low.isoformat()} – {high.isoformat()}"
    if FACTS[fact].kind == "age" and low is not None and high is not None:
        return f"{low}–{high} " + _pick(("лет", "years"), lang)

    def one(bound: object) -> str:
        return shown(fact, bound, lang)  # type: ignore[arg-type]

    if low is None and high is not None:
        words = ("не больше", "at most") if value.high_inclusive else ("меньше", "less than")
        return f"{_pick(words, lang)} {one(high)}"
    if high is None and low is not None:
        words = ("не меньше", "at least") if value.low_inclusive else ("больше", "more than")
        return f"{_pick(words, lang)} {one(low)}"
    return _pick(("от {} до {}", "from {} to {}"), lang).format(one(low), one(high))


def condition(fact: str, op: str, threshold: str, flag: object, lang: str) -> str:
    """'age at least 80', 'disability group: none', 'needs help at home: yes'."""
    label = FACTS[fact].label(lang)
    if op == "is_null":
        wanted = (
            _pick(("не установлена", "none"), lang) if flag else _pick(("установлена", "set"), lang)
        )
        return f"{label}: {wanted}"
    if FACTS[fact].kind == "bool" and op == "eq":
        return f"{label}: {threshold}"
    return f"{label} {_pick(_OPS[op], lang)} {threshold}"


def criterion_text(
    condition_text: str, holds: bool | None, yours: str | None, needed: str | None, lang: str
) -> str:
    """One line of a reason: the condition, the person's value, and whether it holds."""
    if holds is None:
        unknown = f"{condition_text} — " + _pick(("пока неизвестно", "not known yet"), lang)
        if yours is not None:
            # A range on both sides of the threshold: say what we have and what would decide.
            your = _pick(("у вас", "yours"), lang)
            more = _pick(("нужно точнее: ", "we need it more exactly: "), lang)
            return (
                f"{condition_text}; {your}: {yours} — "
                + _pick(("пока неизвестно", "not known yet"), lang)
                + (f" ({more}{needed})" if needed else "")
            )
        if needed:
            unknown += " (" + _pick(("нужно знать: ", "we need: "), lang) + f"{needed})"
        return unknown
    your = _pick(("у вас", "yours"), lang)
    return f"{condition_text}; {your}: {yours} — {_pick(_VERDICT[holds], lang)}"


def labels(facts: tuple[str, ...] | list[str], lang: str) -> str:
    return ", ".join(FACTS[fact].label(lang) for fact in facts)


def no_parameter_value(title: str, region: str | None, on: date, lang: str) -> str:
    where = f" ({region})" if region else ""
    if lang == "ru":
        return f"в каталоге нет значения «{title}»{where} на {on.isoformat()}: уточните в ведомстве"
    return f"the catalog has no value of '{title}'{where} on {on.isoformat()}: ask the agency"


def not_in_force(on: date, lang: str) -> str:
    if lang == "ru":
        return f"мера не действует на {on.isoformat()}"
    return f"the measure is not in force on {on.isoformat()}"


def legal_basis_line(acts: list[str], lang: str) -> str:
    return _pick(("Основание: ", "Legal basis: "), lang) + "; ".join(acts)
