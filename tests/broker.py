"""A real mosquitto broker for tests, on a free loopback port, started and stopped by the test."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from homecare.clock import Clock
from robot.nodes.fleet_link_node import FleetLinkNode
from robot.runtime import LocalRuntime
from tests.support import wait_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mosquitto:
    def __init__(self, folder: Path) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
        self.binary = binary
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 10000\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._accepting, timeout=10, what="mosquitto to accept connections")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def _accepting(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
        except OSError:
            return False
        return True


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
                "telemetry_period_s": 0.2,
            }
        },
    )
    link = runtime.add_node("fleet_link", FleetLinkNode)
    assert isinstance(link, FleetLinkNode)
    return runtime, link
