"""The call hub, call tokens, the signalling socket and the consultations API, on a real
SQLite file and the real web app (starlette's TestClient); the robot's MQTT side is a fake
`publish` (what the hub sends) and direct `on_robot_signal` calls (what the robot sends).
The same path over a real broker: tests/integration/test_consultation_signalling.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
import sqlite_utils
from aiortc import RTCPeerConnection, RTCSessionDescription
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from fleet.calls import CallHub, CallRefusedError, check_call_token, issue_call_token
from fleet.mqtt_ingest import FleetIngest
from fleet.periodic import call_timeouts_task
from fleet.protocol import CallSignal, ProtocolError, decode, parse_topic
from fleet.store import consultations as store
from fleet.store.accounts import User, find_user_by_email
from fleet.store.rentals import create_rental, hand_over
from fleet.store.residents import create_resident
from fleet.store.robots import create_robot
from homecare.clock import SystemClock
from homecare.settings import IceServerSettings
from telepresence.config import PeerConfig
from telepresence.peer import RobotPeer
from tests.fleet_api import Fleet
from tests.unit.test_fleet_api_reminders import auth
from tests.unit.test_fleet_ingest import deliver

API = "/api/v1/consultations"


async def _real_answer() -> str:
    """What a browser sends: an answer to a real robot offer (aiortc stands in for it)."""
    robot = RobotPeer(PeerConfig(), SystemClock())
    browser = RTCPeerConnection()
    try:
        offer = await robot.create_offer()
        await browser.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await browser.setLocalDescription(await browser.createAnswer())
        return browser.localDescription.sdp
    finally:
        await browser.close()
        await robot.close()


@pytest.fixture(scope="module")
def answer_sdp() -> str:
    return asyncio.run(_real_answer())


@dataclass
class RobotWire:
    """The fleet's side of MQTT: what the hub published, and whether the broker is up."""

    sent: list[tuple[str, bytes, int, bool]] = field(default_factory=list)
    up: bool = True

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self.sent.append((topic, payload, qos, retain))

    def signals(self, kind: str | None = None) -> list[CallSignal]:
        found = [decode(CallSignal, payload) for _, payload, _, _ in self.sent]
        return [s for s in found if kind is None or s.type == kind]


@dataclass
class Calls:
    fleet: Fleet
    hub: CallHub
    wire: RobotWire
    robot: str
    resident: int
    robot_b: str
    resident_b: int

    @property
    def db(self) -> sqlite_utils.Database:
        return self.fleet.context.db()

    def user(self, email: str) -> User:
        found = find_user_by_email(self.db, email)
        assert found is not None
        return found

    def start(self, email: str = "social@a.example", resident: int | None = None) -> int:
        agency = self.user(email).agency_id
        return self.hub.start_call(
            self.db,
            agency,
            self.user(email),
            resident or self.resident,
            now=self.fleet.context.now(),
        ).id

    def token(self, cid: int, email: str = "social@a.example") -> str:
        agency = self.user(email).agency_id
        found = store.get_consultation(self.db, agency, cid)
        return issue_call_token(self.fleet.context, self.user(email), found).token

    def robot_says(self, cid: int, kind: str, robot: str | None = None, **fields: Any) -> None:
        signal = {
            "consultation_id": str(cid),
            "type": kind,
            "ts": self.fleet.context.now(),
            **fields,
        }
        topic = parse_topic(f"hc/v1/r/{robot or self.robot}/call_res/{cid}")
        self.hub.on_robot_signal(
            self.db, topic, json.dumps(signal).encode(), self.fleet.context.now()
        )


def rented(db: sqlite_utils.Database, agency: int, serial: str, name: str) -> tuple[str, int]:
    robot = create_robot(
        db, agency, serial=serial, model="HC2", password_hash="x", user_id=None, now=0.0
    )
    resident = create_resident(db, agency, {"full_name": name}, user_id=None, now=0.0)
    rental = create_rental(
        db,
        agency,
        robot_id=robot,
        resident_id=resident,
        starts_on="2026-11-23",
        user_id=None,
        now=0.0,
    )
    hand_over(db, agency, rental, user_id=None, now=1.0)
    return robot, resident


