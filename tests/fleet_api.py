"""Helpers for API tests: a fleet with two agencies, and signing in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from fastapi.testclient import TestClient

from fleet.api.security import hash_password
from fleet.app import create_app
from fleet.context import FleetContext
from fleet.store import open_database
from fleet.store.accounts import Role, create_agency, create_user, signing_key
from homecare.clock import ManualClock
from homecare.settings import FleetSettings

PASSWORD = "Correct-Horse-42"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@cache
def password_hash() -> str:
    """PASSWORD's argon2 hash, made once: argon2 is slow by design, tests need not be."""
    return hash_password(PASSWORD)


@dataclass
class Fleet:
    client: TestClient
    context: FleetContext
    clock: ManualClock
    agency_a: int
    agency_b: int

    def headers(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        """Sign in as `email` and return the Authorization header."""
        response = self.client.post(
            "/api/v1/auth/token", data={"username": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def add_user(self, agency_id: int, email: str, role: Role) -> None:
        db = self.context.db()
        create_user(
            db,
            agency_id,
            email=email,
            password_hash=password_hash(),
            full_name=email.split("@", maxsplit=1)[0],
            role=role,
            now=0.0,
        )


def make_fleet(tmp_path: Path) -> Iterator[Fleet]:
    """Agency A (users admin@a, operator@a, social@a, caregiver@a) and agency B (admin@b)."""
    clock = ManualClock(START)
    db_path = tmp_path / "fleet.db"
    db = open_database(db_path, clock)
    agency_a = create_agency(db, "Agency A", "RU-PER", 0.0)
    agency_b = create_agency(db, "Agency B", "RU-PER", 0.0)
    key = signing_key(db, 0.0)
    db.conn.close()
    settings = FleetSettings(db_path=db_path)
    context = FleetContext(db_path=db_path, clock=clock, settings=settings, signing_key=key)
    with TestClient(create_app(context)) as client:
        fleet = Fleet(client, context, clock, agency_a, agency_b)
        for role, name in (
            ("admin", "admin"),
            ("operator", "operator"),
            ("social_worker", "social"),
            ("caregiver", "caregiver"),
        ):
            fleet.add_user(agency_a, f"{name}@a.example", role)  # type: ignore[arg-type]
        fleet.add_user(agency_b, "admin@b.example", "admin")
        yield fleet
