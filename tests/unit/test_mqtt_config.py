"""`homecare fleet mqtt-config`: the mosquitto files written from the fleet database.

mosquitto itself runs these files in tests/integration/test_mosquitto_config.py.
"""

from __future__ import annotations

import os
import pwd
import sqlite3
import stat
from pathlib import Path

import pytest

from fleet.mqtt_config import MOSQUITTO_USER, write_mosquitto_config
from fleet.mqtt_passwords import hash_mqtt_password, verify_mqtt_password
from homecare.errors import HomecareError
from tests.broker import ROBOTS, make_broker_db


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return make_broker_db(tmp_path / "fleet.db")


def passwd_entries(path: Path) -> dict[str, str]:
    return dict(line.split(":", 1) for line in path.read_text(encoding="utf-8").splitlines())


def add_robot(db_path: Path, rid: str, password: str) -> None:
    with sqlite3.connect(db_path) as db:
        db.execute(
            "INSERT INTO robots (id, agency_id, serial, model, mqtt_password_hash, created_at)"
            " VALUES (?, 1, ?, 'test', ?, 0)",
            (rid, f"SN-{rid}", hash_mqtt_password(password)),
        )


def test_writes_a_config_a_password_file_and_an_acl(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "etc" / "mosquitto"  # made, parents too
    written = write_mosquitto_config(db_path, out, listener_host="127.0.0.1", port=18883)

    conf = written.config_file.read_text(encoding="utf-8")
    for line in (
        "listener 18883 127.0.0.1",
        "allow_anonymous false",
        f"password_file {out.resolve() / 'passwd'}",
        f"acl_file {out.resolve() / 'acl'}",
        "persistence true",
        f"persistence_location {out.resolve() / 'data'}/",
        "max_queued_messages 10000",
        "max_inflight_messages 200",
    ):
        assert line in conf.splitlines(), line
    assert written.persistence_dir.is_dir()

    entries = passwd_entries(written.password_file)
    assert list(entries) == ["homecare-fleet", "r1", "r2"]  # r9 is retired
    assert written.robots == ("r1", "r2")
    assert written.service_password is not None  # made up, to be shown once
    assert verify_mqtt_password(entries["homecare-fleet"], written.service_password)
    assert verify_mqtt_password(entries["r1"], ROBOTS["r1"][1])


def test_the_acl_confines_each_robot_to_its_own_topics(db_path: Path, tmp_path: Path) -> None:
    written = write_mosquitto_config(db_path, tmp_path / "out")
    rules = [
        line for line in written.acl_file.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]  # fmt: skip
    assert rules == [
        "pattern readwrite hc/v1/r/%u/#",
        "pattern read hc/v1/svc/fleet/state",
        "user homecare-fleet",
        "topic readwrite hc/v1/#",
    ]


def test_secrets_are_readable_by_their_owner_only(db_path: Path, tmp_path: Path) -> None:
    written = write_mosquitto_config(db_path, tmp_path / "out")
    for secret in (written.password_file, written.acl_file):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    # Written by root, they belong to the user mosquitto drops to, or it could not read them.
    if os.geteuid() == 0 and _user_exists(MOSQUITTO_USER):
        owner = pwd.getpwnam(MOSQUITTO_USER).pw_uid
    else:
        owner = os.geteuid()
    assert written.password_file.stat().st_uid == owner
    assert written.persistence_dir.stat().st_uid == owner


def test_a_rerun_adds_new_robots_and_keeps_the_service_password(
    db_path: Path, tmp_path: Path
) -> None:
    first = write_mosquitto_config(db_path, tmp_path / "out")
    service_hash = passwd_entries(first.password_file)["homecare-fleet"]
    add_robot(db_path, "r3", "r3-password")
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE robots SET status = 'retired' WHERE id = 'r2'")

    again = write_mosquitto_config(db_path, tmp_path / "out")
    entries = passwd_entries(again.password_file)
    assert list(entries) == ["homecare-fleet", "r1", "r3"]
    assert entries["homecare-fleet"] == service_hash
    assert again.service_password is None  # nothing new to show
    assert again.config_file.read_text() == first.config_file.read_text()
    assert sorted(p.name for p in again.out_dir.iterdir()) == ["acl", "data", "mosquitto.conf",
                                                               "passwd"]  # fmt: skip

    chosen = write_mosquitto_config(db_path, tmp_path / "out", service_password="chosen-one")
    assert chosen.service_password is None  # the caller knows it
    assert verify_mqtt_password(passwd_entries(chosen.password_file)["homecare-fleet"],
                                "chosen-one")  # fmt: skip


def test_robot_ids_mosquitto_cannot_take_are_left_out(db_path: Path, tmp_path: Path) -> None:
    add_robot(db_path, "r:4", "r4-password")  # a ':' would end the user name in passwd
    written = write_mosquitto_config(db_path, tmp_path / "out")
    assert written.skipped == ("r:4",)
    assert "r:4" not in written.password_file.read_text(encoding="utf-8")


def test_clear_errors(db_path: Path, tmp_path: Path) -> None:
    with pytest.raises(HomecareError, match="run `homecare fleet init` first"):
        write_mosquitto_config(tmp_path / "missing.db", tmp_path / "out")
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(HomecareError, match=r"not a usable fleet database.*homecare fleet init"):
        write_mosquitto_config(empty, tmp_path / "out")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(HomecareError, match="is a file"):
        write_mosquitto_config(db_path, a_file)
    with pytest.raises(HomecareError, match="cannot be the fleet service's MQTT user"):
        write_mosquitto_config(db_path, tmp_path / "out", service_username="r1")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
