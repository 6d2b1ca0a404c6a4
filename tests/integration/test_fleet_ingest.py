"""The fleet ingest's "done when" scenarios: a real broker, the real `mosquitto_pub`, the API.

The robot is provisioned through the API, its messages are published by the
`mosquitto_pub` binary exactly as a person would by hand, and the outcome is read
back through the API: presence and battery, one incident per alert, alerts that
waited out a service outage, and a consumer that survives 10,000 garbage payloads.

Brokers refuse anonymous clients: the robot logs in with the credentials the API
gave it, the service with its own, as in production. Each test runs against
mosquitto and the embedded broker (`broker` below, parametrized by conftest.py) unless
marked `mosquitto_only`.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from fleet.mqtt_ingest import FleetIngest
from fleet.protocol import MAX_PAYLOAD_BYTES
from fleet.store import connect_database
from tests.broker import (
    SERVICE_PASSWORD,
    SERVICE_USERNAME,
    AnyBroker,
    make_test_broker,
    mosquitto_readable_dir,
)
from tests.fleet_api import Fleet
from tests.support import wait_until

_client_ids = itertools.count(1)


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    client_id: str

    def arguments(self) -> list[str]:
        return ["-u", self.username, "-P", self.password, "-i", self.client_id]


def service_login() -> Login:
    """The service's user with a client id of its own (the ingest's is taken)."""
    return Login(SERVICE_USERNAME, SERVICE_PASSWORD, f"service-tool-{next(_client_ids)}")


@pytest.fixture
def robot(fleet: Fleet) -> Login:
    """A robot of agency A provisioned through the API, logging in with what it was given."""
    response = fleet.client.post(
        "/api/v1/robots",
        json={"serial": "HC2-0001", "model": "HomeCare 2"},
        headers=fleet.headers("admin@a.example"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    # Robots connect with their id as client id (the embedded broker insists on it).
    return Login(body["mqtt_username"], body["mqtt_password"], body["id"])


@pytest.fixture
def broker(request: pytest.FixtureRequest, fleet: Fleet, robot: Login) -> Iterator[AnyBroker]:
    """Like the shared `broker`, but knowing the robots of the fleet's own database, as the
    service's broker does; made after `robot`, so mosquitto's password file has it."""
    with mosquitto_readable_dir() as folder:
        server = make_test_broker(request.param, folder, fleet.context.db_path)
        try:
            yield server
        finally:
            server.close_probes()
            server.stop()


def mosquitto_pub() -> str:
    binary = shutil.which("mosquitto_pub")
    if binary is None:
        pytest.skip("mosquitto_pub is not installed (apt-get install mosquitto-clients)")
    return binary


def publish(
    broker: AnyBroker, login: Login, topic: str, message: str, *, qos: int = 1, retain: bool = False
) -> None:
    """One message, published by hand as the issue describes it."""
    command = [mosquitto_pub(), "-h", broker.host, "-p", str(broker.port), *login.arguments(),
               "-q", str(qos), "-t", topic, "-m", message, *(["-r"] if retain else [])]  # fmt: skip
    subprocess.run(command, check=True, timeout=30, capture_output=True)


def publish_lines(broker: AnyBroker, topic: str, lines: list[bytes]) -> subprocess.Popen[bytes]:
    """One QoS 1 message per line (`mosquitto_pub -l`): a fast publisher, started, not awaited."""
    command = [mosquitto_pub(), "-h", broker.host, "-p", str(broker.port),
               *service_login().arguments(), "-q", "1", "-t", topic, "-l"]  # fmt: skip
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    text = b"\n".join(lines) + b"\n"
    threading.Thread(target=process.communicate, args=(text,), daemon=True).start()
    return process


@contextmanager
def running_ingest(fleet: Fleet, broker: AnyBroker) -> Iterator[FleetIngest]:
    """The service's ingest on the API's database, clock and counters, until the block ends."""
    ingest = FleetIngest(
        connect_database(fleet.context.db_path),
        fleet.clock,
        broker.host,
        broker.port,
        client_id="fleet-under-test",
        counters=fleet.context.ingest_counters,
        username=broker.service_username,
        password=broker.service_password,
    )
    fleet.context.mqtt_connected = ingest.is_connected
    ingest.start()
    try:
        wait_until(ingest.subscribed.is_set, what="the ingest to subscribe")
        yield ingest
    finally:
        ingest.stop()


class RobotStandIn:
    """The robot's own MQTT connection: sends alerts and collects the fleet's acks."""

    def __init__(self, broker: AnyBroker, login: Login) -> None:
        self.acks: list[dict[str, Any]] = []
        self._subscribed = threading.Event()
        self.ack_filter = f"hc/v1/r/{login.username}/ack/+"
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=login.client_id)
        client.username_pw_set(login.username, login.password)
        client.on_message = lambda c, u, message: self.acks.append(json.loads(message.payload))
        client.on_subscribe = lambda *args: self._subscribed.set()
        client.on_connect = lambda c, u, f, r, p: c.subscribe(self.ack_filter, qos=1)
        client.connect(broker.host, broker.port)
        client.loop_start()
        self.client = client
        wait_until(self._subscribed.is_set, what="the robot to subscribe to its acks")

    def publish(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def robot_view(fleet: Fleet, robot_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = fleet.client.get(f"/api/v1/robots/{robot_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def incidents(fleet: Fleet, robot_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = fleet.client.get("/api/v1/incidents", params={"robot_id": robot_id}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def alert(alert_id: str, ts: float, kind: str = "fall") -> str:
    return json.dumps({"alert_id": alert_id, "kind": kind, "severity": "critical", "ts": ts,
                       "details": {"room": "bathroom"}})  # fmt: skip


def state(name: str, ts: float, bdseq: int = 0) -> str:
    return json.dumps({"state": name, "bdseq": bdseq, "ts": ts})


def test_state_and_telemetry_make_a_robot_online_until_lost_or_silent(
    fleet: Fleet, broker: AnyBroker, robot: Login
) -> None:
    broker.start()
    rid, headers, now = robot.username, fleet.headers("operator@a.example"), fleet.context.now()
    with running_ingest(fleet, broker):
        publish(broker, robot, f"hc/v1/r/{rid}/state", state("ready", now), retain=True)
        telemetry = {"battery_pct": 76.5, "charging": False, "cpu_temp_c": 48.0, "ts": now}
        publish(broker, robot, f"hc/v1/r/{rid}/telemetry", json.dumps(telemetry), qos=0)
        wait_until(
            lambda: robot_view(fleet, rid, headers)["battery_pct"] == 76.5,
            what="the battery in the robot's state",
        )
        assert robot_view(fleet, rid, headers)["online"] is True
        series = fleet.client.get(f"/api/v1/robots/{rid}/telemetry", headers=headers).json()
        assert [point["battery_pct"] for point in series["points"]] == [76.5]

        publish(broker, robot, f"hc/v1/r/{rid}/state", state("lost", now), retain=True)
        wait_until(lambda: robot_view(fleet, rid, headers)["state"] == "lost", what="the will")
        assert robot_view(fleet, rid, headers)["online"] is False

        publish(broker, robot, f"hc/v1/r/{rid}/state", state("ready", now, 1), retain=True)
        wait_until(lambda: robot_view(fleet, rid, headers)["online"], what="back online")
        fleet.clock.advance(fleet.context.presence.timeout_s + 1)  # three heartbeats of silence
        assert robot_view(fleet, rid, headers)["online"] is False

        metrics = fleet.client.get("/api/v1/metrics", headers=headers).json()
        assert metrics["robots"] == {"total": 1, "online": 0, "offline": 1}
        assert metrics["ingest"]["states"] == 3 and metrics["ingest"]["bad_payloads"] == 0
        assert fleet.client.get("/api/v1/health").json()["mqtt"] == "connected"


def test_the_same_alert_twice_is_one_incident_and_acked_each_time(
    fleet: Fleet, broker: AnyBroker, robot: Login
) -> None:
    broker.start()
    rid, headers = robot.username, fleet.headers("caregiver@a.example")
    stand_in = RobotStandIn(broker, robot)
    try:
        with running_ingest(fleet, broker) as ingest:
            message = alert("al-0001", fleet.context.now())
            stand_in.publish(f"hc/v1/r/{rid}/alert/al-0001", message)
            stand_in.publish(f"hc/v1/r/{rid}/alert/al-0001", message)  # the robot's resend
            wait_until(lambda: len(stand_in.acks) == 2, what="an ack for each copy")
            assert ingest.counters["incidents_created"] == 1
            assert ingest.counters["alert_duplicates"] == 1
        (incident,) = incidents(fleet, rid, headers)
        assert (incident["alert_id"], incident["kind"], incident["status"]) == (
            "al-0001",
            "fall",
            "open",
        )
        assert incident["details"] == {"room": "bathroom"}
        assert {ack["incident_id"] for ack in stand_in.acks} == {str(incident["id"])}
        assert {ack["alert_id"] for ack in stand_in.acks} == {"al-0001"}
    finally:
        stand_in.close()


def test_an_alert_sent_while_the_service_is_down_becomes_an_incident_when_it_returns(
    fleet: Fleet, broker: AnyBroker, robot: Login
) -> None:
    broker.start()
    rid, headers = robot.username, fleet.headers("operator@a.example")
    with running_ingest(fleet, broker):
        pass  # the service has run once: its persistent session holds the subscriptions
    message = alert("al-0002", fleet.context.now(), kind="sos")
    publish(broker, robot, f"hc/v1/r/{rid}/alert/al-0002", message)
    assert incidents(fleet, rid, headers) == []
    stand_in = RobotStandIn(broker, robot)  # the robot, waiting for its ack
    try:
        with running_ingest(fleet, broker):
            wait_until(
                lambda: bool(incidents(fleet, rid, headers)), what="the incident after restart"
            )
            wait_until(lambda: bool(stand_in.acks), what="the ack after the restart")
        (incident,) = incidents(fleet, rid, headers)
        assert (incident["alert_id"], incident["kind"]) == ("al-0002", "sos")
        assert stand_in.acks[0]["incident_id"] == str(incident["id"])
    finally:
        stand_in.close()


def garbage(robot_id: str, per_topic: int) -> dict[str, list[bytes]]:
    """Bad payloads on every channel the ingest consumes, and topics it must refuse."""
    generator = random.Random(10_000)
    # `mosquitto_pub -l` sends a line per message: no newlines (nor NULs, C strings) inside.
    alphabet = [byte for byte in range(256) if byte not in {0, 10}]
    random_bytes = [
        bytes(generator.choices(alphabet, k=generator.randint(1, 300))) for _ in range(per_topic)
    ]
    bad_json = [b"{not json", b"[1, 2, 3]", b'"a string"', b"\xff\xfe\xfd", b"{}", b"null",
                b'{"state": "dancing", "ts": 1.7e9}', b'{"state": "ready", "ts": -1}']  # fmt: skip
    wrong_alerts = [
        b'{"alert_id": "other-id", "kind": "fall", "severity": "critical", "ts": 1.7e9}',
        b'{"alert_id": "al-x", "kind": "fall", "severity": "apocalyptic", "ts": 1.7e9}',
    ]
    oversize = b'{"type": "dialog.usage", "ts": 1.7e9, "pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    telemetry = b'{"battery_pct": 50, "charging": false, "ts": 1.7e9}'
    area = f"hc/v1/r/{robot_id}"
    return {
        f"{area}/telemetry": random_bytes,
        f"{area}/state": [bad_json[i % len(bad_json)] for i in range(per_topic)],
        f"{area}/alert/al-x": [wrong_alerts[i % 2] for i in range(per_topic)],
        "hc/v1/r/bad robot id!/telemetry": [telemetry] * per_topic,  # good payload, bad topic
        f"{area}/event": [oversize] * 20 + [b'{"type": "Not A Type", "ts": 1}'] * (per_topic - 20),
    }


def test_the_consumer_survives_ten_thousand_garbage_payloads(
    fleet: Fleet, broker: AnyBroker, robot: Login, caplog: pytest.LogCaptureFixture
) -> None:
    broker.start()
    rid, headers = robot.username, fleet.headers("admin@a.example")
    caplog.set_level(logging.WARNING, logger="fleet.ingest")
    batches = garbage(rid, per_topic=2_000)
    total = sum(len(lines) for lines in batches.values())
    assert total == 10_000
    with running_ingest(fleet, broker) as ingest:
        publishers = [publish_lines(broker, topic, lines) for topic, lines in batches.items()]
        for publisher in publishers:
            assert publisher.wait(timeout=120) == 0
        # Telemetry is consumed at QoS 0: a broker may shed a little of it under a flood.
        wait_until(
            lambda: ingest.counters["bad_payloads"] >= 0.99 * total,
            timeout=120,
            what="the garbage to be counted",
        )

        publish(
            broker, robot, f"hc/v1/r/{rid}/alert/al-0003", alert("al-0003", fleet.context.now())
        )
        wait_until(lambda: bool(incidents(fleet, rid, headers)), timeout=30, what="the valid alert")

        counters = fleet.client.get("/api/v1/metrics", headers=headers).json()["ingest"]
        assert 0.99 * total <= counters["bad_payloads"] <= total
        assert counters["errors"] == 0 and counters["incidents_created"] == 1
        assert ingest.connected.is_set()
    # The log got the first few and summaries, not 10,000 lines.
    ingest_lines = [record for record in caplog.records if record.name == "fleet.ingest"]
    assert len(ingest_lines) <= ingest.bad_payload_log.first + 5


def test_the_ingest_reconnects_and_resubscribes_after_the_broker_restarts(
    fleet: Fleet, broker: AnyBroker, robot: Login
) -> None:
    broker.start()
    rid, headers = robot.username, fleet.headers("operator@a.example")
    with running_ingest(fleet, broker) as ingest:
        broker.stop()
        wait_until(lambda: not ingest.connected.is_set(), what="the ingest to notice")
        assert fleet.client.get("/api/v1/health").json()["status"] == "degraded"
        broker.start()  # same port; the embedded broker comes back with no sessions at all
        wait_until(ingest.subscribed.is_set, timeout=60, what="reconnected and subscribed")
        publish(
            broker, robot, f"hc/v1/r/{rid}/alert/al-0004", alert("al-0004", fleet.context.now())
        )
        wait_until(
            lambda: bool(incidents(fleet, rid, headers)), what="an incident after the restart"
        )
    assert fleet.context.ingest_counters["errors"] == 0


@pytest.mark.mosquitto_only("the embedded broker (amqtt 0.12) has no shared subscriptions")
def test_workers_in_a_share_group_split_telemetry_but_each_gets_every_alert(
    fleet: Fleet, broker: AnyBroker, robot: Login
) -> None:
    broker.start()
    rid = robot.username
    workers = [
        FleetIngest(connect_database(fleet.context.db_path), fleet.clock, broker.host, broker.port,
                    client_id=f"fleet-worker-{n}", share_group="ingest",
                    username=broker.service_username, password=broker.service_password)
        for n in (1, 2)
    ]  # fmt: skip
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            wait_until(worker.subscribed.is_set, what="each worker to subscribe")
        lines = [b'{"battery_pct": %d, "charging": false, "ts": 1.8e9}' % n for n in range(100)]
        assert publish_lines(broker, f"hc/v1/r/{rid}/telemetry", lines).wait(timeout=60) == 0
        publish(broker, robot, f"hc/v1/r/{rid}/alert/al-0005", alert("al-0005", 1.8e9))

        def handled(counter: str) -> list[int]:
            return [worker.counters[counter] for worker in workers]

        def stored_rows() -> int:
            for worker in workers:
                worker.flush()
            return sum(handled("telemetry_rows"))

        wait_until(lambda: stored_rows() == 100, what="every reading stored once")
        assert all(handled("telemetry_rows"))  # both workers took a share
        # Both handled the alert: one made the incident, the other found it there.
        wait_until(
            lambda: sum(handled("incidents_created")) + sum(handled("alert_duplicates")) == 2,
            what="the alert at both workers",
        )
        assert sorted(handled("incidents_created")) == [0, 1]
    finally:
        for worker in workers:
            worker.stop()
