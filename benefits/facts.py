"""The fixed vocabulary of profile facts, and a resident's profile checked against it.

Rules may only ask about these facts, so an agency editing a rule cannot name a
fact that no robot ever collects, and the interview knows what it may ask.

A fact that is absent from a profile is *not known* (the resident has not said).
`null` means the same, except for `disability_group`, where `null` is a known
answer: no disability group.

Some facts may be known only roughly, and are then kept as a `Between` (a range)
rather than a made-up number: a birth date as `{"from": "1946-01-01", "to":
"1946-12-31"}` (the resident said the year, or their age), an income as a band
`{"min": 22000, "max": 23000}` (also `above` / `below` for open ends). The
engine decides a condition on a range only when the whole range is on one side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from benefits.errors import ProfileError

FactKind = Literal["date", "region", "group", "money", "bool", "titles", "age"]

# ISO 3166-2:RU subdivision codes (the 83 codes the standard lists).
_REGION_CODES = """
AD AL BA BU CE CU DA IN KB KL KC KR KO ME MO SA SE TA TY UD ALT KAM KHA KDA KYA PER PRI STA ZAB
AMU ARK AST BEL BRY CHE IRK IVA KGD KLU KEM KIR KOS KGN KRS LEN LIP MAG MOS MUR NIZ NGR NVS OMS
ORE ORL PNZ PSK ROS RYA SAK SAM SAR SMO SVE TAM TOM TUL TVE TYU ULY VLA VGG VLG VOR YAR MOW SPE
YEV CHU KHM NEN YAN KK
"""
RU_REGIONS: frozenset[str] = frozenset("RU-" + code for code in _REGION_CODES.split())

# Titles (statuses) a person can hold; a typo must not silently match nothing.
KNOWN_TITLES: frozenset[str] = frozenset(
    {
        "veteran_of_labour",  # federal title, 5-FZ art. 7
        "veteran_of_labour_perm",  # "Ветеран труда Пермского края", Perm Krai law 146-PK
        "combat_veteran",
        "wwii_participant",
        "home_front_worker",
        "victim_of_political_repression",
        "chernobyl_liquidator",
    }
)

# Nobody applying for anything is older than this: an earlier birth date is a typo.
OLDEST_BIRTH_DATE = date(1900, 1, 1)


@dataclass(frozen=True)
class FactSpec:
    """One fact of the vocabulary: its type and how to name it to a person."""

    name: str
    kind: FactKind
    label_ru: str
    label_en: str
    # Only `disability_group` has a known "none" answer.
    nullable: bool = False
    # Derived facts are computed, never given: `age` comes from `birth_date`.
    derived_from: str | None = None

    def label(self, lang: str) -> str:
        return self.label_ru if lang == "ru" else self.label_en


FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec("birth_date", "date", "дата рождения", "date of birth"),
        FactSpec("age", "age", "возраст", "age", derived_from="birth_date"),
        FactSpec("region", "region", "регион проживания", "region of residence"),
        FactSpec(
            "disability_group", "group", "группа инвалидности", "disability group", nullable=True
        ),
        FactSpec("disabled_child", "bool", "ребёнок-инвалид", "disabled child"),
        FactSpec(
            "per_capita_income_rub",
            "money",
            "среднедушевой доход в месяц",
            "monthly income per household member",
        ),
        FactSpec(
            "receives_insurance_pension",
            "bool",
            "получает страховую пенсию",
            "receives an insurance pension",
        ),
        FactSpec("titles", "titles", "звания и статусы", "titles and statuses"),
        FactSpec(
            "needs_help_at_home",
            "bool",
            "нуждается в помощи на дому",
            "needs help at home",
        ),
        FactSpec(
            "has_ipra",
            "bool",
            "есть индивидуальная программа реабилитации (ИПРА)",
            "has an individual rehabilitation programme (IPRA)",
        ),
        FactSpec(
            "receives_edv",
            "bool",
            "получает ЕДВ от Социального фонда",
            "receives the federal monthly cash payment (EDV) from the Social Fund",
        ),
    )
}

# Facts a profile may give (everything but the derived ones).
INPUT_FACTS: tuple[str, ...] = tuple(name for name, spec in FACTS.items() if not spec.derived_from)

Bound = date | Decimal | int


@dataclass(frozen=True)
class Between:
    """A value known only to lie in a range; an end that is None is open.

    `low_inclusive=False` means strictly above `low` ("more than 23 000").
    """

    low: Bound | None = None
    high: Bound | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True


FactValue = date | str | int | Decimal | bool | tuple[str, ...] | Between | None


def source_fact(name: str) -> str:
    """The input fact a (possibly derived) fact is computed from: `age` -> `birth_date`."""
    return FACTS[name].derived_from or name


def age_on(birth_date: date, on: date) -> int:
    """Whole years from `birth_date` to `on` (a birthday on 29 February counts on 1 March)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


