"""The robot <-> fleet wire contract: topics, payloads, and bad input."""

from __future__ import annotations

import contextlib
import json
import random

import pytest

from fleet import protocol
from fleet.protocol import (
    AlertAck,
    AlertPayload,
    ProtocolError,
    RobotEvent,
    RobotState,
    Telemetry,
    decode,
    decode_alert,
    encode,
    parse_topic,
)

TS = 1_767_600_000.0


def test_topics_follow_the_design_table() -> None:
    assert protocol.state_topic("r1") == "hc/v1/r/r1/state"
    assert protocol.telemetry_topic("r1") == "hc/v1/r/r1/telemetry"
    assert protocol.alert_topic("r1", "a-1") == "hc/v1/r/r1/alert/a-1"
    assert protocol.ack_topic("r1", "a-1") == "hc/v1/r/r1/ack/a-1"
    assert protocol.event_topic("r1") == "hc/v1/r/r1/event"
    assert protocol.config_topic("r1", "reminders") == "hc/v1/r/r1/cfg/reminders"
    assert protocol.command_topic("r1", "q") == "hc/v1/r/r1/cmd/q"
    assert protocol.command_result_topic("r1", "q") == "hc/v1/r/r1/cmd_res/q"
    assert protocol.robot_subscription("alert") == "hc/v1/r/+/alert/+"
    assert protocol.robot_subscription("state", "r1") == "hc/v1/r/r1/state"


@pytest.mark.parametrize("bad_id", ["", "a/b", "+", "#", "x" * 65, "ü"])
def test_ids_cannot_break_topic_structure(bad_id: str) -> None:
    with pytest.raises(ProtocolError, match="must be 1-64"):
        protocol.alert_topic("r1", bad_id)


def test_parse_topic_round_trips() -> None:
    assert parse_topic("hc/v1/r/r1/alert/a-1") == protocol.RobotTopic("r1", "alert", "a-1")
    assert parse_topic("hc/v1/r/r1/state") == protocol.RobotTopic("r1", "state")
    for topic in ("hc/v1/r/r1", "hc/v1/x/r1/state", "hc/v1/r/r1/state/x", "hc/v1/r/r1/alert"):
        with pytest.raises(ProtocolError):
            parse_topic(topic)


def test_encode_decode_round_trip_and_unknown_fields_are_ignored() -> None:
    state = RobotState(state="ready", bdseq=3, fw="0.1.0", ts=TS)
    assert decode(RobotState, encode(state)) == state
    extended = json.dumps({"state": "lost", "ts": TS, "future_field": 1})
    assert decode(RobotState, extended).state == "lost"
    telemetry = decode(Telemetry, '{"ts": 1767600000, "battery_pct": 55.5, "charging": false}')
    assert telemetry.cpu_temp_c is None
    assert b"cpu_temp_c" not in encode(telemetry)


def test_events_keep_their_type_specific_fields() -> None:
    event = decode(
        RobotEvent,
        json.dumps({"type": "reminder.outcome", "ts": TS, "outcome": "taken"}),
    )
    assert event.model_extra == {"outcome": "taken"}


@pytest.mark.parametrize(
    ("model", "payload", "message"),
    [
        (RobotState, b"\xff\xfe", "not UTF-8"),
        (RobotState, b"{not json", "not JSON"),
        (RobotState, b"[1, 2]", "must be a JSON object, got list"),
        (RobotState, b'{"state": "dancing", "ts": 1767600000}', "RobotState.state"),
        (RobotState, b'{"state": "ready"}', "RobotState.ts: Field required"),
        (RobotState, b'{"state": "ready", "ts": -5}', "RobotState.ts"),
        (Telemetry, b'{"ts": 1767600000, "battery_pct": 140, "charging": true}', "battery_pct"),
        (AlertPayload, b'{"ts": 1767600000, "alert_id": "a", "kind": "Fall!", '
                       b'"severity": "critical"}', "kind"),
        (AlertAck, b'{"ts": 1767600000, "alert_id": "a/b", "incident_id": "1"}', "alert_id"),
    ],
)  # fmt: skip
def test_bad_payloads_name_what_is_wrong(
    model: type[protocol.Message], payload: bytes, message: str
) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode(model, payload)


def test_oversized_payload_is_refused_before_parsing() -> None:
    with pytest.raises(ProtocolError, match="exceeds"):
        decode(RobotState, b" " * (protocol.MAX_PAYLOAD_BYTES + 1))


def test_alert_id_must_match_its_topic() -> None:
    payload = encode(AlertPayload(alert_id="a-1", kind="fall", severity="critical", ts=TS))
    assert decode_alert(parse_topic("hc/v1/r/r1/alert/a-1"), payload).kind == "fall"
    with pytest.raises(ProtocolError, match="does not match"):
        decode_alert(parse_topic("hc/v1/r/r1/alert/a-2"), payload)


def test_garbage_never_escapes_as_anything_but_protocol_error() -> None:
    generator = random.Random(7)
    models = [RobotState, Telemetry, AlertPayload, AlertAck, RobotEvent, protocol.DesiredConfig]
    for _ in range(2000):
        size = generator.randint(0, 200)
        payload = bytes(generator.getrandbits(8) for _ in range(size))
        if generator.random() < 0.3:
            payload = json.dumps(
                {"ts": generator.choice([TS, "x", None]), "state": "ready"}
            ).encode()
        # Anything but a ProtocolError escapes and fails the test.
        with contextlib.suppress(ProtocolError):
            decode(generator.choice(models), payload)
