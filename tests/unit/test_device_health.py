"""The device link's core on a manual clock: events, health, rate limits, silence."""

from __future__ import annotations

import json
from typing import Any

import pytest

from homecare.clock import ManualClock
from robot.devices.health import DeviceHealth, DeviceStatus, Outputs, TokenBucket
from robot.devices.registry import DeviceRegistry, parse_devices_config

REGISTRY = {
    "devices": {
        "hall/front door": {"role": "door_sensor", "room": "hall"},
        "sos": {"role": "sos_button", "room": "bedroom"},
        "bed": {"role": "bed_sensor", "room": "bedroom"},
        "pills": {"role": "pill_dispenser", "room": "kitchen",
                  "compartments": {"1": "rem-morning"}},
    }
}  # fmt: skip


class Home:
    def __init__(self, limit: int = 60, offline_after_s: float = 3600.0) -> None:
        self.clock = ManualClock()
        self.registry = DeviceRegistry(parse_devices_config(json.dumps(REGISTRY), "test"))
        self.health = DeviceHealth(
            self.registry, self.clock, offline_after_s=offline_after_s,
            max_messages_per_minute=limit,
        )  # fmt: skip

    def send(self, topic: str, payload: Any, retained: bool = False) -> Outputs:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.health.on_message("zigbee2mqtt/" + topic, raw, retained=retained)


def kinds(out: Outputs) -> list[tuple[str, str]]:
    return [(event.device, event.kind) for event in out.events]


def test_a_door_opening_is_an_event_with_its_room_and_the_first_status() -> None:
    home = Home()
    out = home.send("hall/front door", {"contact": False, "battery": 91, "linkquality": 120})
    assert kinds(out) == [("hall/front door", "opened")]
    assert out.events[0].role == "door_sensor"
    assert out.events[0].fields == {"room": "hall"}
    assert out.statuses == [
        DeviceStatus(
            device="hall/front door", role="door_sensor", online=True, battery_pct=91.0,
            battery_low=False, last_seen=home.clock.now().timestamp(), problem="",
        )
    ]  # fmt: skip
    # nothing changed for the fleet: no second status
    assert home.send("hall/front door", {"contact": True}).statuses == []


def test_sos_press_and_pill_dispenser_opening() -> None:
    home = Home()
    assert kinds(home.send("sos", {"action": "single", "battery": 100})) == [("sos", "pressed")]
    out = home.send("pills", {"action": "compartment_opened", "compartment": 1})
    assert out.events[0].kind == "opened"
    assert out.events[0].fields == {"room": "kitchen", "compartment": 1}


def test_garbage_is_reported_counted_and_the_next_good_message_works() -> None:
    home = Home()
    out = home.send("hall/front door", b"\x00garbage")
    assert kinds(out) == [("hall/front door", "bad_payload")]
    assert "not" in out.events[0].fields["reason"]
    assert out.statuses[0].problem == "garbage"
    assert kinds(home.send("hall/front door", [1, 2])) == [("hall/front door", "bad_payload")]
    assert kinds(home.send("hall/front door", {"contact": "yes"})) == [
        ("hall/front door", "bad_payload")
    ]
    assert kinds(home.send("hall/front door", {"contact": False})) == [
        ("hall/front door", "opened")
    ]
    assert home.health.counts()["bad_payloads"] == 3
    # the problem clears with a good message well after the garbage
    home.clock.advance(601)
    out = home.send("hall/front door", {"contact": True})
    assert [status.problem for status in out.statuses] == [""]


def test_a_flood_is_reported_once_dropped_and_does_not_touch_other_devices() -> None:
    home = Home(limit=10)
    events: list[tuple[str, str]] = []
    statuses: list[DeviceStatus] = []
    for number in range(500):
        out = home.send("bed", {"occupancy": number % 2 == 0})
        events += kinds(out)
        statuses += out.statuses
        if number == 250:
            assert kinds(home.send("sos", {"action": "single"})) == [("sos", "pressed")]
    assert events.count(("bed", "flooding")) == 1
    assert len([kind for _, kind in events if kind in ("occupied", "vacated")]) == 10
    assert [status.problem for status in statuses] == ["", "flooding"]
    assert home.health.counts()["dropped"] == 490
    # still flooding while it keeps sending; calm after half the bucket refilled
    assert kinds(home.send("bed", {"occupancy": True})) == []
    home.clock.advance(29)
    assert home.health.tick().statuses == []
    home.clock.advance(2)
    assert [status.problem for status in home.health.tick().statuses] == [""]
    # the last message let through (number 9) said vacated; dropped ones are not remembered
    assert kinds(home.send("bed", {"occupancy": True})) == [("bed", "occupied")]


def test_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(capacity=2, rate_per_s=1.0, now=0.0)
    assert bucket.take(0.0) and bucket.take(0.0)
    assert not bucket.take(0.5)
    assert bucket.take(1.5)
    assert not bucket.take(1.6)


