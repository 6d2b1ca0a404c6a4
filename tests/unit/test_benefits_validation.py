"""Bad catalogs and bad profiles: one clear error naming the measure, the path or the field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from benefits.catalog import catalog_from_data, load_catalog
from benefits.errors import CatalogError, ProfileError
from benefits.facts import parse_profile
from benefits.model import CatalogDocument
from homecare.errors import HomecareError
from tests.unit.test_benefits_helpers import SOURCE, agency, criterion, document, measure

ON = date(2026, 11, 23)
OK = criterion("needs_help_at_home", "eq", True)
RATIO: dict[str, Any] = {"id": "k", "title": {"ru": "к", "en": "k"}, "unit": "ratio",
         "values": [{"value": 1.5, "valid_from": "2015-01-01", "source": SOURCE}]}  # fmt: skip
MONEY: dict[str, Any] = {"id": "m", "title": {"ru": "м", "en": "m"}, "unit": "rub",
         "values": [{"value": 100, "valid_from": "2015-01-01", "source": SOURCE}]}  # fmt: skip


def refused(data: dict[str, Any]) -> str:
    with pytest.raises(CatalogError) as caught:
        catalog_from_data(data)
    assert isinstance(caught.value, HomecareError)
    return str(caught.value)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (criterion("agee", "gte", 80),
         "measure m.x: eligibility: unknown fact 'agee'"),
        ({"all": [OK, criterion("age", "approx", 80)]},
         "measure m.x: eligibility.all[1]: unknown operator 'approx'"),
        ({"any": [OK, {"not": criterion("age", "contains", 80)}]},
         "measure m.x: eligibility.any[1].not: operator 'contains' does not suit fact 'age'"),
        (criterion("age", "gte", "eighty"),
         "measure m.x: eligibility.value: expected a whole number 0..150, got text 'eighty'"),
        (criterion("needs_help_at_home", "eq", "yes"),
         "measure m.x: eligibility.value: expected true or false, got text 'yes'"),
        (criterion("region", "eq", "RU-XX"),
         "measure m.x: eligibility.value: unknown region code 'RU-XX'"),
        (criterion("disability_group", "in", [1, 4]),
         "measure m.x: eligibility.value[1]: 4 is out of range 1..3"),
        (criterion("titles", "contains", "veteran_of_labor"),
         "unknown title text 'veteran_of_labor'"),
        ({"fact": "per_capita_income_rub", "op": "lte", "param": "nope"},
         "measure m.x: eligibility: unknown parameter 'nope' (known: k, m)"),
        ({"fact": "per_capita_income_rub", "op": "lte", "param": "k"},
         "parameter 'k' is in ratio, but 'per_capita_income_rub' needs rub"),
        ({"fact": "per_capita_income_rub", "op": "lte", "param": "m", "times": "m"},
         "times 'm' is neither a number nor a ratio parameter"),
        ({"fact": "per_capita_income_rub", "op": "lte", "param": "m", "times": -1},
         "times must be a positive number"),
        ({"fact": "per_capita_income_rub", "op": "lte", "param": "m", "value": 3},
         "give either value or param, not both"),
        ({"fact": "has_ipra", "op": "eq"}, "a criterion needs a value or a param"),
        ({"fact": "has_ipra", "op": "eq", "value": True, "why": 1}, "unexpected key 'why'"),
        ({"all": []}, "eligibility: 'all' needs a non-empty list of rules"),
        ({"all": [OK], "any": [OK]}, "a rule has exactly one of all, any, not, rule, fact"),
        ({"rule": "missing"}, "eligibility: unknown shared rule 'missing' (known: none)"),
        ([OK], "measure m.x: eligibility: Input should be an object"),
    ],
)  # fmt: skip
def test_a_bad_rule_is_refused_with_the_measure_and_the_path(rule: object, message: str) -> None:
    assert message in refused(document(rule, parameters=[RATIO, MONEY]))


def test_shared_rules_in_a_cycle_are_refused() -> None:
    rules = {
        "a": {"any": [OK, {"rule": "b"}]},
        "b": {"all": [{"rule": "c"}]},
        "c": {"not": {"rule": "a"}},
    }
    message = refused(document({"rule": "a"}, rules=rules))
    assert "rules refer to each other in a cycle: a -> b -> c -> a" in message
    assert "a cycle: s -> s" in refused(document(OK, rules={"s": {"rule": "s"}}))


def test_a_bad_shared_rule_is_refused_even_when_unused() -> None:
    message = refused(document(OK, rules={"spare": {"all": [criterion("colour", "eq", 1)]}}))
    assert "rule spare: all[0]: unknown fact 'colour'" in message


def test_an_unknown_agency_is_refused() -> None:
    data = document(OK)
    data["measures"][0]["other_agencies"] = ["nowhere"]
    assert "measure m.x: unknown agency 'nowhere' (known: a)" in refused(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["measures"].append(measure(OK)), "measure m.x: the id is used twice"),
        (lambda d: d["agencies"].append(agency()), "agency a: the id is used twice"),
        (lambda d: d["measures"][0].update(level="regional"), "a regional measure needs a region"),
        (lambda d: d["measures"][0].update(type="loan"), "measure m.x: type: Input should be"),
        (lambda d: d["measures"][0].update(colour="red"), "measure m.x: colour: Extra inputs"),
        (lambda d: d["measures"][0].update(level="regional", region="RU-ZZ"),
         "measure m.x: region: unknown region code 'RU-ZZ'"),
        (lambda d: d["measures"][0].update(amounts=[{"valid_from": "2025-01-01",
                                                     "source": SOURCE}]),
         "measure m.x: amounts[0]: an amount needs amount_rub or a description"),
        (lambda d: d["parameters"].append({**MONEY, "values": MONEY["values"] * 2}),
         "parameter m: values from 2015-01-01 and 2015-01-01 overlap"),
        (lambda d: d["parameters"].append({**MONEY, "regional": True}),
         "parameter m: values[0]: a regional parameter needs a region"),
    ],
)  # fmt: skip
def test_a_bad_document_is_refused(change: Any, message: str) -> None:
    data = document(OK)
    change(data)
    assert message in refused(data)


def test_catalog_files_and_folders(tmp_path: Path) -> None:
    folder = tmp_path / "catalog"
    folder.mkdir()
    data = document(OK)
    (folder / "agencies.yaml").write_text(yaml.safe_dump({"agencies": data["agencies"]}))
    (folder / "measures.json").write_text(json.dumps({"measures": data["measures"]}))
    assert list(load_catalog(folder).measures) == ["m.x"]
    (folder / "broken.yaml").write_text("measures: [\n")
    with pytest.raises(CatalogError, match=r"broken.yaml: not valid YAML at line 2"):
        load_catalog(folder)
    with pytest.raises(CatalogError, match=r"no such file or folder"):
        load_catalog(tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CatalogError, match=r"no catalog files"):
        load_catalog(empty)


def test_the_seed_round_trips_through_json() -> None:
    # The fleet will send the catalog as JSON (cfg/benefits): the document must survive it.
    seed = load_catalog()
    wire = json.loads(seed.document.model_dump_json())
    again = catalog_from_data(wire, "wire")
    assert again.document == seed.document
    assert CatalogDocument.model_validate_json(seed.document.model_dump_json()) == seed.document


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"agee": 80}, "profile: agee: unknown fact (known facts: birth_date, region"),
        ({"age": 80}, "profile: age: age is computed from birth_date; give birth_date instead"),
        ({"birth_date": "2027-01-01"}, "profile: birth_date: 2027-01-01 is in the future"),
        ({"birth_date": "01.05.1944"}, "profile: birth_date: '01.05.1944' is not a date"),
        ({"birth_date": 1944}, "profile: birth_date: expected a date YYYY-MM-DD, got number"),
        ({"birth_date": "1850-01-01"}, "profile: birth_date: 1850-01-01 is before 1900-01-01"),
        ({"region": "Perm"}, "profile: region: unknown region code 'Perm'"),
        ({"region": 59}, "profile: region: expected an ISO 3166-2 code such as RU-PER"),
        ({"disability_group": 4}, "profile: disability_group: 4 is out of range 1..3"),
        ({"disability_group": "II"}, "profile: disability_group: expected a whole number 1..3"),
        ({"disability_group": True}, "profile: disability_group: expected a whole number 1..3"),
        ({"per_capita_income_rub": -1}, "profile: per_capita_income_rub: -1 is negative"),
        ({"per_capita_income_rub": "20000"}, "per_capita_income_rub: expected an amount"),
        ({"per_capita_income_rub": float("nan")}, "per_capita_income_rub: nan is not an amount"),
        ({"needs_help_at_home": "yes"}, "profile: needs_help_at_home: expected true or false"),
        ({"titles": "veteran_of_labour"}, "profile: titles: expected a list of titles"),
        ({"titles": ["hero"]}, "profile: titles[0]: unknown title text 'hero'"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_field(data: object, message: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, ON)
    assert message in str(caught.value)


def test_a_profile_must_be_a_mapping_and_null_means_not_known() -> None:
    with pytest.raises(ProfileError, match=r"profile: expected a mapping of facts, got list"):
        parse_profile([1, 2], ON)
    profile = parse_profile({"has_ipra": None, "disability_group": None}, ON)
    assert not profile.knows("has_ipra")
    assert profile.knows("disability_group")
    assert profile.as_dict() == {"disability_group": None}
