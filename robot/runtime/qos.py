"""Quality of service, mirroring the ROS 2 settings the nodes use.

Only what the project relies on: history depth (KEEP_LAST), reliability and
durability. Compatibility follows ROS 2's request-vs-offered rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reliability(StrEnum):
    RELIABLE = "reliable"
    BEST_EFFORT = "best_effort"


class Durability(StrEnum):
    VOLATILE = "volatile"
    # Late-joining subscribers get the last `depth` messages (a latched topic).
    TRANSIENT_LOCAL = "transient_local"


@dataclass(frozen=True)
class QoS:
    depth: int = 10
    reliability: Reliability = Reliability.RELIABLE
    durability: Durability = Durability.VOLATILE

    def __post_init__(self) -> None:
        if self.depth < 1:
            raise ValueError(f"QoS depth must be at least 1, got {self.depth}")


def incompatibility(offered: QoS, requested: QoS) -> str | None:
    """Why a publisher offering `offered` cannot serve a subscriber requesting `requested`.

    Same rules as ROS 2: a best-effort publisher cannot serve a reliable
    subscriber, and a volatile publisher cannot serve a transient-local one.
    Returns None when they are compatible.
    """
    if offered.reliability is Reliability.BEST_EFFORT and (
        requested.reliability is Reliability.RELIABLE
    ):
        return "publisher is best-effort but subscriber requires reliable"
    if offered.durability is Durability.VOLATILE and (
        requested.durability is Durability.TRANSIENT_LOCAL
    ):
        return "publisher is volatile but subscriber requires transient-local"
    return None


# Profiles the nodes share, so both runtimes agree on them.
DEFAULT = QoS()
SENSOR_DATA = QoS(depth=5, reliability=Reliability.BEST_EFFORT)
LATCHED = QoS(depth=1, durability=Durability.TRANSIENT_LOCAL)
# /fleet/config carries one latched message per kind (reminders, benefits, ...): a depth of
# one would let the next kind push the last out before a busy or late subscriber read it.
CONFIG = QoS(depth=32, durability=Durability.TRANSIENT_LOCAL)
# Alerts and events that must not be dropped while a subscriber is busy.
EVENTS = QoS(depth=100)
