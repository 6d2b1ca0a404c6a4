"""`homecare benefits check | list | validate`: JSON for machines, a summary for people."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from homecare.cli.benefits import app
from homecare.errors import HomecareError
from tests.unit.test_benefits_helpers import criterion, document

DATA = Path(__file__).parent.parent / "data" / "benefits"
VETERAN = DATA / "veteran_84.yaml"


def run(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output, result.exception


def test_check_prints_every_measure_as_json() -> None:
    code, output, _ = run("check", "--profile", str(VETERAN), "--date", "2026-11-23",
                          "--lang", "en", "--json")  # fmt: skip
    assert code == 0, output
    answer = json.loads(output)
    results = {item["id"]: item for item in answer["results"]}
    assert len(results) == 10
    for item in results.values():
        assert {"id", "title", "status", "reasons", "missing", "agency"} <= set(item)
        assert item["status"] in {"eligible", "not_eligible", "unknown"}
        assert item["reasons"][-1] == answer["disclaimer"]
    doubling = results["ru.pension_fixed_doubling"]
    assert doubling["status"] == "eligible"
    assert doubling["reasons"][1] == "age at least 80 years; yours: 84 years — holds"
    assert doubling["agency"]["id"] == "ru.sfr_perm"
    assert results["ru.edv_disabled"]["status"] == "not_eligible"
    assert results["ru.nsu"]["missing"] == ["receives_edv"]
    assert answer["questions"] == ["receives_edv"]
    free = results["ru.home_social_services_free"]
    assert free["status"] == "eligible"
    assert "22,477.50 rub" in free["reasons"][1]


def test_check_reads_json_profiles_and_speaks_russian(tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"region": "RU-PER", "titles": ["veteran_of_labour"]}))
    code, output, _ = run("check", "--profile", str(profile), "--date", "2026-11-23", "--json")
    assert code == 0, output
    results = {item["id"]: item for item in json.loads(output)["results"]}
    veteran = results["perm.veteran_of_labour_edv"]
    assert veteran["status"] == "eligible"
    assert veteran["title"].startswith("Ежемесячная денежная выплата ветеранам труда")
    assert "ветеран труда" in veteran["reasons"][1]


def test_check_prints_a_readable_summary() -> None:
    code, output, _ = run("check", "--profile", str(VETERAN), "--date", "2026-11-23")
    assert code == 0, output
    assert "[+] Удвоенная фиксированная выплата" in output
    assert "[?] Набор социальных услуг (НСУ) (ru.nsu): нужно уточнить" in output
    assert "Уточните, чтобы ответить точнее: получает ЕДВ от Социального фонда" in output
    assert output.count("Решение принимает ведомство") == 1


def test_check_with_another_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "c.yaml"
    catalog.write_text(yaml.safe_dump(document(criterion("has_ipra", "eq", True))))
    code, output, _ = run("check", "--profile", str(VETERAN), "--catalog", str(catalog),
                          "--json", "--date", "2026-11-23")  # fmt: skip
    assert code == 0, output
    [only] = json.loads(output)["results"]
    assert (only["id"], only["status"], only["missing"]) == ("m.x", "unknown", ["has_ipra"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "absent.yaml"], "absent.yaml: no such file"),
        (["--profile", str(DATA / "unknown_region.json")],
         "unknown_region.json: region: unknown region code 'RU-XXX'"),
        (["--profile", str(VETERAN), "--date", "23.11.2026"], "--date '23.11.2026' is not a date"),
        (["--profile", str(VETERAN), "--date", "1930-01-01"],
         "birth_date: 1942-03-01 is in the future (after 1930-01-01)"),
        (["--profile", str(VETERAN), "--lang", "de"], "--lang 'de': use ru or en"),
        (["--profile", str(VETERAN), "--catalog", "nowhere"], "nowhere: no such file or folder"),
    ],
)  # fmt: skip
def test_check_refuses_bad_input_with_one_clear_error(args: list[str], message: str) -> None:
    _, output, error = run("check", *args)
    assert isinstance(error, HomecareError), output
    assert message in str(error)


def test_a_profile_that_is_not_yaml(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("region: [RU-PER\n")
    _, _, error = run("check", "--profile", str(profile))
    assert isinstance(error, HomecareError)
    assert "p.yaml: not valid YAML" in str(error)


def test_list_and_validate(tmp_path: Path) -> None:
    code, output, _ = run("list", "--json", "--lang", "en")
    assert code == 0, output
    ids = [row["id"] for row in json.loads(output)]
    assert "ru.home_social_services_free" in ids and "perm.veteran_of_labour_housing" in ids
    code, output, _ = run("validate", str(Path(__file__).parents[2] / "benefits" / "data"))
    assert code == 0, output
    assert output.startswith("ok: 10 measures, 5 agencies, 2 parameters, 4 shared rules")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document({"fact": "age", "op": "about", "value": 80})))
    _, _, error = run("validate", str(bad))
    assert isinstance(error, HomecareError)
    assert "measure m.x: eligibility: unknown operator 'about'" in str(error)
