from __future__ import annotations

import pytest

from fleet.presence import PresencePolicy, is_online

POLICY = PresencePolicy(heartbeat_s=30, missed_heartbeats=3)


@pytest.mark.parametrize(
    ("state", "silent_for", "online"),
    [
        ("ready", 0, True),
        ("ready", 90, True),
        ("ready", 90.1, False),  # three 30 s heartbeats missed
        ("alert", 10, True),
        ("sleeping", 10, True),
        ("lost", 0, False),  # the MQTT will
        ("disconnected", 0, False),  # a clean shutdown
        (None, 0, False),  # never seen
    ],
)
def test_online_from_state_and_heartbeat(
    state: str | None, silent_for: float, online: bool
) -> None:
    assert is_online(state, 1000.0, 1000.0 + silent_for, POLICY) is online


def test_never_seen_is_offline() -> None:
    assert not is_online("ready", None, 0.0, POLICY)
    assert POLICY.timeout_s == 90
