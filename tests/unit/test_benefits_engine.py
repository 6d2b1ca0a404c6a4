"""The eligibility engine: Kleene logic, minimal missing facts, dated parameters, reasons."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

from benefits.catalog import catalog_from_data, load_catalog
from benefits.engine import check_measure, questions_to_ask
from benefits.errors import ProfileError
from benefits.facts import age_on, parse_profile
from tests.unit.test_benefits_helpers import SOURCE, catalog_of, criterion, document

ON = date(2026, 11, 23)
A = criterion("needs_help_at_home", "eq", True)
B = criterion("has_ipra", "eq", True)
TRUTH = (True, False, None)


def facts(a: bool | None, b: bool | None) -> dict[str, object]:
    given: dict[str, object] = {}
    if a is not None:
        given["needs_help_at_home"] = a
    if b is not None:
        given["has_ipra"] = b
    return given


def status_of(rule: object, given: dict[str, object], on: date = ON, **kw: Any) -> Any:
    catalog = catalog_of(rule, **kw)
    return check_measure(catalog, "m.x", parse_profile(given, on), on)


def kleene_and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def kleene_or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


STATUS = {True: "eligible", False: "not_eligible", None: "unknown"}


@pytest.mark.parametrize(("a", "b"), list(itertools.product(TRUTH, TRUTH)))
def test_all_is_kleene_and(a: bool | None, b: bool | None) -> None:
    result = status_of({"all": [A, B]}, facts(a, b))
    assert result.status == STATUS[kleene_and(a, b)]
    expected_missing = [] if kleene_and(a, b) is not None else [
        name for name, value in (("needs_help_at_home", a), ("has_ipra", b)) if value is None
    ]  # fmt: skip
    assert list(result.missing) == expected_missing


@pytest.mark.parametrize(("a", "b"), list(itertools.product(TRUTH, TRUTH)))
def test_any_is_kleene_or(a: bool | None, b: bool | None) -> None:
    result = status_of({"any": [A, B]}, facts(a, b))
    assert result.status == STATUS[kleene_or(a, b)]
    if kleene_or(a, b) is not None:
        assert result.missing == ()


@pytest.mark.parametrize("a", TRUTH)
def test_not_is_kleene_not(a: bool | None) -> None:
    result = status_of({"not": A}, facts(a, None))
    assert result.status == STATUS[None if a is None else not a]
    assert list(result.missing) == ([] if a is not None else ["needs_help_at_home"])


def test_a_negated_condition_is_explained_as_an_exclusion() -> None:
    result = status_of({"all": [A, {"not": B}]}, {"needs_help_at_home": True, "has_ipra": True})
    assert result.status == "not_eligible"
    assert result.reasons[0].en.startswith("exclusion: has an individual rehabilitation")
    assert result.reasons[0].holds is False


def test_a_settled_branch_hides_the_missing_facts_of_the_others() -> None:
    rule = {"any": [A, {"all": [B, criterion("receives_edv", "eq", True)]}]}
    assert status_of(rule, {"has_ipra": False}).missing == ("needs_help_at_home",)
    assert status_of(rule, {"has_ipra": True}).missing == ("needs_help_at_home", "receives_edv")
    assert status_of(rule, {"needs_help_at_home": True}).missing == ()


def test_age_is_computed_on_the_check_date_and_asks_for_the_birth_date() -> None:
    rule = criterion("age", "gte", 80)
    assert status_of(rule, {"birth_date": "1946-11-24"}).status == "not_eligible"
    assert status_of(rule, {"birth_date": "1946-11-23"}).status == "eligible"
    unknown = status_of(rule, {})
    assert unknown.status == "unknown"
    assert unknown.missing == ("birth_date",)
    assert age_on(date(1944, 2, 29), date(2025, 2, 28)) == 80
    assert age_on(date(1944, 2, 29), date(2025, 3, 1)) == 81


def test_no_disability_group_is_a_known_answer() -> None:
    in_group = criterion("disability_group", "in", [1, 2, 3])
    assert status_of(in_group, {"disability_group": None}).status == "not_eligible"
    assert status_of(in_group, {}).status == "unknown"
    assert status_of(in_group, {"disability_group": 3}).status == "eligible"
    assert status_of(criterion("disability_group", "ne", 1), {"disability_group": None}).status == (
        "eligible"
    )
    is_null = {"fact": "disability_group", "op": "is_null"}
    assert status_of(is_null, {"disability_group": None}).status == "eligible"
    assert status_of(is_null, {"disability_group": 2}).status == "not_eligible"


@pytest.mark.parametrize(
    ("rule", "given", "expected"),
    [
        (criterion("per_capita_income_rub", "gt", 100), {"per_capita_income_rub": 100}, False),
        (criterion("per_capita_income_rub", "lt", 100), {"per_capita_income_rub": 99.5}, True),
        (criterion("birth_date", "lte", "1950-01-01"), {"birth_date": "1950-01-01"}, True),
        (criterion("region", "in", ["RU-PER", "RU-SVE"]), {"region": "RU-SVE"}, True),
        (criterion("region", "ne", "RU-PER"), {"region": "RU-PER"}, False),
        (criterion("titles", "contains", "veteran_of_labour"), {"titles": []}, False),
    ],
)
def test_operators(rule: object, given: dict[str, object], expected: bool) -> None:
    assert status_of(rule, given).status == STATUS[expected]


LIMIT = {
    "fact": "per_capita_income_rub",
    "op": "lte",
    "param": "minimum",
    "times": "multiplier",
}
PARAMETERS = [
    {
        "id": "minimum",
        "title": {"ru": "прожиточный минимум", "en": "subsistence minimum"},
        "unit": "rub",
        "regional": True,
        "values": [
            {
                "value": 10000,
                "valid_from": "2025-01-01",
                "valid_to": "2025-12-31",
                "region": "RU-PER",
                "source": SOURCE,
            },
            {"value": 12000, "valid_from": "2026-01-01", "region": "RU-PER", "source": SOURCE},
        ],
    },
    {
        "id": "multiplier",
        "title": {"ru": "кратность", "en": "multiple"},
        "unit": "ratio",
        "values": [{"value": 1.5, "valid_from": "2015-01-01", "source": SOURCE}],
    },
]


@pytest.mark.parametrize(
    ("on", "income", "status"),
    [
        (date(2025, 6, 1), 15000, "eligible"),  # 1.5 x 10,000
        (date(2025, 6, 1), 15001, "not_eligible"),
        (date(2026, 6, 1), 15001, "eligible"),  # 1.5 x 12,000 = 18,000
        (date(2026, 6, 1), 18000.01, "not_eligible"),
    ],
)
def test_the_parameter_value_is_the_one_in_force_on_the_check_date(
    on: date, income: float, status: str
) -> None:
    given = {"region": "RU-PER", "per_capita_income_rub": income}
    result = status_of(LIMIT, given, on, parameters=PARAMETERS)
    assert result.status == status
    threshold = "15,000 rub" if on.year == 2025 else "18,000 rub"
    assert threshold in result.reasons[0].en
    assert f"from {on.year}-01-01" in result.reasons[0].en


def test_a_regional_parameter_needs_the_region_and_a_value_for_it() -> None:
    no_region = status_of(LIMIT, {"per_capita_income_rub": 5000}, parameters=PARAMETERS)
    assert (no_region.status, no_region.missing) == ("unknown", ("region",))
    neither = status_of(LIMIT, {}, parameters=PARAMETERS)
    assert neither.missing == ("per_capita_income_rub", "region")
    elsewhere = status_of(
        LIMIT, {"region": "RU-MOW", "per_capita_income_rub": 1}, parameters=PARAMETERS
    )
    assert (elsewhere.status, elsewhere.missing) == ("unknown", ())
    assert "no value of 'subsistence minimum' (RU-MOW)" in elsewhere.reasons[0].en
    too_early = status_of(
        LIMIT, {"region": "RU-PER", "per_capita_income_rub": 1}, date(2024, 6, 1),
        parameters=PARAMETERS,
    )  # fmt: skip
    assert too_early.status == "unknown"


def test_reasons_name_the_value_the_threshold_and_the_legal_basis() -> None:
    result = status_of(criterion("age", "gte", 80), {"birth_date": "1940-01-01"})
    lines = result.reason_lines("en")
    assert lines[0] == "age at least 80 years; yours: 86 years — holds"
    assert lines[1] == "Legal basis: Law"
    assert "agency" in lines[-1] and "decides" in lines[-1]
    ru = result.reason_lines("ru")
    assert ru[0] == "возраст не меньше 80 лет; у вас: 86 лет — выполнено"
    assert "решение принимает ведомство" in ru[-1].lower()


def test_a_birth_date_after_the_check_date_is_refused() -> None:
    profile = parse_profile({"birth_date": "2000-01-01"}, ON)
    catalog = catalog_of(criterion("age", "gte", 80))
    with pytest.raises(ProfileError, match=r"profile: birth_date: 2000-01-01 is after"):
        check_measure(catalog, "m.x", profile, date(1999, 1, 1))


def test_a_measure_out_of_force_is_not_eligible() -> None:
    data = document(A)
    data["measures"][0]["valid_to"] = "2025-12-31"
    catalog = catalog_from_data(data)
    result = check_measure(catalog, "m.x", parse_profile({"needs_help_at_home": True}, ON), ON)
    assert result.status == "not_eligible"
    assert "not in force on 2026-11-23" in result.reasons[0].en


def test_questions_are_ranked_by_how_many_unknowns_they_settle() -> None:
    catalog = load_catalog()
    nothing = parse_profile({}, ON)
    questions = questions_to_ask(catalog, nothing, ON)
    assert len(questions) == 7
    assert questions[0] == "birth_date"  # asked by six measures
    assert "disability_group" in questions[:3]
    almost = parse_profile(
        {"birth_date": "1940-01-01", "region": "RU-PER", "disability_group": None,
         "titles": [], "needs_help_at_home": False, "receives_insurance_pension": True},
        ON,
    )  # fmt: skip
    assert questions_to_ask(catalog, almost, ON) == ["receives_edv"]
    assert questions_to_ask(catalog, almost, ON, limit=0) == []
