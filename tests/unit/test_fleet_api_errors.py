"""User mistakes get clear 4xx answers naming the problem, never a stack trace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleet.api.limits import MAX_BODY_BYTES
from tests.fleet_api import Fleet, make_fleet

ROBOTS = "/api/v1/robots"
RESIDENTS = "/api/v1/residents"
RENTALS = "/api/v1/rentals"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """One fleet for the tests that change nothing (each fleet costs argon2 hashes)."""
    yield from make_fleet(tmp_path_factory.mktemp("fleet"))


@pytest.fixture(scope="module")
def admin(shared: Fleet) -> dict[str, str]:
    return shared.headers("admin@a.example")


def _fields(response_json: dict[str, object]) -> set[tuple[object, ...]]:
    detail = response_json["detail"]
    assert isinstance(detail, list)
    return {tuple(error["loc"]) for error in detail}


def test_a_body_that_is_not_json_is_400_saying_so(shared: Fleet, admin: dict[str, str]) -> None:
    response = shared.client.post(
        ROBOTS,
        content=b'{"serial": "HC-1", "model": ',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "the request body is not valid JSON"}


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (ROBOTS, {"serial": "HC-1", "model": "HC2", "colour": "red"}, "colour"),
        (RESIDENTS, {"full_name": "Анна", "passport": "4510 123456"}, "passport"),
        (RENTALS, {"robot_id": "r-x", "resident_id": 1, "starts_on": "2026-12-01", "fee": 5},
         "fee"),
        (RESIDENTS, {"full_name": "Анна", "contacts": [{"name": "Олег", "phone": "+7 900 1",
                                                         "email": "o@x"}]},
         "email"),
    ],
)  # fmt: skip
def test_an_unknown_field_is_422_naming_it(
    shared: Fleet, admin: dict[str, str], url: str, body: dict[str, object], field: str
) -> None:
    response = shared.client.post(url, json=body, headers=admin)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == field
    assert error["type"] == "extra_forbidden"


def test_an_oversized_body_is_413(shared: Fleet, admin: dict[str, str]) -> None:
    body = {"full_name": "Анна", "address": "x" * (MAX_BODY_BYTES + 1)}
    response = shared.client.post(RESIDENTS, json=body, headers=admin)
    assert response.status_code == 413
    assert str(MAX_BODY_BYTES) in response.json()["detail"]


def test_an_oversized_body_without_a_length_is_413_too(
    shared: Fleet, admin: dict[str, str]
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"full_name": "'
        for _ in range(MAX_BODY_BYTES // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    response = shared.client.post(
        RESIDENTS, content=chunks(), headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("url", "body", "fields"),
    [
        (ROBOTS, {"serial": 123, "model": ["HC2"]}, {("body", "serial"), ("body", "model")}),
        (ROBOTS, {"serial": "has spaces", "model": "HC2"}, {("body", "serial")}),
        (RESIDENTS, {"full_name": "Анна", "birth_date": "yesterday"}, {("body", "birth_date")}),
        (RESIDENTS, {"full_name": "Анна", "disability_group": 4}, {("body", "disability_group")}),
        (RESIDENTS, {"full_name": "Анна", "language": "de"}, {("body", "language")}),
        (RESIDENTS, {"full_name": ""}, {("body", "full_name")}),
        (RESIDENTS, {"full_name": "Анна", "consents": {"Video Calls": True}},
         {("body", "consents", "Video Calls", "[key]")}),
        (RENTALS, {"robot_id": "r-x", "resident_id": "first", "starts_on": "2026-12-01"},
         {("body", "resident_id")}),
        (RENTALS, {"robot_id": "r/#", "resident_id": 1, "starts_on": "2026-12-01"},
         {("body", "robot_id")}),
    ],
)  # fmt: skip
def test_wrong_types_and_values_are_422_naming_the_fields(
    shared: Fleet,
    admin: dict[str, str],
    url: str,
    body: dict[str, object],
    fields: set[tuple[str, ...]],
) -> None:
    response = shared.client.post(url, json=body, headers=admin)
    assert response.status_code == 422
    assert _fields(response.json()) == fields


def test_a_json_array_instead_of_an_object_is_422(shared: Fleet, admin: dict[str, str]) -> None:
    response = shared.client.post(ROBOTS, json=["HC-1", "HC2"], headers=admin)
    assert response.status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        f"{ROBOTS}?limit=501",
        f"{ROBOTS}?limit=0",
        f"{ROBOTS}?offset=-1",
        f"{ROBOTS}?online=maybe",
        f"{ROBOTS}?status=lost",
        f"{RENTALS}?status=late",
        f"{RESIDENTS}/not-a-number",
    ],
)
def test_bad_query_and_path_parameters_are_422(
    shared: Fleet, admin: dict[str, str], url: str
) -> None:
    response = shared.client.get(url, headers=admin)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] in {"query", "path"}


@pytest.mark.parametrize("url", [ROBOTS, RESIDENTS, RENTALS, "/api/v1/audit"])
def test_no_token_is_401(shared: Fleet, url: str) -> None:
    response = shared.client.get(url)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "not signed in" in response.json()["detail"]


def test_an_expired_token_is_401_on_the_resource_routes(fleet: Fleet) -> None:
    headers = fleet.headers("admin@a.example")
    fleet.clock.advance((fleet.context.settings.token_ttl_minutes + 1) * 60)
    response = fleet.client.get(ROBOTS, headers=headers)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_forged_token_is_401(shared: Fleet) -> None:
    response = shared.client.get(RESIDENTS, headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("email", "method", "url"),
    [
        ("caregiver@a.example", "POST", RESIDENTS),
        ("caregiver@a.example", "POST", RENTALS),
        ("social@a.example", "POST", ROBOTS),
        ("operator@a.example", "GET", "/api/v1/audit"),
        ("social@a.example", "DELETE", f"{RESIDENTS}/1"),
    ],
)
def test_a_role_that_may_not_is_403_naming_the_roles(
    shared: Fleet, email: str, method: str, url: str
) -> None:
    response = shared.client.request(method, url, headers=shared.headers(email), json={})
    assert response.status_code == 403
    assert "this needs the role" in response.json()["detail"]