@pytest.fixture
def calls(fleet: Fleet) -> Iterator[Calls]:
    context = fleet.context
    context.settings.telepresence.ice_servers = [
        IceServerSettings(urls=["turns:turn.example.org:443"], username="u", credential="c")
    ]
    wire = RobotWire()
    hub = CallHub(
        context.settings.telepresence,
        wire.publish,
        lambda: wire.up,
        counters=context.ingest_counters,
    )
    context.calls = hub
    robot, resident = rented(context.db(), fleet.agency_a, "S1", "Анна Иванова")
    robot_b, resident_b = rented(context.db(), fleet.agency_b, "S2", "Мария")
    yield Calls(fleet, hub, wire, robot, resident, robot_b, resident_b)


def hello(socket: WebSocketTestSession, token: str) -> dict[str, Any]:
    socket.send_json({"type": "hello", "token": token})
    reply: dict[str, Any] = socket.receive_json()
    return reply


def refused(socket: WebSocketTestSession, hello_message: Any) -> tuple[str, int, str]:
    """(error reason, close code, close reason) after sending `hello_message`."""
    socket.send_text(hello_message if isinstance(hello_message, str) else json.dumps(hello_message))
    error = socket.receive_json()
    assert error["type"] == "error"
    with pytest.raises(WebSocketDisconnect) as closed:
        socket.receive_json()
    return error["reason"], closed.value.code, closed.value.reason


# the hub and the robot


def test_a_call_rings_the_robot_with_the_callers_spoken_role_and_the_ice_servers(
    calls: Calls,
) -> None:
    cid = calls.start()
    ((topic, payload, qos, retain),) = calls.wire.sent
    assert (topic, qos, retain) == (f"hc/v1/r/{calls.robot}/call/{cid}", 1, False)
    ring = decode(CallSignal, payload)
    assert (ring.type, ring.caller_name, ring.caller_role, ring.lang) == (
        "ring",
        "social",
        "социальный работник",
        "ru",
    )
    assert [s.urls for s in ring.ice_servers] == [["turns:turn.example.org:443"]]
    assert ring.connect_deadline_s == 30.0


def test_without_the_broker_the_call_ends_at_once(calls: Calls) -> None:
    calls.wire.up = False
    cid = calls.start()
    found = store.get_consultation(calls.db, calls.fleet.agency_a, cid)
    assert (found.state, found.reason) == ("ended", "the fleet cannot reach the robot now")
    assert calls.wire.sent == []


def test_robot_signals_move_the_call_and_bad_ones_are_refused_and_counted(
    calls: Calls,
) -> None:
    cid = calls.start()
    ingest = FleetIngest(
        calls.db, calls.fleet.clock, "127.0.0.1", 1, counters=calls.fleet.context.ingest_counters
    )
    ingest.calls = calls.hub
    signal = {"consultation_id": str(cid), "type": "accepted", "ts": calls.fleet.context.now()}
    deliver(ingest, f"hc/v1/r/{calls.robot}/call_res/{cid}", signal)
    assert store.get_consultation(calls.db, calls.fleet.agency_a, cid).state == "accepted"
    counters: Counter[str] = calls.fleet.context.ingest_counters
    assert counters["bad_payloads"] == 0
    deliver(ingest, f"hc/v1/r/{calls.robot_b}/call_res/{cid}", signal)  # not its robot
    deliver(ingest, f"hc/v1/r/{calls.robot}/call_res/999", {**signal, "consultation_id": "999"})
    deliver(ingest, f"hc/v1/r/{calls.robot}/call_res/{cid}", {**signal, "type": "ring"})
    deliver(ingest, f"hc/v1/r/{calls.robot}/call_res/{cid}", b"{not json")
    assert counters["bad_payloads"] == 4 and counters["call_signals_refused"] == 2
    calls.robot_says(cid, "hangup", reason="the resident ended the call")
    deliver(
        ingest,
        f"hc/v1/r/{calls.robot}/call_res/{cid}",
        {**signal, "type": "state", "state": "connected"},
    )
    assert counters["bad_payloads"] == 5 and counters["call_signals_after_end"] == 1
    found = store.get_consultation(calls.db, calls.fleet.agency_a, cid)
    assert (found.state, found.reason) == ("ended", "the resident ended the call")
    assert counters["errors"] == 0


