"""Residents API: personal data, its audit trail (names only), erasure, and the audit route."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fleet.store import audit
from fleet.store.residents import list_residents
from tests.fleet_api import Fleet

RESIDENTS = "/api/v1/residents"
AUDIT = "/api/v1/audit"
MARIA = {
    "full_name": "Мария Ивановна Петрова",
    "address": "Пермь, ул. Ленина, 1, кв. 5",
    "language": "ru",
    "birth_date": "1941-05-09",
    "disability_group": 2,
    "contacts": [{"name": "Ольга", "relation": "дочь", "phone": "+7 912 345-67-89"}],
    "consents": {"video_calls": True, "data_sharing": False},
}


def _create(fleet: Fleet, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = fleet.client.post(RESIDENTS, json={**MARIA, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _audit_rows(fleet: Fleet) -> list[tuple[str, str, str, str]]:
    return (
        fleet.context.db()
        .execute("SELECT action, object_type, object_id, changes FROM audit_log ORDER BY id")
        .fetchall()
    )


def test_create_and_read_back_every_field(fleet: Fleet) -> None:
    created = _create(fleet, fleet.headers("social@a.example"))
    assert {key: created[key] for key in MARIA} == MARIA
    again = fleet.client.get(
        f"{RESIDENTS}/{created['id']}", headers=fleet.headers("caregiver@a.example")
    )
    assert again.json() == created


def test_defaults_for_everything_but_the_name(fleet: Fleet) -> None:
    response = fleet.client.post(
        RESIDENTS, json={"full_name": "Анна"}, headers=fleet.headers("operator@a.example")
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["address"], body["language"], body["birth_date"]) == ("", "ru", None)
    assert (body["contacts"], body["consents"], body["disability_group"]) == ([], {}, None)


def test_the_audit_keeps_field_names_of_personal_data_never_values(fleet: Fleet) -> None:
    headers = fleet.headers("social@a.example")
    resident = _create(fleet, headers)
    fleet.client.patch(
        f"{RESIDENTS}/{resident['id']}",
        json={"address": "Пермь, ул. Мира, 7", "consents": {"video_calls": False}},
        headers=headers,
    )
    rows = _audit_rows(fleet)
    assert [(action, kind) for action, kind, _, _ in rows] == [
        ("create", "resident"),
        ("update", "resident"),
    ]
    changes = json.loads(rows[1][3])
    assert changes == {
        "address": None,
        "consents": [{"data_sharing": False, "video_calls": True}, {"video_calls": False}],
    }
    everything = json.dumps(rows, ensure_ascii=False)
    for secret in ("Петрова", "Ленина", "Мира", "1941", "+7 912"):
        assert secret not in everything


def test_patch_changes_only_what_it_names_and_null_clears_optional_fields(fleet: Fleet) -> None:
    headers = fleet.headers("operator@a.example")
    resident = _create(fleet, headers)
    url = f"{RESIDENTS}/{resident['id']}"
    fleet.clock.advance(60)
    response = fleet.client.patch(url, json={"birth_date": None, "language": "en"}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["birth_date"], body["language"], body["full_name"]) == (
        None,
        "en",
        MARIA["full_name"],
    )
    assert body["updated_at"] == resident["created_at"] + 60
    refused = fleet.client.patch(url, json={"full_name": None}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "full_name"]


def test_a_patch_that_changes_nothing_writes_no_audit(fleet: Fleet) -> None:
    headers = fleet.headers("operator@a.example")
    resident = _create(fleet, headers)
    response = fleet.client.patch(
        f"{RESIDENTS}/{resident['id']}", json={"language": "ru"}, headers=headers
    )
    assert response.status_code == 200
    assert len(_audit_rows(fleet)) == 1


def test_search_by_name_ignores_case_in_any_alphabet_and_pages(fleet: Fleet) -> None:
    headers = fleet.headers("admin@a.example")
    for name in ("Мария Петрова", "Пётр Сидоров", "Anna Smith", "100% Иванов"):
        _create(fleet, headers, full_name=name)
    _create(fleet, fleet.headers("admin@b.example"), full_name="Мария из агентства Б")

    def names(query: str) -> list[str]:
        response = fleet.client.get(f"{RESIDENTS}?{query}", headers=headers)
        assert response.status_code == 200
        return [resident["full_name"] for resident in response.json()["items"]]

    assert names("q=мария") == ["Мария Петрова"]
    assert names("q=ANNA") == ["Anna Smith"]
    assert names("q=%25") == ["100% Иванов"]
    assert names("q=_") == []
    page = fleet.client.get(f"{RESIDENTS}?limit=2&offset=1", headers=headers).json()
    assert (page["total"], len(page["items"])) == (4, 2)
    store_page = list_residents(fleet.context.db(), fleet.agency_a, q="пётр")
    assert [resident.full_name for resident in store_page.items] == ["Пётр Сидоров"]


def test_erasure_blanks_personal_data_and_hides_the_resident(fleet: Fleet) -> None:
    headers = fleet.headers("admin@a.example")
    resident = _create(fleet, headers)
    url = f"{RESIDENTS}/{resident['id']}"
    assert fleet.client.delete(url, headers=headers).status_code == 204
    assert fleet.client.get(url, headers=headers).status_code == 404
    assert fleet.client.get(RESIDENTS, headers=headers).json()["total"] == 0
    assert fleet.client.delete(url, headers=headers).status_code == 404
    row = (
        fleet.context.db()
        .execute(
            "SELECT full_name, address, birth_date, disability_group, contacts, consents,"
            " search_name, erased_at FROM residents WHERE id = ?",
            (resident["id"],),
        )
        .fetchone()
    )
    assert row[:7] == ("", "", None, None, "[]", "{}", "")
    assert row[7] == fleet.context.now()
    action, _, object_id, changes = _audit_rows(fleet)[-1]
    assert (action, object_id) == ("erase", str(resident["id"]))
    assert "Петрова" not in changes
    assert "full_name" in json.loads(changes)


def test_erasure_is_refused_while_a_rental_is_open(fleet: Fleet) -> None:
    headers = fleet.headers("admin@a.example")
    resident = _create(fleet, headers)
    robot = fleet.client.post(
        "/api/v1/robots", json={"serial": "HC-1", "model": "HC2"}, headers=headers
    ).json()
    rental = fleet.client.post(
        "/api/v1/rentals",
        json={"robot_id": robot["id"], "resident_id": resident["id"], "starts_on": "2026-12-01"},
        headers=headers,
    ).json()
    url = f"{RESIDENTS}/{resident['id']}"
    refused = fleet.client.delete(url, headers=headers)
    assert refused.status_code == 409
    assert f"rental {rental['id']} (planned)" in refused.json()["detail"]
    assert [row[0] for row in _audit_rows(fleet)].count("erase") == 0
    fleet.client.post(f"/api/v1/rentals/{rental['id']}/cancel", headers=headers)
    assert fleet.client.delete(url, headers=headers).status_code == 204
    past = fleet.client.get(f"/api/v1/rentals/{rental['id']}", headers=headers)
    assert past.json()["resident_id"] == resident["id"]


def test_a_change_and_its_audit_row_commit_together(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = fleet.headers("admin@a.example")

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit disk full")

    monkeypatch.setattr(audit, "record", broken_audit)
    with pytest.raises(RuntimeError, match="audit disk full"):
        fleet.client.post(RESIDENTS, json=MARIA, headers=headers)
    monkeypatch.undo()
    assert fleet.client.get(RESIDENTS, headers=headers).json()["total"] == 0


@pytest.mark.parametrize(
    ("email", "create", "erase"),
    [
        ("admin@a.example", 201, 204),
        ("operator@a.example", 201, 403),
        ("social@a.example", 201, 403),
        ("caregiver@a.example", 403, 403),
    ],
)
def test_roles(fleet: Fleet, email: str, create: int, erase: int) -> None:
    headers = fleet.headers(email)
    existing = _create(fleet, fleet.headers("admin@a.example"))
    assert fleet.client.post(RESIDENTS, json=MARIA, headers=headers).status_code == create
    assert fleet.client.get(f"{RESIDENTS}/{existing['id']}", headers=headers).status_code == 200
    patched = fleet.client.patch(
        f"{RESIDENTS}/{existing['id']}", json={"address": "x"}, headers=headers
    )
    assert patched.status_code == (403 if create == 403 else 200)
    erased = fleet.client.delete(f"{RESIDENTS}/{existing['id']}", headers=headers)
    assert erased.status_code == erase


def test_the_audit_route_is_for_admins_filtered_and_paged(fleet: Fleet) -> None:
    admin = fleet.headers("admin@a.example")
    first = _create(fleet, admin)
    second = _create(fleet, admin, full_name="Анна")
    fleet.client.patch(f"{RESIDENTS}/{first['id']}", json={"address": "x"}, headers=admin)
    _create(fleet, fleet.headers("admin@b.example"))

    everything = fleet.client.get(AUDIT, headers=admin).json()
    assert everything["total"] == 3  # agency B's row is not A's business
    one = fleet.client.get(
        f"{AUDIT}?object_type=resident&object_id={first['id']}", headers=admin
    ).json()
    assert [entry["action"] for entry in one["items"]] == ["update", "create"]
    assert one["items"][0]["changes"] == {"address": None}
    assert (
        one["items"][0]["user_id"]
        == fleet.client.get("/api/v1/auth/me", headers=admin).json()["id"]
    )
    page = fleet.client.get(f"{AUDIT}?limit=1&offset=1", headers=admin).json()
    assert page["items"][0]["object_id"] == str(second["id"])
    assert fleet.client.get(f"{AUDIT}?object_type=car", headers=admin).status_code == 422
    for email in ("operator@a.example", "social@a.example", "caregiver@a.example"):
        assert fleet.client.get(AUDIT, headers=fleet.headers(email)).status_code == 403
