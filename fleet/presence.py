"""Is a robot online? Its will (`lost`) or a clean `disconnected` says no at once; otherwise
silence for `missed_heartbeats` heartbeat intervals does (the will alone never fires when a
network path dies quietly, which is the fleet platforms' most common offline complaint).
"""

from __future__ import annotations

from dataclasses import dataclass

OFFLINE_STATES = frozenset({"lost", "disconnected"})


@dataclass(frozen=True)
class PresencePolicy:
    heartbeat_s: float = 30.0
    missed_heartbeats: int = 3

    @property
    def timeout_s(self) -> float:
        return self.heartbeat_s * self.missed_heartbeats


def is_online(
    state: str | None, last_seen: float | None, now: float, policy: PresencePolicy
) -> bool:
    if state is None or last_seen is None or state in OFFLINE_STATES:
        return False
    return now - last_seen <= policy.timeout_s
