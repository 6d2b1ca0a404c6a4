"""The shared embedded broker (`homecare.mqtt_broker`) with injected logins and topic rules,
and the home broker built on it: it now has the fleet broker's corrections of amqtt.

The fleet's broker is checked against mosquitto in tests/integration/test_broker_*.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from amqtt.contexts import Action  # type: ignore[import-untyped]

from homecare.errors import HomecareError
from homecare.mqtt_broker import CorrectedBroker, ThreadedBroker, broker_url, is_loopback_address
from robot.devices.home_broker import HomeBroker
from tests.mqtt_probe import Probe

ANYONE = {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}


class _ReadOnlyOutsideMine(CorrectedBroker):
    """Topic rules injected by a subclass: publishing only under `mine/`."""

    def topic_allowed(self, username: str | None, topic: str, action: Action) -> bool:
        return action != Action.PUBLISH or topic.startswith("mine/")


@pytest.fixture
def probes() -> Iterator[list[Probe]]:
    made: list[Probe] = []
    yield made
    for probe in made:
        probe.close()


def connect(probes: list[Probe], port: int, client_id: str, **options: Any) -> Probe:
    probe = Probe("127.0.0.1", port, client_id, **options)
    probes.append(probe)
    return probe.start()


def test_urls_and_loopback_addresses() -> None:
    assert broker_url("127.0.0.1", 1883) == "mqtt://127.0.0.1:1883"
    assert broker_url("::1", 1884, ("z2m", "secret")) == "mqtt://z2m:secret@[::1]:1884"
    assert is_loopback_address("127.0.0.2") and is_loopback_address("::1")
    assert not is_loopback_address("0.0.0.0") and not is_loopback_address("localhost")


def test_a_port_out_of_range_is_refused_before_anything_starts() -> None:
    with pytest.raises(HomecareError, match=r"^the test broker port 70000 is not 0-65535$"):
        ThreadedBroker(name="the test broker", host="127.0.0.1", port=70000, plugins=ANYONE)


def test_a_taken_port_and_an_address_not_here_are_clear_errors() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        broker = ThreadedBroker(name="the test broker", host="127.0.0.1", port=port, plugins=ANYONE)
        with pytest.raises(
            HomecareError, match=rf"^the test broker cannot listen on 127\.0\.0\.1:{port}: "
        ):
            broker.start()
    assert broker.port == port  # not running
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: amqtt's own bind fails.
    elsewhere = ThreadedBroker(name="the test broker", host="192.0.2.1", port=0, plugins=ANYONE)
    with pytest.raises(HomecareError, match=r"^the test broker cannot listen on 192\.0\.2\.1:0: "):
        elsewhere.start()
    elsewhere.stop()  # nothing to stop: no error


def test_injected_topic_rules_hold_and_stop_frees_the_port(probes: list[Probe]) -> None:
    broker = ThreadedBroker(
        name="the test broker", host="127.0.0.1", port=0, plugins=ANYONE,
        make_broker=_ReadOnlyOutsideMine,
    )  # fmt: skip
    broker.start()
    try:
        port = broker.port
        assert port > 0 and broker.url == f"mqtt://127.0.0.1:{port}"
        reader = connect(probes, port, "reader")
        reader.subscribe("#")
        writer = connect(probes, port, "writer")
        writer.publish("theirs/x", b"refused")  # amqtt acknowledges and drops it
        writer.publish("mine/x", b"delivered")
        assert reader.topics_before("mine/x") == []
    finally:
        broker.stop()
    broker.stop()  # twice is fine
    assert broker.port == 0
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))  # free at once


@pytest.fixture
def home() -> Iterator[HomeBroker]:
    broker = HomeBroker(port=0)
    broker.start()
    yield broker
    broker.stop()


def test_the_home_broker_sends_a_client_only_its_own_retained_messages(
    home: HomeBroker, probes: list[Probe]
) -> None:
    assistant = connect(probes, home.port, "home-assistant")
    assistant.subscribe("homeassistant/#")
    assistant.publish("homeassistant/status", b"online", retain=True)
    zigbee = connect(probes, home.port, "zigbee2mqtt")
    zigbee.subscribe("zigbee2mqtt/#")
    zigbee.publish("zigbee2mqtt/bridge/state", b"online", retain=True)
    # amqtt 0.12 alone would also send homeassistant/status to the new client.
    later = connect(probes, home.port, "robot-devices")
    later.subscribe("zigbee2mqtt/#")
    message = later.wait_for("zigbee2mqtt/bridge/state")
    assert (message.payload, message.retain) == (b"online", True)
    assert later.received("homeassistant/status") == []


def test_a_silent_home_client_gets_its_will_published(
    home: HomeBroker, probes: list[Probe]
) -> None:
    robot = connect(probes, home.port, "robot")
    robot.subscribe("zigbee2mqtt/bridge/state")
    zigbee = connect(
        probes, home.port, "zigbee2mqtt", keepalive=1,
        will=("zigbee2mqtt/bridge/state", b"offline"),
    )  # fmt: skip
    zigbee.go_silent()  # the socket stays open: only the keep-alive can tell
    assert robot.wait_for("zigbee2mqtt/bridge/state", timeout=10).payload == b"offline"


def test_the_home_broker_with_a_login_refuses_anyone_else(probes: list[Probe]) -> None:
    broker = HomeBroker(port=0, login=("z2m", "secret"))
    broker.start()
    try:
        assert broker.url == f"mqtt://z2m:secret@127.0.0.1:{broker.port}"
        assert connect(probes, broker.port, "z", username="z2m", password="secret").connected
        assert not connect(probes, broker.port, "x", username="z2m", password="wrong").connected
        assert not connect(probes, broker.port, "y").connected
    finally:
        broker.stop()