def test_a_declined_call_is_recorded_as_declined(calls: Calls) -> None:
    cid = calls.start()
    calls.robot_says(cid, "declined", reason="the resident said no")
    found = store.get_consultation(calls.db, calls.fleet.agency_a, cid)
    assert (found.state, found.reason) == ("declined", "the resident said no")
    events = store.consultation_events(calls.db, calls.fleet.agency_a, cid)
    assert [(e.state, e.by) for e in events] == [("ringing", "specialist"), ("declined", "robot")]


def test_the_sweep_ends_unanswered_and_unconnected_calls_and_stops_the_robot(
    calls: Calls,
) -> None:
    ringing = calls.start()
    calls.fleet.clock.advance(59)
    assert calls.hub.sweep(calls.db, calls.fleet.context.now()) == 0
    calls.fleet.clock.advance(1)
    assert calls.hub.sweep(calls.db, calls.fleet.context.now()) == 1
    found = store.get_consultation(calls.db, calls.fleet.agency_a, ringing)
    assert (found.state, found.reason) == ("ended", "the robot did not answer")
    assert [s.reason for s in calls.wire.signals("hangup")] == ["the robot did not answer"]

    accepted = calls.start()
    calls.robot_says(accepted, "accepted")
    calls.robot_says(accepted, "state", state="connecting")
    calls.fleet.clock.advance(45)  # connect deadline (30 s) + 15 s
    assert calls.hub.sweep(calls.db, calls.fleet.context.now()) == 1
    found = store.get_consultation(calls.db, calls.fleet.agency_a, accepted)
    assert (found.state, found.reason) == ("ended", "the call never connected")


# call tokens


def test_call_token_refusals(calls: Calls) -> None:
    context, db = calls.fleet.context, calls.db
    cid = calls.start()
    robot2, resident2 = rented(db, calls.fleet.agency_a, "S3", "Вера")
    second = calls.start(resident=resident2)
    calls.fleet.add_user(calls.fleet.agency_b, "social@b.example", "social_worker")
    theirs = calls.start("social@b.example", calls.resident_b)
    token = calls.token(cid)

    def check(token: object, consultation_id: int) -> tuple[int, str]:
        with pytest.raises(CallRefusedError) as refusal:
            check_call_token(db, context.signing_key, token, consultation_id, context.now())
        return refusal.value.code, refusal.value.reason

    user, found = check_call_token(db, context.signing_key, token, cid, context.now())
    assert (user.email, found.id) == ("social@a.example", cid)
    assert check(None, cid) == (4401, "the hello carries no call token")
    assert check("not.a.jwt", cid) == (4401, "the call token is malformed")
    forged = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}),
        "a-forged-key-of-at-least-32-bytes!",
        algorithm="HS256",
    )
    assert check(forged, cid) == (4401, "the call token's signature is not valid")
    assert check(token, second) == (4401, f"the call token is for consultation {cid}, not {second}")
    assert check(calls.token(theirs, "social@b.example"), cid) == (
        4404,
        f"consultation {cid} not found",
    )
    bearer = auth(calls.fleet, "social@a.example")["Authorization"].removeprefix("Bearer ")
    assert check(bearer, cid) == (4401, "this is not a call token: ask for one to join the call")
    calls.fleet.clock.advance(121)
    assert check(token, cid) == (4401, "the call token has expired: ask for a new one")
    fresh = calls.token(cid)
    db.execute("UPDATE users SET active = 0 WHERE email = 'social@a.example'")
    assert check(fresh, cid) == (
        4401,
        "the account of this call token no longer exists or is disabled",
    )
    assert robot2 != calls.robot


# the socket


