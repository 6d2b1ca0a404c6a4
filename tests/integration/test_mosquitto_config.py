"""A real mosquitto runs the configuration `homecare fleet mqtt-config` writes, unchanged.

Started as root, mosquitto drops to its own user before reading passwd and acl: the
folder is traversable and the files are handed to that user (see fleet/mqtt_config.py).
The access rules (robots confined to their topics, refused logins, the service
everywhere) run against this configuration in test_broker_access.py, via the
`broker` fixture, as do the MQTT behaviours in test_broker_behaviour.py.
"""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleet.mqtt_config import write_mosquitto_config
from fleet.mqtt_passwords import hash_mqtt_password
from tests.broker import ROBOTS, Mosquitto, free_port, make_broker_db, mosquitto_readable_dir
from tests.mqtt_probe import Probe
from tests.support import wait_until


@pytest.fixture
def folder() -> Iterator[Path]:
    with mosquitto_readable_dir() as path:
        yield path


def login(port: int, username: str, password: str) -> bool:
    probe = Probe("127.0.0.1", port, username, username=username, password=password).start()
    probe.close()
    return probe.connected


def test_mosquitto_runs_the_generated_files_and_rereads_them_after_a_rerun(folder: Path) -> None:
    db_path = make_broker_db(folder / "fleet.db")
    port = free_port()
    first = write_mosquitto_config(db_path, folder / "conf", listener_host="127.0.0.1", port=port)
    assert first.service_password is not None
    broker = Mosquitto(folder, config=first.config_file, port=port)
    broker.start()
    try:
        assert login(port, "homecare-fleet", first.service_password)
        assert login(port, "r1", ROBOTS["r1"][1])
        assert not login(port, "r3", "r3-password")

        with sqlite3.connect(db_path) as db:
            db.execute(
                "INSERT INTO robots (id, agency_id, serial, model, mqtt_password_hash, created_at)"
                " VALUES ('r3', 1, 'SN-r3', 'test', ?, 0)",
                (hash_mqtt_password("r3-password"),),
            )
            db.execute("UPDATE robots SET status = 'retired' WHERE id = 'r1'")
        write_mosquitto_config(db_path, folder / "conf", listener_host="127.0.0.1", port=port)
        assert broker.process is not None
        broker.process.send_signal(signal.SIGHUP)  # mosquitto rereads passwd and acl

        wait_until(lambda: login(port, "r3", "r3-password"), what="r3 to be let in")
        assert not login(port, "r1", ROBOTS["r1"][1])  # retired since
        assert login(port, "homecare-fleet", first.service_password)  # kept by the rerun
    finally:
        broker.stop()
    log = broker.log.read_text(encoding="utf-8", errors="replace")
    assert "Error" not in log, log
