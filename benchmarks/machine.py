"""The machine line every report starts with: figures mean little without it."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.broker import mosquitto_binary


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    python: str
    mosquitto: str
    sqlite: str
    load_average: str

    def line(self) -> str:
        return (
            f"{self.cpu}, {self.cores} cores, Python {self.python}, {self.mosquitto}, "
            f"SQLite {self.sqlite}, load average at start {self.load_average}"
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def describe_machine() -> Machine:
    return Machine(
        cpu=cpu_model(),
        cores=os.cpu_count() or 1,
        python=platform.python_version(),
        mosquitto=mosquitto_version(),
        sqlite=sqlite3.sqlite_version,
        # Other work on the machine moves every figure: say how busy it was.
        load_average=load_average(),
    )


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def mosquitto_version() -> str:
    try:
        # `mosquitto -h` prints "mosquitto version X" first and exits non-zero.
        result = subprocess.run(
            [mosquitto_binary(), "-h"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, RuntimeError, subprocess.TimeoutExpired):
        return "mosquitto not found"
    first = (result.stdout or result.stderr).splitlines()
    return first[0].strip() if first else "mosquitto (unknown version)"