@dataclass(frozen=True)
class Profile:
    """What is known about one resident: only facts of the vocabulary, all checked."""

    facts: Mapping[str, FactValue]

    def knows(self, fact: str) -> bool:
        return source_fact(fact) in self.facts

    def value(self, fact: str, on: date) -> FactValue:
        """The value of a known fact on a date (`age` is computed); call `knows` first."""
        if fact == "age":
            birth = self.facts["birth_date"]
            if isinstance(birth, Between):
                return _age_range(birth, on)
            assert isinstance(birth, date)
            return age_on(birth, on)
        return self.facts[fact]

    def as_dict(self) -> dict[str, object]:
        """The profile as plain JSON-ready data (the inverse of `parse_profile`)."""
        out: dict[str, object] = {}
        for name, value in self.facts.items():
            if isinstance(value, Between):
                out[name] = range_as_dict(value)
            elif isinstance(value, date):
                out[name] = value.isoformat()
            elif isinstance(value, Decimal):
                out[name] = float(value)
            elif isinstance(value, tuple):
                out[name] = list(value)
            else:
                out[name] = value
        return out


def range_as_dict(value: Between) -> dict[str, object]:
    """A range as profile JSON: {"from", "to"} for dates, {"min"|"above", "max"|"below"} else."""

    def plain(bound: Bound) -> object:
        if isinstance(bound, date):
            return bound.isoformat()
        return float(bound) if isinstance(bound, Decimal) else bound

    out: dict[str, object] = {}
    if isinstance(value.low, date) or isinstance(value.high, date):
        if value.low is not None:
            out["from"] = plain(value.low)
        if value.high is not None:
            out["to"] = plain(value.high)
        return out
    if value.low is not None:
        out["min" if value.low_inclusive else "above"] = plain(value.low)
    if value.high is not None:
        out["max" if value.high_inclusive else "below"] = plain(value.high)
    return out


def _age_range(birth: Between, on: date) -> int | Between:
    # The latest possible birth date gives the youngest age.
    youngest = age_on(birth.high, on) if isinstance(birth.high, date) else 0
    oldest = age_on(birth.low, on) if isinstance(birth.low, date) else None
    if oldest == youngest:
        return youngest
    return Between(youngest, oldest)


def parse_profile(data: object, on: date, where: str = "profile") -> Profile:
    """Check a profile (parsed YAML/JSON) against the vocabulary; `on` is the check date.

    Raises `ProfileError` naming the field for an unknown fact, a wrong type, an
    unknown region code, a birth date after `on`, or a negative income.
    """
    if not isinstance(data, Mapping):
        raise ProfileError(f"{where}: expected a mapping of facts, got {_type_name(data)}")
    facts: dict[str, FactValue] = {}
    for key, raw in data.items():
        name = str(key)
        spec = FACTS.get(name)
        if spec is None:
            raise ProfileError(
                f"{where}: {name}: unknown fact (known facts: {', '.join(INPUT_FACTS)})"
            )
        if spec.derived_from:
            raise ProfileError(
                f"{where}: {name}: {name} is computed from {spec.derived_from}; "
                f"give {spec.derived_from} instead"
            )
        if raw is None:
            if spec.nullable:
                facts[name] = None
            continue  # null: not known, same as absent
        facts[name] = _check_value(spec, raw, f"{where}: {name}", on)
    return Profile(facts)


def check_fact_value(fact: str, raw: object, where: str) -> FactValue:
    """Check one value as a value of `fact` (used for rule constants); no date limits."""
    return _check_value(FACTS[fact], raw, where, None)


def _check_value(  # noqa: PLR0911
    spec: FactSpec, raw: object, where: str, on: date | None
) -> FactValue:
    if isinstance(raw, Mapping) and on is not None and spec.kind in ("date", "money"):
        # Ranges are for what a person knows roughly; a rule's constant is always exact.
        if spec.kind == "date":
            return _check_date_range(raw, where, on)
        return _check_money_band(raw, where)
    match spec.kind:
        case "date":
            return _check_date(raw, where, on)
        case "region":
            return _check_region(raw, where)
        case "group" | "age":
            return _check_int(raw, where, (1, 3) if spec.kind == "group" else (0, 150))
        case "money":
            return _check_money(raw, where)
        case "bool":
            if not isinstance(raw, bool):
                raise ProfileError(f"{where}: expected true or false, got {_shown(raw)}")
            return raw
        case "titles":
            return _check_titles(raw, where)


