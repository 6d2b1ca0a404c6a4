"""`homecare fleet ...` as an agency's administrator runs it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.integration.test_cli import assert_one_line_error, run

STRONG = "Correct-Horse-42"


def test_init_creates_the_database_with_an_agency_and_its_admin(tmp_path: Path) -> None:
    db = tmp_path / "fleet" / "fleet.db"
    result = run(
        "fleet", "init", "--db", str(db), "--admin-email", "Boss@Agency.example",
        "--admin-password", STRONG, "--agency", "Perm social services",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Perm social services" in result.stdout
    with sqlite3.connect(db) as connection:
        users = connection.execute("SELECT email, role, password_hash FROM users").fetchall()
    assert [(email, role) for email, role, _ in users] == [("boss@agency.example", "admin")]
    assert users[0][2].startswith("$argon2id$")  # never the clear password


def test_init_refuses_a_weak_password_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "fleet.db"
    result = run(
        "fleet", "init", "--db", str(db), "--admin-email", "a@b.example",
        "--admin-password", "password",
    )  # fmt: skip
    assert_one_line_error(result, "password is too short")
    assert not db.exists()


def test_init_refuses_a_second_agency_of_the_same_name(tmp_path: Path) -> None:
    db = tmp_path / "fleet.db"
    args = ["fleet", "init", "--db", str(db), "--admin-password", STRONG]
    assert run(*args, "--admin-email", "one@b.example").returncode == 0
    assert_one_line_error(run(*args, "--admin-email", "two@b.example"), "already exists")


def test_init_refuses_something_that_is_not_an_email(tmp_path: Path) -> None:
    result = run(
        "fleet", "init", "--db", str(tmp_path / "f.db"), "--admin-email", "admin",
        "--admin-password", STRONG,
    )  # fmt: skip
    assert_one_line_error(result, "not an email address")


def test_serve_without_a_database_says_how_to_make_one(tmp_path: Path) -> None:
    result = run("fleet", "serve", "--db", str(tmp_path / "missing.db"))
    assert_one_line_error(result, "no fleet database", "homecare fleet init")


def test_serve_refuses_a_malformed_broker_url(tmp_path: Path) -> None:
    db = tmp_path / "fleet.db"
    run("fleet", "init", "--db", str(db), "--admin-email", "a@b.example",
        "--admin-password", STRONG)  # fmt: skip
    result = run("fleet", "serve", "--db", str(db), "--mqtt", "http://broker")
    assert_one_line_error(result, "broker URL", "mqtt://")
