"""The benefits API: roles, tenant isolation, validation naming the measure and path for each
kind of bad rule, versions with history, profiles, eligibility, publishing on change."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sqlite_utils

from fleet.protocol import DesiredConfig, config_topic, decode
from fleet.store import benefits as store
from fleet.store.rentals import create_rental, hand_over, return_rental
from fleet.store.robots import create_robot
from tests.fleet_api import Fleet
from tests.unit.test_fleet_api_reminders import add_resident, auth

API = "/api/v1"
NSU = "ru.nsu"


def make_benefit_objects(db: sqlite_utils.Database, agency_id: int, now: float) -> dict[str, str]:
    """A measure, a benefits agency and a parameter only `agency_id`'s catalog has (for tests
    of tenant isolation): kind -> id. Made once per agency; made again after a delete."""
    document = store.seed_document()
    suffix = f"a{agency_id}"
    agency = {**document["agencies"][0], "id": f"test.agency_{suffix}"}
    parameter = {**document["parameters"][0], "id": f"test.parameter_{suffix}"}
    measure = {**document["measures"][0], "id": f"test.measure_{suffix}"}
    items: list[tuple[store.Section, dict[str, Any]]] = [
        ("agencies", agency), ("parameters", parameter), ("measures", measure),
    ]  # fmt: skip
    current = store.get_catalog(db, agency_id, now)
    for section, item in items:
        if all(known["id"] != item["id"] for known in current.items(section)):
            edit = store.add_item(section, item)
            store.change_catalog(db, agency_id, edit, user_id=None, now=now)
    return {
        "measure": measure["id"],
        "benefits_agency": agency["id"],
        "parameter": parameter["id"],
    }


def measure(fleet: Fleet, measure_id: str = NSU, who: str = "admin@a.example") -> Any:
    response = fleet.client.get(f"{API}/benefits/measures/{measure_id}", headers=auth(fleet, who))
    assert response.status_code == 200, response.text
    return response.json()


def put_rule(fleet: Fleet, rule: dict[str, Any], who: str = "social@a.example") -> Any:
    return fleet.client.put(
        f"{API}/benefits/measures/{NSU}", json={"eligibility": rule}, headers=auth(fleet, who)
    )


def test_everyone_reads_editors_edit_and_each_change_is_a_version_with_history(
    fleet: Fleet,
) -> None:
    catalog = fleet.client.get(
        f"{API}/benefits/catalog", headers=auth(fleet, "caregiver@a.example")
    )
    assert catalog.status_code == 200
    body = catalog.json()
    assert body["version"] == 1 and body["document"]["version"] == "1"
    assert {m["id"] for m in body["document"]["measures"]} >= {NSU, "ru.edv_disabled"}
    listed = fleet.client.get(f"{API}/benefits/measures", headers=auth(fleet, "operator@a.example"))
    summary = next(item for item in listed.json()["items"] if item["id"] == NSU)
    assert summary["agency"] == "ru.sfr_perm" and summary["verified"] is False

    title = {"ru": "Набор социальных услуг", "en": "Social services package"}
    for who in ("operator@a.example", "caregiver@a.example"):
        refused = fleet.client.put(f"{API}/benefits/measures/{NSU}", json={"title": title},
                                   headers=auth(fleet, who))  # fmt: skip
        assert refused.status_code == 403, refused.text
    saved = fleet.client.put(f"{API}/benefits/measures/{NSU}", json={"title": title},
                             headers=auth(fleet, "social@a.example"))  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert saved.json()["catalog_version"] == 2 and saved.json()["item"]["title"] == title
    # Fields left out stay as they were.
    assert saved.json()["item"]["eligibility"] == measure(fleet)["item"]["eligibility"]
    again = fleet.client.put(f"{API}/benefits/measures/{NSU}", json={"title": title},
                             headers=auth(fleet, "admin@a.example"))  # fmt: skip
    assert again.json()["catalog_version"] == 2  # nothing changed: no new version

    rule = {"fact": "age", "op": "gte", "value": 70}
    assert put_rule(fleet, rule, "admin@a.example").json()["catalog_version"] == 3
    history = fleet.client.get(
        f"{API}/benefits/catalog/history", headers=auth(fleet, "caregiver@a.example")
    ).json()
    assert [(h["action"], h["user_name"], h["changes"].get("measure")) for h in history] == [
        ("benefits.update_measure", "admin", [NSU, NSU]),
        ("benefits.update_measure", "social", [NSU, NSU]),
        ("benefits.seed_catalog", None, None),
    ]
    assert history[0]["changes"]["version"] == [2, 3] and "eligibility" in history[0]["changes"]


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ({"all": [{"fact": "shoe_size", "op": "eq", "value": 1}]}, "unknown fact 'shoe_size'"),
        ({"all": [{"fact": "age", "op": "older_than", "value": 1}]}, "unknown operator"),
        (
            {"all": [{"fact": "per_capita_income_rub", "op": "lte", "param": "nope"}]},
            "unknown parameter 'nope'",
        ),
        ({"all": [{"fact": "age", "op": "gte", "value": "old"}]}, "all[0]"),
        ({"all": [{"rule": "no_such_rule"}]}, "no_such_rule"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_measure_the_path_and_why(
    fleet: Fleet, rule: dict[str, Any], reason: str
) -> None:
    refused = put_rule(fleet, rule)
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert f"measure {NSU}" in detail and "eligibility.all[0]" in detail and reason in detail
    assert measure(fleet)["catalog_version"] == 1  # nothing stored


def test_a_cycle_of_shared_rules_is_refused(fleet: Fleet) -> None:
    headers = auth(fleet, "admin@a.example")
    document = fleet.client.get(f"{API}/benefits/catalog", headers=headers).json()["document"]
    document["rules"]["ping"] = {"rule": "pong"}
    document["rules"]["pong"] = {"any": [{"rule": "ping"}]}
    refused = fleet.client.put(f"{API}/benefits/catalog", json=document, headers=headers)
    assert refused.status_code == 422
    assert "cycle" in refused.json()["detail"] and "ping" in refused.json()["detail"]


def test_measures_are_added_and_removed_and_ids_stay(fleet: Fleet) -> None:
    headers = auth(fleet, "social@a.example")
    new = {**copy.deepcopy(measure(fleet)["item"]), "id": "perm.test_measure"}
    created = fleet.client.post(f"{API}/benefits/measures", json=new, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["catalog_version"] == 2
    twice = fleet.client.post(f"{API}/benefits/measures", json=new, headers=headers)
    assert twice.status_code == 409 and "already exists" in twice.json()["detail"]
    renamed = fleet.client.put(f"{API}/benefits/measures/perm.test_measure",
                               json={"id": "perm.other"}, headers=headers)  # fmt: skip
    assert renamed.status_code == 422 and "cannot change" in renamed.json()["detail"]
    gone = fleet.client.delete(f"{API}/benefits/measures/perm.test_measure", headers=headers)
    assert gone.status_code == 204
    missing = fleet.client.get(f"{API}/benefits/measures/perm.test_measure", headers=headers)
    assert missing.status_code == 404 and missing.json()["detail"] == (
        "measure perm.test_measure not found"
    )
    incomplete = fleet.client.post(f"{API}/benefits/measures", json={"id": "perm.half"},
                                   headers=headers)  # fmt: skip
    assert incomplete.status_code == 422 and "measure perm.half" in incomplete.json()["detail"]


def test_an_agency_named_by_measures_is_not_deleted(fleet: Fleet) -> None:
    headers = auth(fleet, "admin@a.example")
    refused = fleet.client.delete(f"{API}/benefits/agencies/ru.sfr_perm", headers=headers)
    assert refused.status_code == 409
    assert "ru.nsu" in refused.json()["detail"] and "ru.edv_disabled" in refused.json()["detail"]
    agency = fleet.client.get(f"{API}/benefits/agencies/perm.kcson", headers=headers).json()
    new = {**agency["item"], "id": "perm.kcson_north", "phone": "+7 342 000-00-00"}
    assert (
        fleet.client.post(f"{API}/benefits/agencies", json=new, headers=headers).status_code == 201
    )
    changed = fleet.client.put(f"{API}/benefits/agencies/perm.kcson_north",
                               json={"kind": "embassy"}, headers=headers)  # fmt: skip
    assert changed.status_code == 422 and "agency perm.kcson_north: kind" in changed.text
    deleted = fleet.client.delete(f"{API}/benefits/agencies/perm.kcson_north", headers=headers)
    assert deleted.status_code == 204


def test_parameters_get_new_values_and_overlaps_are_refused(fleet: Fleet) -> None:
    headers = auth(fleet, "social@a.example")
    name = "subsistence_minimum_pensioner"
    current = fleet.client.get(f"{API}/benefits/parameters/{name}", headers=headers).json()["item"]
    added = {**current["values"][-1], "value": "15900", "valid_from": "2027-01-01",
             "valid_to": "2027-12-31"}  # fmt: skip
    values = [*current["values"], added]
    saved = fleet.client.put(
        f"{API}/benefits/parameters/{name}", json={"values": values}, headers=headers
    )
    assert saved.status_code == 200, saved.text
    overlap = {**added, "valid_from": "2027-06-01"}
    refused = fleet.client.put(f"{API}/benefits/parameters/{name}",
                               json={"values": [*current["values"], added, overlap]},
                               headers=headers)  # fmt: skip
    assert refused.status_code == 422 and "overlap" in refused.json()["detail"]


def test_a_change_on_an_old_version_is_refused(fleet: Fleet) -> None:
    headers = auth(fleet, "social@a.example")
    rule = {"fact": "age", "op": "gte", "value": 70}
    assert put_rule(fleet, rule).status_code == 200  # version 2
    stale = fleet.client.put(f"{API}/benefits/measures/{NSU}", params={"base_version": 1},
                             json={"eligibility": {"fact": "age", "op": "gte", "value": 75}},
                             headers=headers)  # fmt: skip
    assert stale.status_code == 409 and "changed since you opened it" in stale.json()["detail"]


def test_each_agency_edits_its_own_catalog_and_never_sees_another(fleet: Fleet) -> None:
    assert put_rule(fleet, {"fact": "age", "op": "gte", "value": 70}).status_code == 200
    own = make_benefit_objects(fleet.context.db(), fleet.agency_a, fleet.context.now())
    b_admin = auth(fleet, "admin@b.example")
    b_nsu = fleet.client.get(f"{API}/benefits/measures/{NSU}", headers=b_admin).json()
    assert b_nsu["catalog_version"] == 1 and b_nsu["item"]["eligibility"] != {
        "fact": "age", "op": "gte", "value": 70,
    }  # fmt: skip
    paths = {
        "measure": f"{API}/benefits/measures/",
        "benefits_agency": f"{API}/benefits/agencies/",
        "parameter": f"{API}/benefits/parameters/",
    }
    for kind, path in paths.items():
        foreign = fleet.client.get(path + own[kind], headers=b_admin)
        assert foreign.status_code == 404
        assert fleet.client.put(path + own[kind], json={}, headers=b_admin).status_code == 404
        assert (
            fleet.client.get(path + own[kind], headers=auth(fleet, "admin@a.example")).status_code
            == 200
        )
    for kind in ("measure", "benefits_agency"):
        assert fleet.client.delete(paths[kind] + own[kind], headers=b_admin).status_code == 404


# profiles and eligibility


def test_staff_save_a_checked_profile_and_see_what_the_resident_may_get(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    social = auth(fleet, "social@a.example")
    url = f"{API}/residents/{resident}/benefits/profile"
    assert fleet.client.get(url, headers=social).json() == {
        "resident_id": resident, "facts": {}, "source": None, "version": 0, "updated_at": None,
    }  # fmt: skip
    facts = {"disability_group": 2, "receives_edv": True, "titles": ["veteran_of_labour"]}
    caregiver = auth(fleet, "caregiver@a.example")
    assert fleet.client.put(url, json={"facts": facts}, headers=caregiver).status_code == 403
    saved = fleet.client.put(url, json={"facts": facts}, headers=social)
    assert saved.status_code == 200, saved.text
    assert saved.json()["source"] == "staff" and saved.json()["facts"] == facts

    fleet.client.patch(f"{API}/residents/{resident}", json={"birth_date": "1941-03-08"},
                       headers=social)  # fmt: skip
    answer = fleet.client.get(f"{API}/residents/{resident}/benefits",
                              params={"lang": "en", "date": "2026-11-23"},
                              headers=auth(fleet, "caregiver@a.example"))  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # The record's birth date and the agency's region join the saved facts.
    assert body["facts"] == {**facts, "birth_date": "1941-03-08", "region": "RU-PER"}
    status = {r["id"]: r["status"] for r in body["results"]}
    assert status["ru.edv_disabled"] == "eligible" and status[NSU] == "eligible"
    assert status["ru.pension_fixed_doubling"] == "unknown"  # insurance pension not known
    doubling = next(r for r in body["results"] if r["id"] == "ru.pension_fixed_doubling")
    assert doubling["missing"] == ["receives_insurance_pension"]
    edv = next(r for r in body["results"] if r["id"] == "ru.edv_disabled")
    assert any("2" in reason for reason in edv["reasons"])
    assert body["results"][0]["agency"]["id"]

    before = fleet.client.get(f"{API}/residents/{resident}/benefits",
                              params={"date": "1940-01-01"}, headers=social)  # fmt: skip
    assert before.status_code == 422 and "birth_date" in before.json()["detail"]

    assert fleet.client.delete(url, headers=social).status_code == 204
    assert fleet.client.get(url, headers=social).json()["source"] is None
    assert fleet.client.delete(url, headers=social).status_code == 204  # nothing left: fine


@pytest.mark.parametrize(
    ("facts", "named"),
    [
        ({"shoe_size": 44}, "shoe_size: unknown fact"),
        ({"disability_group": "two"}, "disability_group: expected a whole number"),
        ({"region": "RU-XXX"}, "region: unknown region code"),
        ({"birth_date": "2030-01-01"}, "birth_date: 2030-01-01 is in the future"),
        ({"age": 80}, "age is computed from birth_date"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_fact(
    fleet: Fleet, facts: dict[str, Any], named: str
) -> None:
    resident = add_resident(fleet)
    url = f"{API}/residents/{resident}/benefits/profile"
    refused = fleet.client.put(url, json={"facts": facts}, headers=auth(fleet, "social@a.example"))
    assert refused.status_code == 422 and named in refused.json()["detail"], refused.text


def test_erasing_a_resident_deletes_the_profile(fleet: Fleet) -> None:
    resident = add_resident(fleet)
    headers = auth(fleet, "admin@a.example")
    fleet.client.put(f"{API}/residents/{resident}/benefits/profile",
                     json={"facts": {"has_ipra": True}}, headers=headers)  # fmt: skip
    assert fleet.client.delete(f"{API}/residents/{resident}", headers=headers).status_code == 204
    rows = fleet.context.db().execute("SELECT COUNT(*) FROM benefit_profiles").fetchone()
    assert rows[0] == 0


def test_changes_go_to_the_rented_robots_of_the_agency_at_once(fleet: Fleet) -> None:
    sent: list[tuple[str, bytes, int, bool]] = []
    fleet.context.publish = lambda *message: sent.append(message)
    db, now = fleet.context.db(), fleet.context.now()
    resident = add_resident(fleet)
    robot = create_robot(db, fleet.agency_a, serial="SN-1", model="HC2", password_hash="x",
                         user_id=None, now=now)  # fmt: skip
    other = create_robot(db, fleet.agency_b, serial="SN-2", model="HC2", password_hash="x",
                         user_id=None, now=now)  # fmt: skip
    b_resident = add_resident(fleet, "b")
    for agency, robot_id, who in ((fleet.agency_a, robot, resident),
                                  (fleet.agency_b, other, b_resident)):  # fmt: skip
        rental = create_rental(db, agency, robot_id=robot_id, resident_id=who,
                               starts_on="2026-11-23", user_id=None, now=now)  # fmt: skip
        hand_over(db, agency, rental, user_id=None, now=now)

    rule = {"fact": "age", "op": "gte", "value": 70}
    assert put_rule(fleet, rule).status_code == 200
    assert [(t, q, r) for t, _, q, r in sent] == [(config_topic(robot, "benefits"), 1, True)]
    config = decode(DesiredConfig, sent[0][1])
    assert isinstance(config.data, dict) and config.version == 1
    nsu = next(m for m in config.data["catalog"]["measures"] if m["id"] == NSU)
    assert nsu["eligibility"] == rule and config.data["profile"] == {"region": "RU-PER"}

    url = f"{API}/residents/{resident}/benefits/profile"
    fleet.client.put(
        url, json={"facts": {"has_ipra": True}}, headers=auth(fleet, "social@a.example")
    )
    fleet.client.put(
        url, json={"facts": {"has_ipra": True}}, headers=auth(fleet, "social@a.example")
    )
    assert len(sent) == 2  # the same profile again is no change
    second = decode(DesiredConfig, sent[1][1])
    assert second.version == 2 and second.data["profile"] == {"has_ipra": True, "region": "RU-PER"}  # type: ignore[call-overload]

    rental_id = db.execute("SELECT id FROM rentals WHERE robot_id = ?", (robot,)).fetchone()[0]
    return_rental(db, fleet.agency_a, rental_id, user_id=None, now=now)
    fleet.client.delete(url, headers=auth(fleet, "social@a.example"))
    assert len(sent) == 2  # no active rental: nothing sent now (the periodic sync clears it)