def test_a_good_hello_joins_and_gets_the_offer_the_robot_already_sent(calls: Calls) -> None:
    cid = calls.start()
    calls.robot_says(cid, "accepted")
    calls.robot_says(cid, "offer", sdp="v=0 offer one")
    with calls.fleet.client.websocket_connect(f"/consultations/{cid}/signal") as socket:
        joined = hello(socket, calls.token(cid))
        assert joined["type"] == "joined"
        assert joined["consultation"] == {
            "id": cid,
            "state": "accepted",
            "reason": "",
            "resident_id": calls.resident,
            "resident_name": "Анна Иванова",
            "robot_id": calls.robot,
            "caller_name": "social",
            "appointment_id": None,
        }
        assert joined["ice_servers"] == [
            {"urls": ["turns:turn.example.org:443"], "username": "u", "credential": "c"}
        ]
        assert socket.receive_json() == {"type": "offer", "sdp": "v=0 offer one"}
        socket.send_json({"type": "ping"})
        assert socket.receive_json() == {"type": "pong"}
        # A reconnect: state, then a NEW offer, relayed as they come.
        calls.robot_says(cid, "state", state="connected")
        assert socket.receive_json() == {"type": "state", "state": "connected", "reason": ""}
        calls.robot_says(cid, "state", state="reconnecting")
        calls.robot_says(cid, "offer", sdp="v=0 offer two")
        assert socket.receive_json()["state"] == "reconnecting"
        assert socket.receive_json() == {"type": "offer", "sdp": "v=0 offer two"}
        calls.robot_says(cid, "error", reason="the answer has no video section")
        assert socket.receive_json() == {
            "type": "error",
            "reason": "the answer has no video section",
        }
        calls.robot_says(cid, "hangup", reason="the resident ended the call")
        assert socket.receive_json() == {
            "type": "state",
            "state": "ended",
            "reason": "the resident ended the call",
        }
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
        assert closed.value.code == 1000


def test_bad_hellos_are_refused_with_a_reason_and_a_close_code(calls: Calls) -> None:
    cid = calls.start()
    client = calls.fleet.client
    token = calls.token(cid)
    forged = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}),
        "a-forged-key-of-at-least-32-bytes!",
        algorithm="HS256",
    )
    calls.fleet.add_user(calls.fleet.agency_b, "social@b.example", "social_worker")
    theirs = calls.start("social@b.example", calls.resident_b)
    cases: list[tuple[int, Any, tuple[str, int]]] = [
        (
            cid,
            {"type": "hello", "token": forged},
            ("the call token's signature is not valid", 4401),
        ),
        (cid, {"type": "hello"}, ("the hello carries no call token", 4401)),
        (cid, "{not json", ("the message is not JSON", 4400)),
        (cid, {"type": "answer", "sdp": "x"}, ("the first message must be a hello", 4400)),
        # An agency-B token on agency A's consultation: not found, never "another agency's".
        (
            cid,
            {"type": "hello", "token": calls.token(theirs, "social@b.example")},
            (f"consultation {cid} not found", 4404),
        ),
    ]
    for consultation_id, message, (reason, code) in cases:
        with client.websocket_connect(f"/consultations/{consultation_id}/signal") as socket:
            said, closed_with, close_reason = refused(socket, message)
        assert said.startswith(reason) and closed_with == code, (message, said, closed_with)
        assert close_reason.startswith(reason[:40])
    calls.fleet.clock.advance(121)
    with client.websocket_connect(f"/consultations/{cid}/signal") as socket:
        assert refused(socket, {"type": "hello", "token": token})[:2] == (
            "the call token has expired: ask for a new one",
            4401,
        )
    calls.robot_says(cid, "declined", reason="busy")
    with client.websocket_connect(f"/consultations/{cid}/signal") as socket:
        assert refused(socket, {"type": "hello", "token": calls.token(cid)})[:2] == (
            f"consultation {cid} has declined",
            4409,
        )


def test_a_malformed_answer_gets_an_error_and_a_good_one_is_relayed(
    calls: Calls, answer_sdp: str
) -> None:
    cid = calls.start()
    calls.robot_says(cid, "accepted")
    with calls.fleet.client.websocket_connect(f"/consultations/{cid}/signal") as socket:
        assert hello(socket, calls.token(cid))["type"] == "joined"
        socket.send_json({"type": "answer", "sdp": "v=0\r\nthis is not SDP"})
        error = socket.receive_json()
        assert error["type"] == "error" and "answer" in error["reason"]
        socket.send_json({"type": "answer", "sdp": 42})
        assert socket.receive_json() == {
            "type": "error",
            "reason": "the answer is a int, not SDP text",
        }
        for garbage, reason in (
            ("[1, 2]", 'a message must be a JSON object with a "type"'),
            ('{"type": "dance"}', "unknown message type 'dance'; expected answer, hangup or ping"),
            (json.dumps({"type": "ping", "pad": "x" * 70_000}), "the message has 70"),
        ):
            socket.send_text(garbage)
            said = socket.receive_json()
            assert said["type"] == "error" and said["reason"].startswith(reason), said
        assert calls.wire.signals("answer") == []
        socket.send_json({"type": "answer", "sdp": answer_sdp})
        socket.send_json({"type": "ping"})  # the answer has been handled once this comes back
        assert socket.receive_json() == {"type": "pong"}
        (relayed,) = calls.wire.signals("answer")
        assert relayed.sdp == answer_sdp and relayed.consultation_id == str(cid)


