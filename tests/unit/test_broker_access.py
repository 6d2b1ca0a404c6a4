"""The embedded broker's topic rules, which mirror the mosquitto ACL `mqtt-config` writes."""

from __future__ import annotations

import pytest
from amqtt.contexts import Action

from fleet.broker_access import may_access

SERVICE = "homecare-fleet"


@pytest.mark.parametrize(
    ("topic", "publish", "read"),
    [
        ("hc/v1/r/r1/telemetry", True, True),
        ("hc/v1/r/r1/alert/a1", True, True),
        ("hc/v1/r/r1", True, True),
        ("hc/v1/r/r1/#", True, True),  # as a subscription filter
        ("hc/v1/r/r1/cfg/+", True, True),
        ("hc/v1/svc/fleet/state", False, True),
        ("hc/v1/r/r2/telemetry", False, False),
        ("hc/v1/r/r10/telemetry", False, False),  # a longer id with r1 as its prefix
        ("hc/v1/r/+/state", False, False),
        ("hc/v1/#", False, False),
        ("#", False, False),
        ("hc/v1/svc/fleet/other", False, False),
        ("$SYS/broker/clients", False, False),
    ],
)
def test_a_robot_uses_only_its_own_topics(topic: str, publish: bool, read: bool) -> None:
    assert may_access(SERVICE, "r1", topic, Action.PUBLISH) is publish
    assert may_access(SERVICE, "r1", topic, Action.SUBSCRIBE) is read
    assert may_access(SERVICE, "r1", topic, Action.RECEIVE) is read


def test_the_service_may_use_everything_and_nobody_else_anything() -> None:
    for action in Action:
        assert may_access(SERVICE, SERVICE, "hc/v1/r/+/alert/+", action)
        assert not may_access(SERVICE, None, "hc/v1/r/r1/state", action)
        assert not may_access(SERVICE, "", "hc/v1/r/r1/state", action)
