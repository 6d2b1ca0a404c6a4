from __future__ import annotations

import pytest

from tests.fleet_api import PASSWORD, Fleet

USERS = "/api/v1/users"


def test_an_admin_adds_a_social_worker_who_can_then_sign_in(fleet: Fleet) -> None:
    admin = fleet.headers("admin@a.example")
    body = {"email": "Olga@A.example", "full_name": "Ольга", "role": "social_worker",
            "password": "Kama-River-2026"}  # fmt: skip
    created = fleet.client.post(USERS, json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "olga@a.example"
    assert "password" not in created.text and "argon2" not in created.text
    me = fleet.client.get("/api/v1/auth/me", headers=fleet.headers("olga@a.example",
                                                                    "Kama-River-2026"))  # fmt: skip
    assert me.json()["role"] == "social_worker"
    audit = fleet.client.get("/api/v1/audit", params={"object_type": "user"}, headers=admin)
    entry = audit.json()["items"][0]
    assert entry["changes"]["email"] is None  # the address itself is not copied into the log
    assert entry["changes"]["role"] == [None, "social_worker"]


def test_only_admins_manage_staff(fleet: Fleet) -> None:
    operator = fleet.headers("operator@a.example")
    assert fleet.client.get(USERS, headers=operator).status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"email": "x@a.example", "full_name": "X", "role": "caregiver", "password": "short"},
         422, "too short"),
        ({"email": "operator@a.example", "full_name": "X", "role": "caregiver",
          "password": PASSWORD}, 409, "already exists"),
        ({"email": "not-an-email", "full_name": "X", "role": "caregiver", "password": PASSWORD},
         422, "email"),
        ({"email": "y@a.example", "full_name": "Y", "role": "root", "password": PASSWORD},
         422, "role"),
    ],
)  # fmt: skip
def test_bad_new_users_are_refused_with_the_reason(
    fleet: Fleet, body: dict[str, str], status: int, words: str
) -> None:
    response = fleet.client.post(USERS, json=body, headers=fleet.headers("admin@a.example"))
    assert response.status_code == status
    assert words in response.text


def test_disabling_a_user_locks_them_out_at_once(fleet: Fleet) -> None:
    admin = fleet.headers("admin@a.example")
    caregiver = fleet.headers("caregiver@a.example")
    users = fleet.client.get(USERS, headers=admin).json()["items"]
    caregiver_id = next(u["id"] for u in users if u["email"] == "caregiver@a.example")
    response = fleet.client.patch(f"{USERS}/{caregiver_id}", json={"active": False}, headers=admin)
    assert response.status_code == 200 and response.json()["active"] is False
    assert fleet.client.get("/api/v1/auth/me", headers=caregiver).status_code == 401
    refused = fleet.client.post(
        "/api/v1/auth/token", data={"username": "caregiver@a.example", "password": PASSWORD}
    )
    assert refused.status_code == 401


def test_an_admin_cannot_lock_themselves_out(fleet: Fleet) -> None:
    admin = fleet.headers("admin@a.example")
    me = fleet.client.get("/api/v1/auth/me", headers=admin).json()["id"]
    for change in ({"role": "operator"}, {"active": False}):
        response = fleet.client.patch(f"{USERS}/{me}", json=change, headers=admin)
        assert response.status_code == 409
        assert "yourself" in response.json()["detail"] or "own" in response.json()["detail"]


def test_changing_your_own_password(fleet: Fleet) -> None:
    headers = fleet.headers("operator@a.example")
    url = "/api/v1/auth/password"
    wrong = {"current_password": "nope", "new_password": "Another-Strong-77"}
    assert fleet.client.post(url, json=wrong, headers=headers).status_code == 403
    weak = {"current_password": PASSWORD, "new_password": "abc"}
    assert fleet.client.post(url, json=weak, headers=headers).status_code == 422
    good = {"current_password": PASSWORD, "new_password": "Another-Strong-77"}
    assert fleet.client.post(url, json=good, headers=headers).status_code == 204
    assert fleet.headers("operator@a.example", "Another-Strong-77")


def test_a_patch_may_leave_fields_out_but_not_send_null(fleet: Fleet) -> None:
    admin = fleet.headers("admin@a.example")
    users = fleet.client.get(USERS, headers=admin).json()["items"]
    caregiver_id = next(u["id"] for u in users if u["email"] == "caregiver@a.example")
    response = fleet.client.patch(f"{USERS}/{caregiver_id}", json={"role": None}, headers=admin)
    assert response.status_code == 422
    assert "not null" in response.text
    unchanged = fleet.client.patch(f"{USERS}/{caregiver_id}", json={}, headers=admin)
    assert unchanged.json()["role"] == "caregiver"
