from __future__ import annotations

import pytest

from fleet.api.security import WeakPasswordError, check_password_strength
from tests.fleet_api import Fleet


def test_password_flow_issues_a_token_that_opens_the_api(fleet: Fleet) -> None:
    headers = fleet.headers("operator@a.example")
    me = fleet.client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["role"] == "operator"
    assert me.json()["agency_id"] == fleet.agency_a


def test_email_is_case_insensitive(fleet: Fleet) -> None:
    assert fleet.headers("Operator@A.example")


@pytest.mark.parametrize(
    ("username", "password"),
    [("operator@a.example", "wrong-password"), ("nobody@a.example", "Correct-Horse-42")],
)
def test_wrong_credentials_are_401_without_saying_which_part(
    fleet: Fleet, username: str, password: str
) -> None:
    response = fleet.client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "wrong email or password"


def test_an_expired_token_is_401_saying_so(fleet: Fleet) -> None:
    headers = fleet.headers("operator@a.example")
    fleet.clock.advance((fleet.context.settings.token_ttl_minutes + 1) * 60)
    response = fleet.client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize(
    "header", ["Bearer not-a-token", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", ""]
)
def test_malformed_or_missing_tokens_are_401(fleet: Fleet, header: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = fleet.client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_token_signed_with_another_key_is_refused(fleet: Fleet) -> None:
    headers = fleet.headers("operator@a.example")
    fleet.context.signing_key = "another-deployment-with-its-own-key-of-48-chars"
    response = fleet.client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert "signature" in response.json()["detail"]


def test_token_form_without_fields_is_422_naming_them(fleet: Fleet) -> None:
    response = fleet.client.post("/api/v1/auth/token", data={})
    assert response.status_code == 422
    missing = {tuple(error["loc"]) for error in response.json()["detail"]}
    assert ("body", "username") in missing


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short1A!", "too short"),
        ("aaaaaaaaaaaaaa", "repetitive"),
        ("alllowercaseletters", "too simple"),
        ("Maria.Petrova-2026", "email"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, why: str) -> None:
    with pytest.raises(WeakPasswordError, match=why):
        check_password_strength(password, "maria.petrova@agency.example")


def test_a_strong_password_or_a_long_passphrase_is_accepted() -> None:
    check_password_strength("Correct-Horse-42")
    check_password_strength("correct horse battery staple")
