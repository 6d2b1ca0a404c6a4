"""The robot computer's own health for telemetry: CPU temperature and uptime, from Linux.

Both are optional in the protocol: a machine without a thermal zone (a VM, a laptop
in CI) reports None rather than a made-up number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SystemStats:
    cpu_temp_c: float | None
    uptime_s: float | None


def read_system_stats(root: Path = Path("/")) -> SystemStats:
    return SystemStats(cpu_temp_c=_cpu_temp_c(root), uptime_s=_uptime_s(root))


def _cpu_temp_c(root: Path) -> float | None:
    """The hottest thermal zone (the CPU package is usually it), in degrees Celsius."""
    readings = []
    for zone in sorted((root / "sys/class/thermal").glob("thermal_zone*/temp")):
        try:
            readings.append(int(zone.read_text().strip()) / 1000.0)
        except (OSError, ValueError):
            continue
    plausible = [value for value in readings if -40.0 <= value <= 150.0]
    return max(plausible) if plausible else None


def _uptime_s(root: Path) -> float | None:
    try:
        return float((root / "proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
