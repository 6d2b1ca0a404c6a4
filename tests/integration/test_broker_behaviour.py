"""What our protocol needs from a broker, checked against both brokers.

QoS 1 delivery, retained messages, wills (on a dropped connection and on an
expired keep-alive), and the fleet service's persistent session, which must
hold alerts published while the service was away.
"""

from __future__ import annotations

import json

import pytest

from tests.broker import AnyBroker
from tests.support import wait_until

INGEST = "homecare-fleet"  # the fleet ingest's client id


def test_the_services_persistent_session_keeps_alerts_sent_while_it_was_away(
    broker: AnyBroker,
) -> None:
    broker.start()
    ingest = broker.probe(client_id=INGEST, clean_session=False)
    ingest.subscribe("hc/v1/r/+/alert/+")
    ingest.close()

    robot = broker.probe("r1")
    for index in range(20):
        robot.publish(f"hc/v1/r/r1/alert/a{index}", json.dumps({"n": index}).encode())

    # Back with the same client id and no new SUBSCRIBE: the session delivers the backlog.
    ingest = broker.probe(client_id=INGEST, clean_session=False)
    for index in range(20):
        message = ingest.wait_for(f"hc/v1/r/r1/alert/a{index}")
        assert json.loads(message.payload) == {"n": index}
        assert not message.retain  # queued, not retained
        assert message.qos == 1


def test_a_refused_login_with_the_services_client_id_leaves_its_session_alone(
    broker: AnyBroker,
) -> None:
    broker.start()
    ingest = broker.probe(client_id=INGEST, clean_session=False)
    ingest.subscribe("hc/v1/r/+/alert/+")
    ingest.close()
    # amqtt 0.12 dropped the stored session of a clean-session CONNECT before checking its login.
    impostor = broker.probe(client_id=INGEST, password="wrong password", clean_session=True)
    assert not impostor.connected
    impostor.close()

    broker.probe("r1").publish("hc/v1/r/r1/alert/a1", b"{}")
    ingest = broker.probe(client_id=INGEST, clean_session=False)
    assert ingest.wait_for("hc/v1/r/r1/alert/a1").payload == b"{}"


def test_qos1_messages_arrive_complete_and_in_order(broker: AnyBroker) -> None:
    broker.start()
    service = broker.probe()
    service.subscribe("hc/v1/r/r1/event")
    robot = broker.probe("r1")
    for index in range(300):
        robot.client.publish("hc/v1/r/r1/event", str(index).encode(), qos=1)
    robot.publish("hc/v1/r/r1/event", b"last")
    wait_until(lambda: b"last" in [m.payload for m in service.received()], what="the last message")
    numbers = [m.payload for m in service.received("hc/v1/r/r1/event")]
    assert numbers == [str(index).encode() for index in range(300)] + [b"last"]


def test_retained_configuration_reaches_a_robot_that_subscribes_later_until_cleared(
    broker: AnyBroker,
) -> None:
    broker.start()
    service = broker.probe()
    service.publish("hc/v1/r/r1/cfg/reminders", b'{"version": 3}', retain=True)

    robot = broker.probe("r1")
    robot.subscribe("hc/v1/r/r1/cfg/+")
    message = robot.wait_for("hc/v1/r/r1/cfg/reminders")
    assert (message.payload, message.retain) == (b'{"version": 3}', True)

    service.publish("hc/v1/r/r1/cfg/reminders", b"", retain=True)  # clears it
    service.publish("hc/v1/r/r1/cfg/settings", b"marker", retain=True)
    later = broker.probe("r1", client_id="r1")
    later.subscribe("hc/v1/r/r1/cfg/+")
    assert later.wait_for("hc/v1/r/r1/cfg/settings").retain
    assert later.received("hc/v1/r/r1/cfg/reminders") == []


def test_a_robot_that_drops_off_gets_its_will_and_one_that_says_goodbye_does_not(
    broker: AnyBroker,
) -> None:
    broker.start()
    service = broker.probe()
    service.subscribe("hc/v1/r/+/state")
    lost = ("hc/v1/r/r1/state", b'{"state": "lost"}')

    polite = broker.probe("r1", will=lost)
    polite.close()
    vanishing = broker.probe("r2", will=("hc/v1/r/r2/state", b'{"state": "lost"}'))
    vanishing.vanish()
    message = service.wait_for("hc/v1/r/r2/state")
    assert message.payload == b'{"state": "lost"}'
    assert service.received("hc/v1/r/r1/state") == []


def test_a_silent_robot_gets_its_will_after_one_and_a_half_keepalive_intervals(
    broker: AnyBroker,
) -> None:
    broker.start()
    service = broker.probe()
    service.subscribe("hc/v1/r/+/state")
    robot = broker.probe("r1", keepalive=1, will=("hc/v1/r/r1/state", b'{"state": "lost"}'))
    robot.go_silent()  # the TCP connection stays open: only the keep-alive can tell
    # 1.5 s due; mosquitto 2.0 checks keep-alives every few seconds.
    assert service.wait_for("hc/v1/r/r1/state", timeout=15).payload == b'{"state": "lost"}'


@pytest.mark.mosquitto_only(
    "the embedded broker keeps sessions and queued messages in memory: they end with it "
    "(it runs inside the fleet service; robots resend unacknowledged alerts from their outbox)"
)
def test_queued_alerts_survive_a_broker_restart(broker: AnyBroker) -> None:
    broker.start()
    ingest = broker.probe(client_id=INGEST, clean_session=False)
    ingest.subscribe("hc/v1/r/+/alert/+")
    ingest.close()
    broker.probe("r1").publish("hc/v1/r/r1/alert/a1", b"{}")

    broker.stop()
    broker.start()
    ingest = broker.probe(client_id=INGEST, clean_session=False)
    assert ingest.wait_for("hc/v1/r/r1/alert/a1").payload == b"{}"