def test_a_hangup_from_the_browser_ends_the_call_for_every_tab_and_tells_the_robot(
    calls: Calls,
) -> None:
    cid = calls.start()
    calls.robot_says(cid, "accepted")
    client = calls.fleet.client
    with (
        client.websocket_connect(f"/consultations/{cid}/signal") as first,
        client.websocket_connect(f"/consultations/{cid}/signal") as second,
    ):
        assert hello(first, calls.token(cid))["type"] == "joined"
        assert hello(second, calls.token(cid))["type"] == "joined"
        first.send_json({"type": "hangup"})
        for socket in (first, second):
            assert socket.receive_json() == {
                "type": "state",
                "state": "ended",
                "reason": "the specialist hung up",
            }
            with pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_json()
            assert closed.value.code == 1000
    (hangup,) = calls.wire.signals("hangup")
    assert (hangup.consultation_id, hangup.reason) == (str(cid), "the specialist hung up")
    events = store.consultation_events(calls.db, calls.fleet.agency_a, cid)
    assert (events[-1].state, events[-1].by) == ("ended", "specialist")


# the HTTP API


def test_the_api_starts_lists_joins_and_ends_calls(calls: Calls) -> None:
    client, social = calls.fleet.client, auth(calls.fleet, "social@a.example")
    started = client.post(API, json={"resident_id": calls.resident}, headers=social)
    assert started.status_code == 201, started.text
    body = started.json()
    cid = body["id"]
    assert (body["state"], body["signal_path"]) == ("ringing", f"/consultations/{cid}/signal")
    assert body["expires_at"] == calls.fleet.context.now() + 120
    check_call_token(
        calls.db, calls.fleet.context.signing_key, body["token"], cid, calls.fleet.context.now()
    )
    busy = client.post(API, json={"resident_id": calls.resident}, headers=social)
    assert busy.status_code == 409
    assert busy.json()["detail"] == f"robot {calls.robot} is already in consultation {cid}"
    caregiver = client.post(
        API, json={"resident_id": calls.resident}, headers=auth(calls.fleet, "caregiver@a.example")
    )
    assert caregiver.status_code == 403
    theirs = client.post(API, json={"resident_id": calls.resident_b}, headers=social)
    assert theirs.status_code == 404

    listed = client.get(API, params={"active": True}, headers=social).json()
    assert [c["id"] for c in listed] == [cid]
    one = client.get(f"{API}/{cid}", headers=social).json()
    assert [e["state"] for e in one["events"]] == ["ringing"]
    assert (
        client.get(f"{API}/{cid}", headers=auth(calls.fleet, "admin@b.example")).status_code == 404
    )
    rejoin = client.post(f"{API}/{cid}/token", headers=social)
    assert rejoin.status_code == 200 and rejoin.json()["signal_path"] == body["signal_path"]

    ended = client.post(f"{API}/{cid}/hangup", json={"reason": "wrong number"}, headers=social)
    assert (ended.json()["state"], ended.json()["reason"]) == ("ended", "wrong number")
    again = client.post(f"{API}/{cid}/hangup", headers=social)
    assert (again.status_code, again.json()["detail"]) == (
        409,
        f"consultation {cid} is already ended",
    )
    late = client.post(f"{API}/{cid}/token", headers=social)
    assert (late.status_code, late.json()["detail"]) == (409, f"consultation {cid} has ended")


def test_without_a_broker_attached_the_api_says_calls_need_it(calls: Calls) -> None:
    calls.fleet.context.calls = None
    answer = calls.fleet.client.post(
        API, json={"resident_id": calls.resident}, headers=auth(calls.fleet, "social@a.example")
    )
    assert answer.status_code == 503 and "MQTT broker" in answer.json()["detail"]


