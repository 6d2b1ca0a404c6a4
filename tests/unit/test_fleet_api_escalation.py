"""Escalation in the API: residents' chains, the agency's duty channels and secret."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.store.residents import create_resident
from tests.fleet_api import Fleet

CHAIN: dict[str, Any] = {
    "steps": [
        {"who": "operator_on_duty", "channel": "webhook", "deadline_s": 60},
        {"who": "contact", "channel": "email", "target": "daughter@family.example",
         "contact_name": "Мария", "deadline_s": 300},
    ]
}  # fmt: skip


@pytest.fixture
def resident(fleet: Fleet) -> int:
    db = fleet.context.db()
    return create_resident(db, fleet.agency_a, {"full_name": "Анна"}, user_id=None, now=0.0)


def test_a_chain_is_set_and_read_back(fleet: Fleet, resident: int) -> None:
    url = f"/api/v1/residents/{resident}/escalation"
    caregiver = fleet.headers("caregiver@a.example")
    before = fleet.client.get(url, headers=caregiver).json()
    assert before == {"resident_id": resident, "steps": [], "uses_agency_default": True}
    put = fleet.client.put(url, json=CHAIN, headers=fleet.headers("social@a.example"))
    assert put.status_code == 200, put.text
    after = fleet.client.get(url, headers=caregiver).json()
    assert after["uses_agency_default"] is False
    assert after["steps"] == [
        {"who": "operator_on_duty", "channel": "webhook", "target": "", "contact_name": "",
         "deadline_s": 60},
        {"who": "contact", "channel": "email", "target": "daughter@family.example",
         "contact_name": "Мария", "deadline_s": 300},
    ]  # fmt: skip


def test_caregivers_may_not_edit_and_other_agencies_get_404(fleet: Fleet, resident: int) -> None:
    url = f"/api/v1/residents/{resident}/escalation"
    assert (
        fleet.client.put(url, json=CHAIN, headers=fleet.headers("caregiver@a.example")).status_code
        == 403
    )
    other = fleet.headers("admin@b.example")
    assert fleet.client.get(url, headers=other).status_code == 404
    put = fleet.client.put(url, json=CHAIN, headers=other)
    assert put.status_code == 404 and put.json()["detail"] == f"resident {resident} not found"


def _step(**changes: Any) -> dict[str, Any]:
    good = {"who": "contact", "channel": "email", "target": "a@family.example", "deadline_s": 60}
    return {key: value for key, value in {**good, **changes}.items() if value is not None}


@pytest.mark.parametrize(
    ("step", "field"),
    [
        (_step(deadline_s=29), "deadline_s"),
        (_step(deadline_s=86401), "deadline_s"),
        (_step(target="not-an-address"), "target"),
        (_step(channel="webhook", target="ftp://x.example/"), "target"),
        (_step(target=None), "target"),
        (_step(who="neighbour"), "who"),
    ],
)
def test_bad_steps_are_422_naming_the_problem(
    fleet: Fleet, resident: int, step: dict[str, Any], field: str
) -> None:
    url = f"/api/v1/residents/{resident}/escalation"
    response = fleet.client.put(
        url, json={"steps": [step]}, headers=fleet.headers("admin@a.example")
    )
    assert response.status_code == 422, response.text
    assert field in response.text


def test_a_chain_needs_a_step(fleet: Fleet, resident: int) -> None:
    url = f"/api/v1/residents/{resident}/escalation"
    response = fleet.client.put(url, json={"steps": []}, headers=fleet.headers("admin@a.example"))
    assert response.status_code == 422 and "steps" in response.text


def test_the_agency_settings_are_for_admins_with_a_secret_that_rotates(fleet: Fleet) -> None:
    url = "/api/v1/agency/escalation"
    admin = fleet.headers("admin@a.example")
    assert fleet.client.get(url, headers=fleet.headers("operator@a.example")).status_code == 403
    first = fleet.client.get(url, headers=admin).json()
    assert first["duty_webhook_url"] is None and len(first["webhook_secret"]) == 64
    body = {
        "duty_webhook_url": "https://duty.agency.example/hook",
        "duty_email": "duty@agency.example",
    }
    kept = fleet.client.put(url, json=body, headers=admin).json()
    assert kept["duty_email"] == "duty@agency.example"
    assert kept["webhook_secret"] == first["webhook_secret"]
    rotated = fleet.client.put(url, json={**body, "rotate_secret": True}, headers=admin).json()
    assert rotated["webhook_secret"] != first["webhook_secret"]
    other = fleet.client.get(url, headers=fleet.headers("admin@b.example")).json()
    assert other["duty_email"] is None and other["webhook_secret"] != rotated["webhook_secret"]
    bad = fleet.client.put(url, json={"duty_email": "nope"}, headers=admin)
    assert bad.status_code == 422 and "duty_email" in bad.text


def test_agency_changes_are_audited_without_the_secret(fleet: Fleet) -> None:
    url = "/api/v1/agency/escalation"
    admin = fleet.headers("admin@a.example")
    body = {"duty_email": "duty@agency.example", "rotate_secret": True}
    secret = fleet.client.put(url, json=body, headers=admin).json()["webhook_secret"]
    log = fleet.client.get("/api/v1/audit", params={"object_type": "agency"}, headers=admin)
    assert log.status_code == 200, log.text
    [entry] = log.json()["items"]
    assert entry["changes"] == {"duty_email": [None, "duty@agency.example"], "webhook_secret": None}
    assert secret not in log.text
