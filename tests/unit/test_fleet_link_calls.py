"""Consultation signalling through the fleet link: call/{cid} in, call_res/{cid} out.

The link only checks and forwards; the telepresence node decides. A signal that breaks
the contract is counted and dropped, never passed on and never fatal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet import protocol
from fleet.protocol import CallSignal, ProtocolError
from homecare.clock import ManualClock
from robot.fleet_link.link import FleetLink
from robot.fleet_link.mqtt import Inbound
from robot.fleet_link.outbox import AlertOutbox
from tests.unit.test_fleet_link_fleet_state import FakeConnection

TS = 1_767_600_000.0
NEGATIVE_DEADLINE = b'{"consultation_id": "7", "type": "ring", "ts": 1, "connect_deadline_s": -1}'


@pytest.fixture
def connection() -> FakeConnection:
    return FakeConnection()


@pytest.fixture
def link(tmp_path: Path, connection: FakeConnection) -> FleetLink:
    clock = ManualClock()
    return FleetLink("r1", connection, AlertOutbox(tmp_path / "outbox.db", clock), clock, "t")


def deliver(connection: FakeConnection, topic: str, payload: bytes | str) -> None:
    raw = payload.encode() if isinstance(payload, str) else payload
    connection.inbox.put(Inbound(topic, raw))


def ring(cid: str = "7") -> CallSignal:
    return CallSignal(
        consultation_id=cid, type="ring", caller_name="Ольга Попова",
        caller_role="социальный работник", lang="ru", ts=TS,
    )  # fmt: skip


def test_the_link_subscribes_to_its_own_call_topics(
    link: FleetLink, connection: FakeConnection
) -> None:
    assert "hc/v1/r/r1/call/+" in connection.subscriptions


def test_a_ring_from_the_fleet_is_handed_over_once(
    link: FleetLink, connection: FakeConnection
) -> None:
    deliver(connection, protocol.call_topic("r1", "7"), protocol.encode(ring()))
    link.pump()
    [signal] = link.take_call_signals()
    assert (signal.type, signal.caller_name, signal.connect_deadline_s) == (
        "ring", "Ольга Попова", 30.0,
    )  # fmt: skip
    assert link.take_call_signals() == []


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("hc/v1/r/r1/call/8", protocol.encode(ring("7"))),  # id differs from the topic's
        ("hc/v1/r/r1/call/7", b"{not json"),
        ("hc/v1/r/r1/call/7", b'{"consultation_id": "7", "type": "offer", "ts": 1}'),  # wrong way
        ("hc/v1/r/r1/call/7", NEGATIVE_DEADLINE),
        ("hc/v1/r/r2/call/7", protocol.encode(ring())),  # another robot's
    ],
)
def test_a_bad_call_signal_is_counted_and_dropped(
    link: FleetLink, connection: FakeConnection, topic: str, payload: bytes
) -> None:
    deliver(connection, topic, payload)
    link.pump()
    assert link.take_call_signals() == []
    assert link.bad_payloads == 1


def test_the_robot_answers_on_call_res_and_only_with_robot_signals(
    link: FleetLink, connection: FakeConnection
) -> None:
    offer = CallSignal(consultation_id="7", type="offer", sdp="v=0\r\n", ts=TS)
    assert link.send_call_signal(offer)
    assert connection.sent == ["hc/v1/r/r1/call_res/7"]
    with pytest.raises(ProtocolError, match="does not send 'ring'"):
        link.send_call_signal(ring())


def test_call_signal_models_refuse_what_would_break_a_call() -> None:
    with pytest.raises(ProtocolError, match="consultation_id"):
        protocol.decode(CallSignal, '{"consultation_id": "a/b", "type": "ring", "ts": 1}')
    with pytest.raises(ProtocolError, match="type"):
        protocol.decode(CallSignal, '{"consultation_id": "1", "type": "dial", "ts": 1}')
    too_long = "x" * (protocol.MAX_SDP_CHARS + 1)
    with pytest.raises(ProtocolError, match="sdp"):
        protocol.decode(
            CallSignal, f'{{"consultation_id": "1", "type": "offer", "ts": 1, "sdp": "{too_long}"}}'
        )
    assert protocol.parse_topic("hc/v1/r/r1/call_res/12") == protocol.RobotTopic(
        "r1", "call_res", "12"
    )