def _check_date(raw: object, where: str, on: date | None) -> date:
    if isinstance(raw, date) and not hasattr(raw, "hour"):
        value = raw
    elif isinstance(raw, str):
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            raise ProfileError(
                f"{where}: {raw!r} is not a date (use YYYY-MM-DD, e.g. 1944-05-09)"
            ) from None
    else:
        raise ProfileError(f"{where}: expected a date YYYY-MM-DD, got {_shown(raw)}")
    if on is not None and value > on:
        raise ProfileError(f"{where}: {value.isoformat()} is in the future (after {on})")
    if value < OLDEST_BIRTH_DATE:
        raise ProfileError(f"{where}: {value.isoformat()} is before {OLDEST_BIRTH_DATE}")
    return value


def _check_date_range(raw: Mapping[object, object], where: str, on: date) -> date | Between:
    extra = sorted(str(key) for key in raw if key not in ("from", "to"))
    if extra:
        raise ProfileError(f"{where}: unexpected key {extra[0]!r} (a date range has from, to)")
    if "from" not in raw or "to" not in raw:
        raise ProfileError(f"{where}: a date range needs both from and to")
    low = _check_date(raw["from"], f"{where}.from", on)
    # The end of a birth year that is not over yet: nobody is born after today.
    high = min(_check_date(raw["to"], f"{where}.to", None), on)
    if high < low:
        raise ProfileError(f"{where}: from {low.isoformat()} is after to {high.isoformat()}")
    return low if low == high else Between(low, high)


def _check_money_band(raw: Mapping[object, object], where: str) -> Decimal | Between:
    extra = sorted(str(key) for key in raw if key not in ("min", "above", "max", "below"))
    if extra:
        raise ProfileError(
            f"{where}: unexpected key {extra[0]!r} (a band has min or above, max or below)"
        )
    if ("min" in raw and "above" in raw) or ("max" in raw and "below" in raw):
        raise ProfileError(f"{where}: give min or above, and max or below, not both")
    if not raw:
        raise ProfileError(f"{where}: an income band needs min, above, max or below")
    low_key = "min" if "min" in raw else "above"
    high_key = "max" if "max" in raw else "below"
    low = _check_money(raw[low_key], f"{where}.{low_key}") if low_key in raw else None
    high = _check_money(raw[high_key], f"{where}.{high_key}") if high_key in raw else None
    if low is not None and high is not None:
        if high < low or (high == low and (low_key, high_key) != ("min", "max")):
            raise ProfileError(f"{where}: the band is empty ({low_key} {low}, {high_key} {high})")
        if high == low:
            return low
    return Between(low, high, low_key == "min", high_key == "max")


def _check_region(raw: object, where: str) -> str:
    if not isinstance(raw, str):
        raise ProfileError(
            f"{where}: expected an ISO 3166-2 code such as RU-PER, got {_shown(raw)}"
        )
    if raw not in RU_REGIONS:
        raise ProfileError(
            f"{where}: unknown region code {raw!r} (use ISO 3166-2, e.g. RU-PER for Perm Krai)"
        )
    return raw


def _check_int(raw: object, where: str, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ProfileError(f"{where}: expected a whole number {low}..{high}, got {_shown(raw)}")
    if not low <= raw <= high:
        raise ProfileError(f"{where}: {raw} is out of range {low}..{high}")
    return raw


def _check_money(raw: object, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ProfileError(f"{where}: expected an amount in roubles, got {_shown(raw)}")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ProfileError(f"{where}: {raw} is not an amount")
    if raw < 0:
        raise ProfileError(f"{where}: {raw} is negative")
    return Decimal(str(raw))


def _check_titles(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple):
        raise ProfileError(f"{where}: expected a list of titles, got {_shown(raw)}")
    titles: list[str] = []
    for index, item in enumerate(raw):
        if not isinstance(item, str) or item not in KNOWN_TITLES:
            raise ProfileError(
                f"{where}[{index}]: unknown title {_shown(item)} "
                f"(known: {', '.join(sorted(KNOWN_TITLES))})"
            )
        titles.append(item)
    return tuple(titles)


def _shown(raw: object) -> str:
    return f"{_type_name(raw)} {raw!r}"


def _type_name(raw: object) -> str:
    names = {bool: "boolean", int: "number", float: "number", str: "text", list: "list"}
    return names.get(type(raw), "null" if raw is None else type(raw).__name__)
