"""Helpers for tests: waiting on conditions with deadlines (never bare sleeps)."""

from __future__ import annotations

import time
from collections.abc import Callable

from robot.runtime.qos import EVENTS, LATCHED, SENSOR_DATA, QoS

# Skip reasons containing one of these stay skips under HOMECARE_REQUIRE_ALL=1:
# the part cannot be installed on the CI machine (Debian 12, no ROS 2 packages).
CANNOT_EXIST_HERE = (
    "rclpy not installed",
    # The fall clips are CC BY-NC-SA: the licence forbids copying them into the repository,
    # so a checkout outside the project's workspace (no ../shared) cannot have them.
    "shared development data is not present",
)
ROS_SKIP_REASON = "rclpy not installed (it comes from a ROS 2 installation, not PyPI)"


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` wall seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.01)


# Our QoS profiles and the rclpy policy names they must map to.
QOS_PROFILE_CASES = [
    (QoS(), "RELIABLE", "VOLATILE"),
    (SENSOR_DATA, "BEST_EFFORT", "VOLATILE"),
    (LATCHED, "RELIABLE", "TRANSIENT_LOCAL"),
    (EVENTS, "RELIABLE", "VOLATILE"),
]