def test_silence_marks_a_device_offline_and_a_message_brings_it_back() -> None:
    home = Home(offline_after_s=3600)
    home.send("hall/front door", {"contact": True})
    home.clock.advance(3599)
    assert not kinds(home.health.tick())
    home.clock.advance(2)
    out = home.health.tick()
    offline = [event for event in out.events if event.device == "hall/front door"]
    assert [event.kind for event in offline] == ["offline"]
    assert offline[0].fields == {"room": "hall", "reason": "silent", "silent_s": 3601}
    statuses = [status for status in out.statuses if status.device == "hall/front door"]
    assert [(status.online, status.problem) for status in statuses] == [(False, "")]
    assert not [e for e in home.health.tick().events if e.device == "hall/front door"]
    out = home.send("hall/front door", {"contact": True})
    assert kinds(out) == [("hall/front door", "online")]
    assert [status.online for status in out.statuses] == [True]


def test_a_registered_device_never_heard_is_offline_after_the_silence_too() -> None:
    home = Home(offline_after_s=100)
    home.clock.advance(101)
    out = home.health.tick()
    assert sorted(device for device, kind in kinds(out) if kind == "offline") == [
        "bed", "hall/front door", "pills", "sos",
    ]  # fmt: skip


def test_availability_new_and_legacy_formats() -> None:
    home = Home()
    out = home.send("sos/availability", {"state": "online"}, retained=True)
    assert kinds(out) == []  # first news of it: online is no event, but the fleet hears of it
    assert [status.online for status in out.statuses] == [True]
    out = home.send("sos/availability", b"offline")
    assert kinds(out) == [("sos", "offline")]
    assert [status.online for status in out.statuses] == [False]
    assert kinds(home.send("sos/availability", b"online")) == [("sos", "online")]
    assert kinds(home.send("sos/availability", b"perhaps")) == [("sos", "bad_payload")]


def test_battery_low_becomes_an_event_and_a_status() -> None:
    home = Home()
    out = home.send("bed", {"occupancy": True, "battery": 9})
    assert kinds(out) == [("bed", "occupied"), ("bed", "battery_low")]
    assert out.events[1].fields == {"room": "bedroom", "battery": 9.0}
    assert [(s.battery_low, s.battery_pct) for s in out.statuses] == [(True, 9.0)]
    out = home.send("bed", {"battery": 100})
    assert kinds(out) == [("bed", "battery_ok")]
    assert [s.battery_low for s in out.statuses] == [False]


def test_unknown_devices_are_reported_once_and_never_interpreted() -> None:
    home = Home()
    bridge = [
        {"friendly_name": "0xabc", "ieee_address": "0xabc", "type": "EndDevice",
         "definition": {"model": "TS0215A", "vendor": "Tuya", "description": "SOS button"},
         "supported": True, "interview_completed": True},
        {"friendly_name": "sos", "ieee_address": "0x1", "type": "EndDevice", "definition": None},
    ]  # fmt: skip
    out = home.send("bridge/devices", bridge, retained=True)
    assert kinds(out) == [("0xabc", "unknown_device")]
    assert out.events[0].role == ""
    assert out.events[0].fields["model"] == "TS0215A"
    assert [(s.device, s.role, s.problem) for s in out.statuses] == [("0xabc", "", "unknown")]
    assert kinds(home.send("0xabc", {"action": "emergency"})) == []  # not guessed to be an SOS
    assert kinds(home.send("bridge/devices", bridge, retained=True)) == []
    assert kinds(home.send("stranger", {"state": "ON"})) == [("stranger", "unknown_device")]
    assert home.registry.unknown_devices() == ["0xabc", "stranger"]


def test_bridge_garbage_is_noted_not_fatal() -> None:
    home = Home()
    out = home.send("bridge/devices", b"{broken")
    assert out.notes and "bridge/devices" in out.notes[0]
    assert home.health.counts()["bridge_bad_payloads"] == 1
    assert home.send("bridge/state", {"state": "offline"}).notes


def test_our_own_commands_and_foreign_topics_are_ignored() -> None:
    home = Home()
    assert kinds(home.send("lamp/set", {"state": "ON"})) == []
    assert home.health.on_message("other/x", b"{}").events == []
    assert home.health.counts()["ignored"] == 1


def test_a_registry_change_gives_roles_and_takes_them_away() -> None:
    home = Home()
    assert kinds(home.send("lamp", {"state": "ON"})) == [("lamp", "unknown_device")]
    fleet = parse_devices_config('{"devices": {"lamp": {"role": "light"}}}', "cfg")
    home.registry.use_fleet_config(fleet)
    # The fleet was told the lamp is unknown: now it hears it is a registered light.
    [status] = home.health.on_registry_changed().statuses
    assert (status.device, status.role, status.problem) == ("lamp", "light", "")
    assert kinds(home.send("lamp", {"state": "OFF"})) == [("lamp", "off")]
    assert kinds(home.send("sos", {"action": "single"})) == [("sos", "unknown_device")]


@pytest.mark.parametrize("retained", [True, False])
def test_retained_state_is_old_news(retained: bool) -> None:
    home = Home()
    out = home.send("hall/front door", {"contact": False}, retained=retained)
    assert kinds(out) == ([] if retained else [("hall/front door", "opened")])
