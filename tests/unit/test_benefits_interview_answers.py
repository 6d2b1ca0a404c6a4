"""Spoken answers read honestly, and ranges (a birth year, an income band) in the engine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from benefits import check_measure, load_catalog, parse_profile
from benefits.answers import (
    birth_range,
    disability_group,
    income_answer,
    income_bands,
    is_delete,
    is_skip,
    numbers_in,
    yes_or_no,
)
from benefits.errors import CatalogError, ProfileError
from benefits.facts import Between
from tests.unit.test_benefits_helpers import catalog_of, criterion

ON = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "lang", "numbers"),
    [
        ("тысяча девятьсот сорок шестого", "ru", [1946]),
        ("мне восемьдесят четыре года", "ru", [84]),
        ("тысяч двадцать", "ru", [20000]),
        ("двадцать пять тысяч рублей", "ru", [25000]),
        ("18 500", "ru", [18500]),
        ("от пятнадцати до двадцати пяти тысяч", "ru", [15, 25000]),
        ("вторая", "ru", [2]),
        ("семья из трёх человек", "ru", [3]),
        ("nineteen forty six", "en", [1946]),
        ("I am eighty four", "en", [84]),
        ("one hundred and two", "en", [102]),
        ("twenty thousand", "en", [20000]),
        ("ну не знаю", "ru", []),
    ],
)
def test_numbers_in_words_and_digits(text: str, lang: str, numbers: list[int]) -> None:
    assert numbers_in(text, lang) == numbers


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("1946", "ru", Between(date(1946, 1, 1), date(1946, 12, 31))),
        ("в сорок пятом году", "ru", Between(date(1945, 1, 1), date(1945, 12, 31))),
        ("9 мая 1945 года", "ru", Between(date(1945, 1, 1), date(1945, 12, 31))),
        # 84 on 23 Nov 2026: born 24 Nov 1941 .. 23 Nov 1942.
        ("мне восемьдесят четыре", "ru", Between(date(1941, 11, 24), date(1942, 11, 23))),
        ("I am eighty", "en", Between(date(1945, 11, 24), date(1946, 11, 23))),
        ("nineteen fifty", "en", Between(date(1950, 1, 1), date(1950, 12, 31))),
        ("не помню", "ru", None),
        ("мне двести лет", "ru", None),
    ],
)
def test_birth_year_or_age_becomes_a_range(text: str, lang: str, expected: Between | None) -> None:
    assert birth_range(text, lang, ON) == expected


def test_words_of_the_interview() -> None:
    assert is_skip("Не знаю", "ru") and is_skip("пропустить", "ru") and is_skip("skip", "en")
    assert is_skip("I don't know", "en") and not is_skip("да", "ru")
    assert is_delete("Удалите мои ответы", "ru") and is_delete("delete my answers", "en")
    assert not is_delete("да", "ru")
    assert yes_or_no("не получаю", "ru") is False and yes_or_no("есть", "ru") is True
    assert yes_or_no("гм", "ru") is None
    assert disability_group("вторая группа", "ru") == 2 and disability_group("нет", "ru") is None


THRESHOLD = [Decimal("22477.5")]


def test_bands_are_whole_thousands_around_each_threshold() -> None:
    bands = income_bands(THRESHOLD)
    assert [band.ru for band in bands] == [
        "меньше 22 тысяч", "от 22 до 23 тысяч", "больше 23 тысяч",
    ]  # fmt: skip
    assert [band.value for band in bands] == [
        Between(None, Decimal(22000), True, False),
        Between(Decimal(22000), Decimal(23000)),
        Between(Decimal(23000), None, False),
    ]
    whole = income_bands([Decimal(15000)])
    assert [band.ru for band in whole] == ["до 15 тысяч", "больше 15 тысяч"]
    assert income_bands([]) == []


@pytest.mark.parametrize(
    ("text", "band"),
    [("меньше", 0), ("тысяч двадцать", 0), ("двадцать две тысячи", 1), ("посередине", 1),
     ("больше двадцати трёх тысяч", 2), ("сорок", 2), ("more", 2)],
)  # fmt: skip
def test_income_answers_pick_a_band(text: str, band: int) -> None:
    bands = income_bands(THRESHOLD)
    lang = "en" if text == "more" else "ru"
    assert income_answer(text, lang, bands) == bands[band].value


def test_an_income_answer_spanning_every_band_teaches_nothing() -> None:
    bands = income_bands(THRESHOLD)
    assert income_answer("от десяти до сорока тысяч", "ru", bands) is None
    assert income_answer("не знаю", "ru", bands) is None


# -- ranges in the engine ---------------------------------------------------------------


def status(rule: object, given: dict[str, object]) -> str:
    catalog = catalog_of(rule)
    return check_measure(catalog, "m.x", parse_profile(given, ON), ON).status


INCOME_AT_MOST_20K = criterion("per_capita_income_rub", "lte", 20000)


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ({"below": 20000}, "eligible"),
        ({"max": 20000}, "eligible"),  # at the threshold, included: still at most 20 000
        ({"min": 15000, "max": 20000}, "eligible"),
        ({"min": 19000, "max": 21000}, "unknown"),  # on both sides
        ({"min": 20000}, "unknown"),  # 20 000 itself would qualify
        ({"above": 20000}, "not_eligible"),
        ({"min": 20000, "max": 20000}, "eligible"),  # one value: an exact amount
    ],
)
def test_income_band_against_a_threshold(band: dict[str, object], expected: str) -> None:
    assert status(INCOME_AT_MOST_20K, {"per_capita_income_rub": band}) == expected


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        ({"from": "1946-01-01", "to": "1946-12-31"}, "unknown"),  # 79 or 80
        ({"from": "1945-01-01", "to": "1945-12-31"}, "eligible"),  # 80 or 81
        ({"from": "1946-11-24", "to": "1947-11-23"}, "not_eligible"),  # 79
        ({"from": "1945-11-24", "to": "1946-11-23"}, "eligible"),  # 80
    ],
)
def test_birth_range_against_an_age(birth: dict[str, str], expected: str) -> None:
    assert status(criterion("age", "gte", 80), {"birth_date": birth}) == expected


def test_unknown_from_a_range_names_the_fact_and_the_value() -> None:
    catalog = catalog_of(criterion("age", "gte", 80))
    profile = parse_profile({"birth_date": {"from": "1946-01-01", "to": "1946-12-31"}}, ON)
    result = check_measure(catalog, "m.x", profile, ON)
    assert result.missing == ("birth_date",)
    assert "79–80 лет — пока неизвестно (нужно точнее: дата рождения)" in result.reasons[0].ru


def test_seed_measure_at_80_is_never_wrongly_eligible() -> None:
    seed = load_catalog()
    profile = parse_profile(
        {"birth_date": {"from": "1946-01-01", "to": "1946-12-31"},
         "receives_insurance_pension": True, "disability_group": None},
        ON,
    )  # fmt: skip
    assert check_measure(seed, "ru.pension_fixed_doubling", profile, ON).status == "unknown"


def test_ranges_round_trip_through_profile_json() -> None:
    given = {
        "birth_date": {"from": "1946-01-01", "to": "1946-12-31"},
        "per_capita_income_rub": {"min": 22000, "max": 23000},
    }
    profile = parse_profile(given, ON)
    assert parse_profile(profile.as_dict(), ON) == profile
    assert profile.as_dict()["per_capita_income_rub"] == {"min": 22000.0, "max": 23000.0}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"birth_date": {"from": "2027-01-01", "to": "2027-12-31"}},
         "birth_date.from: 2027-01-01 is in the future"),
        ({"birth_date": {"from": "1950-01-01"}}, "birth_date: a date range needs both from and to"),
        ({"birth_date": {"from": "1950-01-01", "to": "1949-01-01"}}, "is after to"),
        ({"per_capita_income_rub": {"min": 5, "below": 5}}, "the band is empty"),
        ({"per_capita_income_rub": {"min": 1, "above": 2}}, "not both"),
        ({"per_capita_income_rub": {"most": 1}}, "unexpected key 'most'"),
        ({"per_capita_income_rub": {"max": -1}}, "per_capita_income_rub.max: -1 is negative"),
    ],
)  # fmt: skip
def test_bad_ranges_are_named(given: dict[str, object], message: str) -> None:
    with pytest.raises(ProfileError, match=message.replace("(", r"\(")):
        parse_profile(given, ON)


def test_this_years_birth_range_ends_today() -> None:
    profile = parse_profile({"birth_date": {"from": "2026-01-01", "to": "2026-12-31"}}, ON)
    assert profile.facts["birth_date"] == Between(date(2026, 1, 1), ON)


def test_a_rule_constant_is_never_a_range() -> None:
    with pytest.raises(CatalogError, match=r"eligibility\.value: expected an amount in roubles"):
        catalog_of({"fact": "per_capita_income_rub", "op": "lte", "value": {"max": 1}})
