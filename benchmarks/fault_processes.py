"""The three processes the fault-injection runs kill: mosquitto, the fleet service, the robot.

Each is a real process, started as in a deployment and restarted the same way:
- mosquitto with the configuration `homecare fleet mqtt-config` writes
  (`write_mosquitto_config`: passwords, ACL, persistence on, snapshot every 60 s),
  restarted on the same port and the same persistence folder;
- `homecare fleet serve --mqtt ...` on a database made by `homecare fleet init`, with
  the robot provisioned through the store (as `POST /robots` does) and logging in
  with its own password, the service with the password the config was written with;
- `python -m benchmarks.fault_robot` (the real fleet link, see there).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.broker import REPO_ROOT, free_port, mosquitto_binary
from fleet.mqtt_config import write_mosquitto_config
from fleet.mqtt_passwords import hash_mqtt_password
from fleet.store import open_database
from fleet.store.robots import create_robot
from homecare.clock import SystemClock

ADMIN_EMAIL = "boss@agency.example"
ADMIN_PASSWORD = "Kama-River-2026-fault"
SERVICE_USERNAME = "homecare-fleet"
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Deployment:
    """Everything the processes need to find each other."""

    folder: Path
    db_path: Path
    rid: str
    robot_password: str
    service_password: str
    broker_port: int
    mosquitto_config: Path


def deploy(folder: Path) -> Deployment:
    """`homecare fleet init`, one robot provisioned, the mosquitto files written."""
    db_path = folder / "fleet.db"
    _run_cli(["fleet", "init", "--db", str(db_path), "--admin-email", ADMIN_EMAIL,
              "--admin-password", ADMIN_PASSWORD], folder)  # fmt: skip
    rid, robot_password = _provision_robot(db_path)
    service_password = secrets.token_urlsafe(24)
    port = free_port()
    written = write_mosquitto_config(
        db_path, folder / "mosquitto", listener_host="127.0.0.1", port=port,
        service_username=SERVICE_USERNAME, service_password=service_password,
    )  # fmt: skip
    return Deployment(folder, db_path, rid, robot_password, service_password, port,
                      written.config_file)  # fmt: skip


def _provision_robot(db_path: Path) -> tuple[str, str]:
    password = secrets.token_urlsafe(24)
    db = open_database(db_path, SystemClock())
    try:
        (agency_id,) = db.execute("SELECT id FROM agencies ORDER BY id LIMIT 1").fetchone()
        rid = create_robot(
            db, int(agency_id), serial="FI-0001", model="HC2",
            password_hash=hash_mqtt_password(password), user_id=None, now=time.time(),
        )  # fmt: skip
    finally:
        db.conn.close()
    return rid, password


def _run_cli(arguments: list[str], folder: Path) -> None:
    command = [sys.executable, "-m", "homecare", *arguments]
    subprocess.run(command, check=True, capture_output=True, timeout=60, cwd=REPO_ROOT,
                   env=child_env(folder))  # fmt: skip


def child_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), HOMECARE_DATA_DIR=str(folder / "home"))
    env.pop("HOMECARE_CONFIG", None)  # the run's own settings, not the caller's
    return env


class Restartable:
    """A process we start, SIGKILL and start again; counts the kills."""

    name = "process"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.starts = 0
        self.down = False  # killed on purpose and not started again yet

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        self.starts += 1
        self.down = False
        log = self.folder / f"{self.name}-{self.starts}.log"
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                self.command(), stdout=output, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
                env=child_env(self.folder),
            )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no flush, no will withheld."""
        if self.running():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.kills += 1
            self.down = True

    def stop(self) -> None:
        self.down = True
        if self.running():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        log = self.folder / f"{self.name}-{self.starts}.log"
        return log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if not self.running():
                raise RuntimeError(f"{self.name} exited:\n{self.log_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout} s")
            time.sleep(0.05)

    def is_ready(self) -> bool:
        return self.running()


class BrokerProcess(Restartable):
    name = "mosquitto"

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(deployment.folder)
        self.deployment = deployment

    def command(self) -> list[str]:
        return [mosquitto_binary(), "-c", str(self.deployment.mosquitto_config)]

    def is_ready(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.deployment.broker_port), 0.2).close()
        except OSError:
            return False
        return True


class FleetProcess(Restartable):
    name = "fleet"

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(deployment.folder)
        self.deployment = deployment
        self.http_port = free_port()

    def command(self) -> list[str]:
        d = self.deployment
        mqtt = f"mqtt://{SERVICE_USERNAME}:{d.service_password}@127.0.0.1:{d.broker_port}"
        return [sys.executable, "-m", "homecare", "fleet", "serve", "--db", str(d.db_path),
                "--port", str(self.http_port), "--mqtt", mqtt]  # fmt: skip

    def is_ready(self) -> bool:
        # Printed after the service's ingest has its subscriptions (or gave up waiting).
        return "fleet service:" in self.log_text()


class RobotProcess(Restartable):
    name = "robot"

    def __init__(
        self, deployment: Deployment, proxy_port: int, seed: int, alerts: int, rate: float
    ) -> None:
        super().__init__(deployment.folder)
        self.deployment = deployment
        self.proxy_port = proxy_port
        self.seed, self.alerts, self.rate = seed, alerts, rate
        self.outbox = deployment.folder / "robot" / "outbox.db"

    def connected_since(self, wall_time: float) -> float | None:
        """When the robot (this start of it) first connected after `wall_time`, if it did."""
        for line in self.log_text().splitlines():
            word, _, stamp = line.partition(" ")
            if word == "connected" and float(stamp) >= wall_time:
                return float(stamp)
        return None

    def command(self) -> list[str]:
        d = self.deployment
        url = f"mqtt://{d.rid}:{d.robot_password}@127.0.0.1:{self.proxy_port}"
        return [sys.executable, "-m", "benchmarks.fault_robot", "--url", url, "--rid", d.rid,
                "--outbox", str(self.outbox), "--seed", str(self.seed),
                "--alerts", str(self.alerts), "--rate", str(self.rate)]  # fmt: skip
