"""Who may log in and which topics each may use, against both brokers.

mosquitto runs the configuration `homecare fleet mqtt-config` writes (passwd and
acl from the fleet database); the embedded broker checks the same database. An
ACL denial is silent in MQTT 3.1.1 (the broker acknowledges and drops), so
non-delivery is proven with a marker: the sender then publishes on a topic it may
use, and the forbidden message must not have arrived before the marker.
"""

from __future__ import annotations

import pytest

from tests.broker import AnyBroker


def test_a_robot_publishes_under_its_own_topics_and_the_service_sees_everything(
    broker: AnyBroker,
) -> None:
    broker.start()
    service = broker.probe()
    service.subscribe("hc/v1/#")
    robot = broker.probe("r1")
    assert robot.connected
    robot.subscribe("hc/v1/r/r1/ack/+")
    robot.subscribe("hc/v1/svc/fleet/state")

    robot.publish("hc/v1/r/r1/telemetry", b'{"battery_pct": 50}', qos=0)
    assert service.wait_for("hc/v1/r/r1/telemetry").payload == b'{"battery_pct": 50}'
    service.publish("hc/v1/r/r1/ack/a1", b"ack")
    service.publish("hc/v1/svc/fleet/state", b"online", retain=True)
    assert robot.wait_for("hc/v1/r/r1/ack/a1").payload == b"ack"
    assert robot.wait_for("hc/v1/svc/fleet/state").payload == b"online"


def test_a_robot_cannot_publish_outside_its_own_topics(broker: AnyBroker) -> None:
    broker.start()
    service = broker.probe()
    service.subscribe("hc/v1/#")
    robot = broker.probe("r1")
    forbidden = ["hc/v1/r/r2/telemetry", "hc/v1/r/r2/alert/x", "hc/v1/svc/fleet/state",
                 "hc/v1/r/r10/state", "hc/v1/r"]  # fmt: skip
    for topic in forbidden:
        robot.publish(topic, b"{}")  # acknowledged, then dropped
    robot.publish("hc/v1/r/r1/event", b"marker")
    assert service.topics_before("hc/v1/r/r1/event") == []


def test_a_robot_cannot_read_other_robots_topics_even_retained_ones(broker: AnyBroker) -> None:
    broker.start()
    service = broker.probe()
    # A broad subscription in the broker (as the ingest's): amqtt once replayed the retained
    # messages of every subscription to each connecting client.
    service.subscribe("hc/v1/r/+/cfg/+")
    service.publish("hc/v1/r/r2/cfg/contacts", b"r2's contacts", retain=True)

    robot = broker.probe("r1")
    for topic_filter in ("hc/v1/r/r2/#", "hc/v1/#", "hc/v1/r/+/cfg/+", "hc/v1/r/r1/cfg/+"):
        robot.subscribe(topic_filter)  # mosquitto grants and filters; amqtt refuses in SUBACK
    service.publish("hc/v1/r/r2/cfg/settings", b"r2's settings")
    service.publish("hc/v1/r/r2/ack/a1", b"r2's ack")
    service.publish("hc/v1/r/r1/cfg/settings", b"marker")
    assert robot.topics_before("hc/v1/r/r1/cfg/settings") == []
    assert all(message.topic.startswith("hc/v1/r/r1/") for message in robot.received())


@pytest.mark.parametrize(
    ("rid", "password", "anonymous"),
    [
        ("r1", "wrong password", False),
        ("r2", "r1-password-for-tests", False),  # another robot's password
        ("r9", None, False),  # retired
        ("r404", "any", False),  # not in the database
        (None, "wrong password", False),  # the service user, wrong password
        (None, None, True),  # anonymous
    ],
    ids=["wrong-password", "other-robots-password", "retired", "unknown", "service", "anonymous"],
)
def test_logins_that_are_refused(
    broker: AnyBroker, rid: str | None, password: str | None, anonymous: bool
) -> None:
    broker.start()
    probe = broker.probe(rid, password=password, anonymous=anonymous)
    try:
        assert not probe.connected
        assert probe.answer is not None and probe.answer.getName() in {
            "Not authorized", "Bad user name or password"
        }  # fmt: skip
    finally:
        probe.close()


def test_a_robots_will_outside_its_own_topics_is_never_published(broker: AnyBroker) -> None:
    broker.start()
    service = broker.probe()
    service.subscribe("hc/v1/#")
    # mosquitto accepts the CONNECT and drops the will when due; the embedded broker refuses it.
    impostor = broker.probe("r1", will=("hc/v1/r/r2/state", b'{"state": "lost"}'))
    impostor.vanish()
    # Whatever the broker did with that will, it did it before it let r1 in again.
    robot = broker.probe("r1")
    assert robot.connected
    robot.publish("hc/v1/r/r1/event", b"marker")
    assert service.topics_before("hc/v1/r/r1/event") == []
