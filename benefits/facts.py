"""The fixed vocabulary of profile facts, and a resident's profile checked against it.

Rules may only ask about these facts, so an agency editing a rule cannot name a
fact that no robot ever collects, and the interview knows what it may ask.

A fact that is absent from a profile is *not known* (the resident has not said).
`null` means the same, except for `disability_group`, where `null` is a known
answer: no disability group.
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

FactValue = date | str | int | Decimal | bool | tuple[str, ...] | None


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
            assert isinstance(birth, date)
            return age_on(birth, on)
        return self.facts[fact]

    def as_dict(self) -> dict[str, object]:
        """The profile as plain JSON-ready data (the inverse of `parse_profile`)."""
        out: dict[str, object] = {}
        for name, value in self.facts.items():
            if isinstance(value, date):
                out[name] = value.isoformat()
            elif isinstance(value, Decimal):
                out[name] = float(value)
            elif isinstance(value, tuple):
                out[name] = list(value)
            else:
                out[name] = value
        return out


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


def _check_value(spec: FactSpec, raw: object, where: str, on: date | None) -> FactValue:
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
