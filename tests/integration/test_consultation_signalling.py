"""Consultation signalling across a real broker: the fleet rings the robot on call/{cid},
the robot's call_res signals (sent by a real MQTT client) reach a joined WebSocket and
are stored, the browser's answer and hang-up reach the robot, and a decline is recorded
as declined.

Each test runs against mosquitto and the embedded broker (see conftest.py).
"""

# The fixtures `broker` and `robot` come from tests.integration.fleet_wire.
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from fleet.calls import CallHub
from fleet.mqtt_ingest import FleetIngest
from fleet.protocol import CallSignal, call_result_topic, decode
from fleet.service import FleetService
from fleet.store import consultations as store
from homecare.clock import SystemClock
from homecare.settings import FleetSettings
from tests.broker import AnyBroker, free_port, make_test_broker, mosquitto_readable_dir
from tests.fleet_api import Fleet
from tests.integration.fleet_wire import broker, robot  # noqa: F401  (fixtures)
from tests.integration.test_fleet_ingest import Login, running_ingest
from tests.integration.test_reminders_wire import rent, robot_probe
from tests.mqtt_probe import Probe
from tests.support import wait_until
from tests.unit.test_fleet_api_reminders import auth

API = "/api/v1"
CALLS = "hc/v1/r/+/call/+"


@contextmanager
def calling_fleet(fleet: Fleet, broker: AnyBroker) -> Iterator[FleetIngest]:
    """The service's ingest with its call hub, wired as `FleetService` wires them."""
    with running_ingest(fleet, broker) as ingest:
        hub = CallHub(
            fleet.context.settings.telepresence,
            ingest.publish,
            ingest.is_connected,
            counters=fleet.context.ingest_counters,
        )
        ingest.calls = hub
        fleet.context.calls = hub
        fleet.context.publish = ingest.publish
        yield ingest


def rented_resident(fleet: Fleet, rid: str) -> int:
    resident_id, rental_id = rent(fleet, rid)
    handed = fleet.client.post(
        f"{API}/rentals/{rental_id}/handover", headers=auth(fleet, "operator@a.example")
    )
    assert handed.status_code == 200, handed.text
    return resident_id


def signals(watcher: Probe, kind: str) -> list[CallSignal]:
    found = [decode(CallSignal, m.payload) for m in watcher.received() if "/call/" in m.topic]
    return [s for s in found if s.type == kind]


def robot_sends(probe: Probe, rid: str, cid: int, kind: str, **fields: Any) -> None:
    signal = {"consultation_id": str(cid), "type": kind, "ts": 1.8e9, **fields}
    probe.publish(call_result_topic(rid, str(cid)), json.dumps(signal).encode(), qos=1)


def test_a_call_is_signalled_between_the_robot_over_mqtt_and_the_browser(
    fleet: Fleet, broker: AnyBroker, robot: Login
) -> None:
    broker.start()
    rid, social = robot.username, auth(fleet, "social@a.example")
    with calling_fleet(fleet, broker):
        resident_id = rented_resident(fleet, rid)
        watcher = broker.probe()
        watcher.subscribe(CALLS)
        robot_side = robot_probe(broker, robot)

        started = fleet.client.post(
            f"{API}/consultations", json={"resident_id": resident_id}, headers=social
        )
        assert started.status_code == 201, started.text
        call = started.json()
        cid = call["id"]
        wait_until(lambda: bool(signals(watcher, "ring")), what="the ring")
        ring = watcher.received()[0]
        assert (ring.topic, ring.qos, ring.retain) == (f"hc/v1/r/{rid}/call/{cid}", 1, False)
        assert signals(watcher, "ring")[0].caller_role == "социальный работник"

        with fleet.client.websocket_connect(call["signal_path"]) as socket:
            socket.send_json({"type": "hello", "token": call["token"]})
            assert socket.receive_json()["consultation"]["state"] == "ringing"

            robot_sends(robot_side, rid, cid, "accepted")
            assert socket.receive_json() == {"type": "state", "state": "accepted", "reason": ""}
            assert (
                store.get_consultation(fleet.context.db(), fleet.agency_a, cid).state == "accepted"
            )
            robot_sends(robot_side, rid, cid, "offer", sdp="v=0 the robot's offer")
            assert socket.receive_json() == {"type": "offer", "sdp": "v=0 the robot's offer"}
            robot_sends(robot_side, rid, cid, "state", state="connected")
            assert socket.receive_json()["state"] == "connected"

            socket.send_json({"type": "hangup", "reason": "the consultation is over"})
            assert socket.receive_json() == {
                "type": "state",
                "state": "ended",
                "reason": "the consultation is over",
            }
            with pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_json()
            assert closed.value.code == 1000
        wait_until(lambda: bool(signals(watcher, "hangup")), what="the hangup to the robot")
        assert signals(watcher, "hangup")[0].reason == "the consultation is over"
        found = store.get_consultation(fleet.context.db(), fleet.agency_a, cid)
        assert (found.state, found.connected_at is not None) == ("ended", True)

        # A late signal of the ended call is refused and counted, never fatal.
        robot_sends(robot_side, rid, cid, "state", state="connected")
        counters = fleet.context.ingest_counters
        wait_until(lambda: counters["call_signals_after_end"] == 1, what="the late signal")
        assert store.get_consultation(fleet.context.db(), fleet.agency_a, cid).state == "ended"


def test_a_declined_call_is_recorded_as_declined_and_closes_the_browser(
    fleet: Fleet, broker: AnyBroker, robot: Login
) -> None:
    broker.start()
    rid, social = robot.username, auth(fleet, "social@a.example")
    with calling_fleet(fleet, broker):
        resident_id = rented_resident(fleet, rid)
        robot_side = robot_probe(broker, robot)
        call = fleet.client.post(
            f"{API}/consultations", json={"resident_id": resident_id}, headers=social
        ).json()
        with fleet.client.websocket_connect(call["signal_path"]) as socket:
            socket.send_json({"type": "hello", "token": call["token"]})
            assert socket.receive_json()["type"] == "joined"
            robot_sends(robot_side, rid, call["id"], "declined", reason="the resident said no")
            assert socket.receive_json() == {
                "type": "state",
                "state": "declined",
                "reason": "the resident said no",
            }
            with pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_json()
            assert closed.value.code == 1000
        detail = fleet.client.get(f"{API}/consultations/{call['id']}", headers=social).json()
        assert (detail["state"], detail["reason"]) == ("declined", "the resident said no")
        assert [(e["state"], e["by"]) for e in detail["events"]] == [
            ("ringing", "specialist"),
            ("declined", "robot"),
        ]


def test_the_service_wires_the_call_hub_to_its_ingest_app_and_timeout_sweep() -> None:
    with mosquitto_readable_dir() as folder:
        server = make_test_broker("mosquitto", folder)
        server.start()
        settings = FleetSettings(
            db_path=folder / "fleet.db", mqtt_url=server.service_url, port=free_port()
        )
        service = FleetService(settings, SystemClock())
        try:
            service.start()
            context = service.context
            assert context is not None and context.calls is not None
            counters = context.ingest_counters
            wait_until(lambda: counters["call_timeouts_runs"] >= 1, what="the timeout sweep")
            # A robot's call signal reaches the hub through the service's own ingest.
            robot_side = server.probe("r1")
            robot_sends(robot_side, "r1", 77, "accepted")
            wait_until(lambda: counters["call_signals_refused"] == 1, what="the hub's refusal")
        finally:
            service.stop()
            server.close_probes()
            server.stop()