def test_a_residents_voice_request_is_listed_once_and_a_call_back_answers_it(
    calls: Calls,
) -> None:
    ingest = FleetIngest(
        calls.db, calls.fleet.clock, "127.0.0.1", 1, counters=calls.fleet.context.ingest_counters
    )
    asked = {
        "type": "call.request",
        "ts": calls.fleet.context.now(),
        "event_id": "ask-1",
        "role": "social_worker",
        "lang": "ru",
    }
    deliver(ingest, f"hc/v1/r/{calls.robot}/event", asked)
    deliver(ingest, f"hc/v1/r/{calls.robot}/event", asked)  # QoS 1 again
    deliver(ingest, f"hc/v1/r/{calls.robot}/event", {**asked, "event_id": "", "role": 5})
    counters = calls.fleet.context.ingest_counters
    assert (counters["call_request_stored"], counters["call_request_duplicate"]) == (1, 1)
    assert counters["bad_payloads"] == 1
    social = auth(calls.fleet, "social@a.example")
    (waiting,) = calls.fleet.client.get(API, params={"active": True}, headers=social).json()
    assert (waiting["state"], waiting["origin"], waiting["caller_role"]) == (
        "requested",
        "voice",
        "social_worker",
    )
    started = calls.fleet.client.post(
        API, json={"resident_id": calls.resident, "request_id": waiting["id"]}, headers=social
    )
    assert (started.json()["id"], started.json()["state"]) == (waiting["id"], "ringing")
    assert [s.type for s in calls.wire.signals()] == ["ring"]


def test_an_appointments_json_carries_its_latest_call_state(calls: Calls) -> None:
    client, social = calls.fleet.client, auth(calls.fleet, "social@a.example")
    specialist = client.post(
        "/api/v1/specialists", json={"name": "Ирина", "role": "юрист"}, headers=social
    ).json()["id"]
    (slot,) = client.post(
        f"/api/v1/specialists/{specialist}/slots",
        json={"starts_at": "2026-11-25T10:00:00+05:00", "mode": "video"},
        headers=social,
    ).json()
    booked = client.post(
        f"/api/v1/residents/{calls.resident}/appointments",
        json={"slot_id": slot["id"]},
        headers=social,
    ).json()
    path = f"/api/v1/appointments/{booked['id']}"
    assert client.get(path, headers=social).json()["call_state"] is None
    started = client.post(
        API, json={"resident_id": calls.resident, "appointment_id": booked["id"]}, headers=social
    )
    assert started.status_code == 201, started.text
    assert client.get(path, headers=social).json()["call_state"] == "ringing"
    listed = client.get(f"/api/v1/residents/{calls.resident}/appointments", headers=social)
    assert [a["call_state"] for a in listed.json()] == ["ringing"]


def test_the_timeout_task_sweeps_on_the_injected_clock(calls: Calls) -> None:
    cid = calls.start()
    task = call_timeouts_task(calls.db, calls.fleet.clock, calls.hub.sweep, period_s=5.0)
    assert task.run_due()
    calls.fleet.clock.advance(61)
    assert task.run_due()
    assert store.get_consultation(calls.db, calls.fleet.agency_a, cid).state == "ended"
    assert task.counters["call_timeouts_runs"] == 2


def test_with_two_workers_each_tells_its_own_browsers_what_the_other_stored(
    calls: Calls,
) -> None:
    cid = calls.start()
    other_worker = CallHub(calls.fleet.context.settings.telepresence, calls.wire.publish,
                           lambda: True)  # fmt: skip
    loop = asyncio.new_event_loop()
    try:
        link = other_worker.join(cid, loop)
        topic = parse_topic(f"hc/v1/r/{calls.robot}/call_res/{cid}")
        for kind, fields in (("accepted", {}), ("hangup", {"reason": "the resident ended it"})):
            payload = json.dumps({"consultation_id": str(cid), "type": kind, "ts": 1.8e9,
                                  **fields}).encode()  # fmt: skip
            calls.hub.on_robot_signal(calls.db, topic, payload, calls.fleet.context.now())
            with contextlib.suppress(ProtocolError):  # the end is already stored: refused
                other_worker.on_robot_signal(calls.db, topic, payload, calls.fleet.context.now())
        loop.run_until_complete(asyncio.sleep(0))  # run the hand-overs to the link's queue
        told = [link.queue.get_nowait() for _ in range(link.queue.qsize())]
    finally:
        loop.close()
    assert told == [
        {"type": "state", "state": "accepted", "reason": ""},
        {"type": "state", "state": "ended", "reason": "the resident ended it"},
        None,
    ]
