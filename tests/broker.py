"""MQTT brokers for tests, on free loopback ports, started and stopped by the test.

Two kinds with one interface (`kind`, `host`, `port`, `url`, `start()`, `stop()`,
plus the logins below): a real mosquitto, and the fleet's embedded amqtt broker.
Both refuse anonymous clients when made by `make_test_broker`: tests log in as
the fleet service (`service_url`, `credentials`, `login(client)`) or as one of the
robots of the broker's test database (`robot_url(rid)`, `login(client, rid)`),
exactly as the service and the robots do in production.
"""

from __future__ import annotations

import itertools
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
import pytest

from fleet.mqtt_passwords import hash_mqtt_password
from fleet.store import open_database
from fleet.store.accounts import create_agency
from homecare.clock import Clock, SystemClock
from robot.nodes.fleet_link_node import FleetLinkNode
from robot.runtime import LocalRuntime
from tests.mqtt_probe import Probe
from tests.support import wait_until

if TYPE_CHECKING:
    from fleet.broker import EmbeddedBroker

SERVICE_USERNAME = "homecare-fleet"
SERVICE_PASSWORD = "service-password-for-tests"
# Robots of the broker's test database: (status, password). r9 is retired: it may not log in.
ROBOTS = {
    "r1": ("rented", "r1-password-for-tests"),
    "r2": ("in_stock", "r2-password-for-tests"),
    "r9": ("retired", "r9-password-for-tests"),
}
BROKER_KINDS = ("mosquitto", "embedded")
_probe_ids = itertools.count(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Logins:
    """URLs and logins for a test broker on 127.0.0.1."""

    host = "127.0.0.1"
    port: int
    probes: list[Probe]
    service_username = SERVICE_USERNAME
    service_password = SERVICE_PASSWORD

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def service_url(self) -> str:
        return f"mqtt://{self.service_username}:{self.service_password}@{self.host}:{self.port}"

    @property
    def credentials(self) -> dict[str, str]:
        """The service's login as keyword arguments (e.g. for `FleetIngest`)."""
        return {"username": self.service_username, "password": self.service_password}

    def robot_url(self, rid: str) -> str:
        return f"mqtt://{rid}:{ROBOTS[rid][1]}@{self.host}:{self.port}"

    def probe(
        self,
        rid: str | None = None,
        *,
        client_id: str | None = None,
        password: str | None = None,
        anonymous: bool = False,
        **options: Any,
    ) -> Probe:
        """A connected test client (see tests/mqtt_probe.py) logged in as the service, as
        robot `rid` (its client id is its robot id), or anonymously; check `.connected`."""
        username = None if anonymous else rid or self.service_username
        if password is None and username is not None:
            password = ROBOTS[rid][1] if rid else self.service_password
        client_id = client_id or rid or f"probe-{next(_probe_ids)}"
        probe = Probe(self.host, self.port, client_id, username=username, password=password,
                      **options)  # fmt: skip
        self.probes.append(probe)
        return probe.start()

    def close_probes(self) -> None:
        """Stop every probe's network thread (the fixture does it after the test)."""
        probes, self.probes = self.probes, []
        for probe in probes:
            probe.client.disconnect()  # wakes paho's loop, which would otherwise idle up to 1 s
            probe.client.loop_stop()

    def login(self, client: mqtt.Client, rid: str | None = None) -> mqtt.Client:
        """Give a paho client the service's login, or robot `rid`'s."""
        if rid is None:
            client.username_pw_set(self.service_username, self.service_password)
        else:
            client.username_pw_set(rid, ROBOTS[rid][1])
        return client


class Mosquitto(Logins):
    """A mosquitto process; without `config`, one that lets anyone in (any login works)."""

    kind = "mosquitto"

    def __init__(
        self, folder: Path, *, config: Path | None = None, port: int | None = None
    ) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
        self.binary = binary
        self.port = port or free_port()
        self.probes = []
        self.log = folder / "mosquitto.log"
        if config is None:
            config = folder / "mosquitto.conf"
            config.write_text(
                f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                "max_queued_messages 10000\n",
                encoding="utf-8",
            )
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(self._accepting, timeout=10, what="mosquitto to accept connections")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def _accepting(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            log = self.log.read_text(encoding="utf-8", errors="replace")
            raise AssertionError(f"mosquitto exited ({self.process.returncode}):\n{log}")
        try:
            socket.create_connection((self.host, self.port), timeout=0.2).close()
        except OSError:
            return False
        return True


class Embedded(Logins):
    """The fleet's embedded broker on a port chosen now, so URLs are known before start()."""

    kind = "embedded"

    def __init__(self, db_path: Path | None) -> None:
        self.port = free_port()
        self.probes = []
        self.db_path = db_path
        self.server: EmbeddedBroker | None = None

    def start(self) -> None:
        from fleet.broker import EmbeddedBroker

        self.server = EmbeddedBroker(
            self.db_path,
            port=self.port,
            service_username=self.service_username,
            service_password=self.service_password,
        )
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


AnyBroker = Mosquitto | Embedded


def make_broker_db(path: Path) -> Path:
    """A fleet database with the robots of `ROBOTS` and their MQTT password hashes."""
    db = open_database(path, SystemClock())
    try:
        now = time.time()
        agency = create_agency(db, "Broker tests", "RU-PER", now)
        for rid, (status, password) in ROBOTS.items():
            db.execute(
                "INSERT INTO robots (id, agency_id, serial, model, status, mqtt_password_hash,"
                " created_at) VALUES (?, ?, ?, 'test', ?, ?, ?)",
                (rid, agency, f"SN-{rid}", status, hash_mqtt_password(password), now),
            )
    finally:
        db.conn.close()
    return path


def make_test_broker(kind: str, folder: Path, db_path: Path | None = None) -> AnyBroker:
    """A broker of `kind` that knows the service and the robots of `db_path` (by default a
    new database with the robots of `ROBOTS`)."""
    db_path = db_path or make_broker_db(folder / "fleet.db")
    if kind == "embedded":
        return Embedded(db_path)
    from fleet.mqtt_config import write_mosquitto_config

    port = free_port()
    written = write_mosquitto_config(
        db_path,
        folder / "mosquitto",
        listener_host="127.0.0.1",
        port=port,
        service_username=SERVICE_USERNAME,
        service_password=SERVICE_PASSWORD,
    )
    return Mosquitto(folder, config=written.config_file, port=port)


@contextmanager
def mosquitto_readable_dir() -> Iterator[Path]:
    """A folder mosquitto can read after dropping root for its `mosquitto` user.

    pytest's tmp_path sits under 0700 folders; this one is traversable (0711)
    but not listable, and removed afterwards.
    """
    folder = Path(tempfile.mkdtemp(prefix="homecare-broker-"))
    folder.chmod(0o711)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def fleet_link_runtime(
    broker_url: str, outbox_path: Path, clock: Clock
) -> tuple[LocalRuntime, FleetLinkNode]:
    """A runtime with robot r1's fleet_link node, telemetry every 0.2 s (not yet spinning)."""
    runtime = LocalRuntime(
        clock=clock,
        parameters={
            "fleet_link": {
                "robot_id": "r1",
                "broker_url": broker_url,
                "outbox_path": str(outbox_path),
                "resident_dir": str(outbox_path.parent / "resident"),
                "telemetry_period_s": 0.2,
            }
        },
    )
    link = runtime.add_node("fleet_link", FleetLinkNode)
    assert isinstance(link, FleetLinkNode)
    return runtime, link
