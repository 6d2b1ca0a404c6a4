"""The embedded broker itself: loopback only, clear start errors, logins from the database,
a quick and clean stop. Access rules and MQTT behaviour are checked against both brokers in
test_broker_access.py and test_broker_behaviour.py."""

from __future__ import annotations

import logging
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from amqtt.contexts import Action
from amqtt.session import Session

from fleet.broker import EmbeddedBroker, _FleetBroker
from fleet.mqtt_passwords import hash_mqtt_password
from homecare.errors import HomecareError
from tests.broker import ROBOTS, SERVICE_PASSWORD, SERVICE_USERNAME, make_broker_db
from tests.mqtt_probe import Probe
from tests.support import wait_until


def embedded(db_path: Path | None, **options: object) -> EmbeddedBroker:
    return EmbeddedBroker(
        db_path, service_username=SERVICE_USERNAME, service_password=SERVICE_PASSWORD,
        **options,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture
def probes() -> Iterator[list[Probe]]:
    made: list[Probe] = []
    yield made
    for probe in made:
        probe.client.disconnect()
        probe.client.loop_stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    server = embedded(make_broker_db(tmp_path / "fleet.db"))
    server.start()
    yield server
    server.stop()


def connect(probes: list[Probe], broker: EmbeddedBroker, client_id: str, username: str | None,
            password: str | None, **options: object) -> Probe:  # fmt: skip
    probe = Probe("127.0.0.1", broker.port, client_id, username=username, password=password,
                  **options)  # type: ignore[arg-type]  # fmt: skip
    probes.append(probe)
    return probe.start()


def robot(probes: list[Probe], broker: EmbeddedBroker, rid: str, client_id: str = "") -> Probe:
    return connect(probes, broker, client_id or rid, rid, ROBOTS[rid][1])


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org", "localhost"])
def test_it_listens_on_loopback_addresses_only(host: str) -> None:
    with pytest.raises(HomecareError, match="loopback addresses only"):
        embedded(None, host=host)


def test_port_0_picks_a_free_port_and_the_url_carries_no_credentials(tmp_path: Path) -> None:
    server = embedded(None)
    server.start()
    try:
        assert server.port > 0
        assert server.url == f"mqtt://127.0.0.1:{server.port}"
        server.start()  # already running: nothing happens
        assert server.url == f"mqtt://127.0.0.1:{server.port}"
    finally:
        server.stop()


def test_a_port_in_use_is_a_clear_error(server: EmbeddedBroker) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(HomecareError, match=f"^port {port} is in use: "):
            embedded(None, port=port).start()
    with pytest.raises(HomecareError, match=f"^port {server.port} is in use: "):
        embedded(None, port=server.port).start()


def test_stop_is_quick_idempotent_frees_the_port_and_survives_a_client_that_stopped_reading(
    tmp_path: Path, probes: list[Probe]
) -> None:
    server = embedded(make_broker_db(tmp_path / "fleet.db"))
    server.start()
    port = server.port
    service = connect(probes, server, "svc", SERVICE_USERNAME, SERVICE_PASSWORD)
    stuck = connect(probes, server, "stuck", SERVICE_USERNAME, SERVICE_PASSWORD)
    stuck.subscribe("hc/v1/#", qos=0)
    stuck.go_silent()  # reads nothing more: the broker's writes to it pile up
    for _ in range(100):
        service.publish("hc/v1/r/r1/event", b"x" * 50_000, qos=0)
    robot(probes, server, "r1")

    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 8
    server.stop()
    wait_until(lambda: not service.client.is_connected(), what="the service client to notice")
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    again = embedded(None, port=port)
    again.start()
    again.stop()


def test_robots_log_in_from_the_database_as_it_is_now(
    server: EmbeddedBroker, tmp_path: Path, probes: list[Probe]
) -> None:
    assert robot(probes, server, "r1").connected
    # Its client id must be its robot id, so it cannot take over the service's session.
    assert not robot(probes, server, "r1", client_id=SERVICE_USERNAME).connected
    with sqlite3.connect(tmp_path / "fleet.db") as db:
        db.execute(
            "INSERT INTO robots (id, agency_id, serial, model, mqtt_password_hash, created_at)"
            " VALUES ('r3', 1, 'SN-r3', 'test', ?, 0)",
            (hash_mqtt_password("r3-password"),),
        )
        db.execute("UPDATE robots SET status = 'retired' WHERE id = 'r2'")
    assert connect(probes, server, "r3", "r3", "r3-password").connected
    assert not robot(probes, server, "r2").connected


def test_without_a_usable_database_only_the_service_logs_in(
    tmp_path: Path, probes: list[Probe]
) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()  # no robots table
    for db_path in (None, empty, tmp_path / "missing.db"):
        server = embedded(db_path)
        server.start()
        try:
            assert connect(probes, server, "svc", SERVICE_USERNAME, SERVICE_PASSWORD).connected
            assert not robot(probes, server, "r1").connected
        finally:
            server.stop()


def test_amqtt_logs_only_warnings(server: EmbeddedBroker) -> None:
    assert logging.getLogger("amqtt").getEffectiveLevel() >= logging.WARNING


def test_topic_checks_complete_without_suspending() -> None:
    # amqtt awaits topic checks inside loops over its subscriptions dict: a check that
    # suspended would let a new subscription break the loop and lose the message delivered.
    broker = _FleetBroker.__new__(_FleetBroker)
    broker.service_username = SERVICE_USERNAME
    session = Session()
    session.username = "r1"
    for topic, allowed in (("hc/v1/r/r1/telemetry", True), ("hc/v1/r/r2/telemetry", False)):
        check = broker._topic_filtering(session, topic, Action.PUBLISH)
        with pytest.raises(StopIteration) as done:
            check.send(None)
        assert done.value.value is allowed
