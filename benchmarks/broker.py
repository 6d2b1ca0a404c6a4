"""A mosquitto started by the benchmark on a free loopback port, with limits set on purpose."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

# Why these limits (mosquitto's defaults are 20 and 1,000):
# - max_inflight_messages 1000: 20 unacknowledged QoS 1 messages per client capped QoS 1
#   throughput (~36k msgs/s, see the research notes) and queue alerts behind each other.
# - max_queued_messages 10000: past it mosquitto drops QoS 1 messages for a slow or absent
#   client silently (with the default a slow subscriber lost ~90 %, research notes);
#   10,000 is ten minutes of alerts at 1,000/min. QoS 0 telemetry to a subscriber that
#   cannot keep up is dropped past these limits too: that bounds its backlog (about a
#   second at the ingest's rate) and lets us count a sustained rate, not a growing queue.
#   100, 1,000 and 100,000 gave the same ingest rates within noise.
# - persistence off: a periodic snapshot would add pauses unrelated to what we measure.
CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 1000
max_queued_messages {max_queued}
set_tcp_nodelay true
"""


# `python -m benchmarks.<module>` children must find the packages wherever we were started.
REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mosquitto_binary() -> str:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        raise RuntimeError("mosquitto is not installed (apt-get install mosquitto)")
    return binary


class BenchBroker:
    """`with BenchBroker(folder) as broker:` runs mosquitto until the block ends."""

    def __init__(self, folder: Path, max_queued: int = 10_000) -> None:
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        text = CONFIG.format(port=self.port, max_queued=max_queued)
        self.config.write_text(text, encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BenchBroker:
        self.process = subprocess.Popen(
            [mosquitto_binary(), "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, timeout=10)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def cpu_seconds(self) -> float:
        """CPU time the broker has used so far (user + system), from /proc."""
        assert self.process is not None
        return process_cpu_seconds(self.process.pid)


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime, after the ")"
    return ticks / _CLOCK_TICKS


_CLOCK_TICKS = float(os.sysconf("SC_CLK_TCK"))


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not open port {port}") from None
            time.sleep(0.02)
