"""Zigbee2MQTT topics and payloads -> normalised readings per role (real payload shapes)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from homecare.errors import ConfigError
from robot.devices.registry import DeviceRegistry, parse_devices_config
from robot.devices.zigbee2mqtt import (
    BridgeTopic,
    DevicePayloadError,
    DeviceReader,
    DeviceTopic,
    Reading,
    decode_object,
    parse_availability,
    parse_bridge_devices,
    parse_topic,
    set_payload,
)

# Shapes as Zigbee2MQTT publishes them for common devices.
AQARA_DOOR_CLOSED = {"contact": True, "battery": 91, "voltage": 3005, "linkquality": 120,
                     "device_temperature": 24}  # fmt: skip
AQARA_DOOR_OPEN = {**AQARA_DOOR_CLOSED, "contact": False}
AQARA_MOTION = {"occupancy": True, "illuminance": 14, "battery": 100, "voltage": 3035,
                "linkquality": 87}  # fmt: skip
TUYA_SOS = {"action": "emergency", "battery": 100, "linkquality": 156}
AQARA_BUTTON = {"action": "single", "battery": 100, "voltage": 3042, "linkquality": 102}
TUYA_PRESENCE = {"presence": True, "illuminance_lux": 35, "target_distance": 1.2,
                 "linkquality": 120}  # fmt: skip
PLUG = {"state": "ON", "power": 4.2, "energy": 1.5, "linkquality": 200}
LIGHT = {"state": "OFF", "brightness": 254, "color_temp": 370, "linkquality": 131}


def read(reader: DeviceReader, role: str, state: dict[str, Any], name: str = "d") -> list[str]:
    return [reading.kind for reading in reader.read(name, role, state)]


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("zigbee2mqtt/front door", DeviceTopic("front door", "state")),
        ("zigbee2mqtt/hall/front door", DeviceTopic("hall/front door", "state")),
        (
            "zigbee2mqtt/hall/front door/availability",
            DeviceTopic("hall/front door", "availability"),
        ),
        ("zigbee2mqtt/lamp/set", DeviceTopic("lamp", "set")),
        ("zigbee2mqtt/lamp/get", DeviceTopic("lamp", "get")),
        ("zigbee2mqtt/bridge/devices", BridgeTopic("devices")),
        ("zigbee2mqtt/bridge/state", BridgeTopic("state")),
        ("zigbee2mqtt/", None),
        ("zigbee2mqtt/availability", DeviceTopic("availability", "state")),
        ("zigbee2mqtt//availability", None),
        ("zigbee2mqttx/lamp", None),
        ("homeassistant/sensor/x/config", None),
    ],
)
def test_topics_are_parsed_from_the_end(topic: str, expected: object) -> None:
    assert parse_topic(topic, "zigbee2mqtt") == expected


def test_door_sensor_reports_opened_and_closed_on_change_only() -> None:
    reader = DeviceReader()
    assert read(reader, "door_sensor", AQARA_DOOR_CLOSED) == ["closed"]
    assert read(reader, "door_sensor", AQARA_DOOR_CLOSED) == []  # a periodic report
    assert read(reader, "door_sensor", AQARA_DOOR_OPEN) == ["opened"]
    assert read(reader, "door_sensor", {"linkquality": 90}) == []


def test_motion_sensor_reports_every_detection_and_stillness_once() -> None:
    reader = DeviceReader()
    assert read(reader, "motion_sensor", AQARA_MOTION) == ["motion"]
    assert read(reader, "motion_sensor", AQARA_MOTION) == ["motion"]
    assert read(reader, "motion_sensor", {**AQARA_MOTION, "occupancy": False}) == ["still"]
    assert read(reader, "motion_sensor", {**AQARA_MOTION, "occupancy": False}) == []


@pytest.mark.parametrize("role", ["bed_sensor", "chair_sensor"])
def test_occupancy_pads_report_occupied_and_vacated(role: str) -> None:
    reader = DeviceReader()
    assert read(reader, role, {"occupancy": True, "battery": 80}) == ["occupied"]
    assert read(reader, role, {"occupancy": True}) == []
    assert read(reader, role, {"occupancy": False}) == ["vacated"]
    # mmWave presence sensors say "presence" instead
    assert read(reader, role, TUYA_PRESENCE) == ["occupied"]


@pytest.mark.parametrize("state", [TUYA_SOS, AQARA_BUTTON, {"action": "hold"}, {"sos": True}])
def test_sos_button_presses(state: dict[str, Any]) -> None:
    readings = DeviceReader().read("sos", "sos_button", state)
    assert [reading.kind for reading in readings] == ["pressed"]
    assert readings[0].fields["action"] == state.get("action", "sos")


@pytest.mark.parametrize(
    "state", [{"action": ""}, {"action": "release"}, {"battery": 100}, {"sos": False}]
)
def test_sos_button_messages_that_are_not_presses(state: dict[str, Any]) -> None:
    assert read(DeviceReader(), "sos_button", state) == []


def test_pill_dispenser_compartment_opened() -> None:
    readings = DeviceReader().read(
        "pills", "pill_dispenser", {"action": "compartment_opened", "compartment": 3}
    )
    assert readings == [Reading("opened", {"compartment": 3})]
    assert read(DeviceReader(), "pill_dispenser", {"action": "refilled"}) == []


@pytest.mark.parametrize(("role", "state"), [("plug", PLUG), ("light", LIGHT)])
def test_lights_and_plugs_report_switching(role: str, state: dict[str, Any]) -> None:
    reader = DeviceReader()
    first = state["state"].lower()
    assert read(reader, role, state) == [first]
    assert read(reader, role, state) == []
    other = "OFF" if first == "on" else "ON"
    assert read(reader, role, {**state, "state": other}) == [other.lower()]


def test_battery_low_and_back_with_hysteresis() -> None:
    reader = DeviceReader()
    assert read(reader, "door_sensor", {"battery": 50}) == []
    readings = reader.read("d", "door_sensor", {"battery": 15})
    assert readings == [Reading("battery_low", {"battery": 15.0})]
    assert read(reader, "door_sensor", {"battery": 22}) == []  # not yet above 25
    assert read(reader, "door_sensor", {"battery": 30}) == ["battery_ok"]
    assert read(reader, "door_sensor", {"battery_low": True}) == ["battery_low"]
    assert read(reader, "door_sensor", {"battery_low": False}) == ["battery_ok"]


def test_a_replayed_retained_state_is_remembered_without_edges() -> None:
    reader = DeviceReader()
    assert reader.read("d", "door_sensor", AQARA_DOOR_OPEN, replayed=True) == []
    assert read(reader, "door_sensor", AQARA_DOOR_OPEN) == []  # no change since
    assert read(reader, "door_sensor", AQARA_DOOR_CLOSED) == ["closed"]
    # ...but a low battery is news for maintenance even when replayed
    assert [r.kind for r in reader.read("e", "motion_sensor", {"battery": 5}, replayed=True)] == [
        "battery_low"
    ]


@pytest.mark.parametrize(
    ("role", "state", "reason"),
    [
        ("door_sensor", {"contact": "open"}, 'contact must be true or false, got "open"'),
        ("door_sensor", {"contact": 1}, "contact must be true or false, got 1"),
        ("bed_sensor", {"occupancy": None, "presence": "yes"}, "presence must be true or false"),
        ("motion_sensor", {"occupancy": True, "battery": "full"}, "battery must be a number"),
        ("motion_sensor", {"battery": 140}, "battery must be 0-100, got 140"),
        ("motion_sensor", {"battery": True}, "battery must be a number"),
        ("sos_button", {"action": 5}, "action must be text, got 5"),
        ("pill_dispenser", {"action": "compartment_opened"}, "compartment must be a whole number"),
        ("pill_dispenser", {"action": "compartment_opened", "compartment": "2"}, "whole number"),
        ("pill_dispenser", {"action": "compartment_opened", "compartment": 40}, "1-31"),
        ("light", {"state": "DIM"}, 'state must be ON or OFF, got "DIM"'),
        ("plug", {"state": ["ON"]}, "state must be text"),
    ],
)
def test_wrong_types_are_bad_payloads_naming_the_field(
    role: str, state: dict[str, Any], reason: str
) -> None:
    reader = DeviceReader()
    with pytest.raises(DevicePayloadError, match=reason.replace("(", r"\(")) as error:
        reader.read("d", role, state)
    assert reason in str(error.value)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "payload is not JSON"),
        (b"[1, 2]", "payload is JSON list, not an object"),
        (b'"ON"', "payload is JSON str, not an object"),
        (b"\xff\xfe", "payload is not UTF-8 text"),
        (b"{" + b" " * 20000 + b"}", "larger than"),
    ],
)
def test_payloads_that_are_not_json_objects(payload: bytes, reason: str) -> None:
    with pytest.raises(DevicePayloadError) as error:
        decode_object(payload)
    assert reason in str(error.value)


@pytest.mark.parametrize(
    ("payload", "online"),
    [(b'{"state":"online"}', True), (b'{"state": "offline"}', False), (b"online", True),
     (b"offline", False)],
)  # fmt: skip
def test_availability_new_and_legacy(payload: bytes, online: bool) -> None:
    assert parse_availability(payload) is online


@pytest.mark.parametrize("payload", [b"maybe", b'{"state": 1}', b"{oops", b"[]"])
def test_bad_availability(payload: bytes) -> None:
    with pytest.raises(DevicePayloadError, match="availability"):
        parse_availability(payload)


BRIDGE_DEVICES = [
    {"friendly_name": "Coordinator", "ieee_address": "0x00124b0029", "type": "Coordinator",
     "definition": None, "supported": True, "interview_completed": True},
    {"friendly_name": "hall/front door", "ieee_address": "0x00158d0001a2b3c4", "type": "EndDevice",
     "definition": {"model": "MCCGQ11LM", "vendor": "Aqara",
                    "description": "Door and window sensor", "exposes": []},
     "supported": True, "interview_completed": True},
    {"friendly_name": "0x00158d000aaaaaaa", "ieee_address": "0x00158d000aaaaaaa",
     "type": "EndDevice", "definition": None, "supported": False, "interview_completed": False},
    "garbage entry",
    {"ieee_address": "0x1"},
]  # fmt: skip


def test_bridge_devices_lists_paired_devices_without_the_coordinator() -> None:
    paired = parse_bridge_devices(json.dumps(BRIDGE_DEVICES).encode())
    assert [device.friendly_name for device in paired] == ["hall/front door", "0x00158d000aaaaaaa"]
    door, unsupported = paired
    assert (door.model, door.vendor, door.supported) == ("MCCGQ11LM", "Aqara", True)
    assert (unsupported.model, unsupported.supported) == ("", False)


@pytest.mark.parametrize("payload", [b"{}", b"nope", b'"x"'])
def test_bridge_devices_that_is_not_an_array(payload: bytes) -> None:
    with pytest.raises(DevicePayloadError, match="bridge/devices"):
        parse_bridge_devices(payload)


def test_set_payloads() -> None:
    assert set_payload('{"state": "ON", "brightness": 80}') == b'{"state":"ON","brightness":80}'
    for bad in ("", "{}", "[1]", "ON"):
        with pytest.raises(DevicePayloadError):
            set_payload(bad)


def test_registry_lists_unknown_devices_and_never_guesses() -> None:
    local = parse_devices_config(
        '{"devices": {"hall/front door": {"role": "door_sensor", "room": "hall"}}}', "test"
    )
    registry = DeviceRegistry(local)
    found = registry.note_paired(parse_bridge_devices(json.dumps(BRIDGE_DEVICES).encode()))
    assert [device.friendly_name for device in found] == ["0x00158d000aaaaaaa"]
    assert registry.note_paired(parse_bridge_devices(json.dumps(BRIDGE_DEVICES).encode())) == []
    assert registry.note_seen("kitchen plug") is True
    assert registry.note_seen("kitchen plug") is False
    assert registry.note_seen("hall/front door") is False
    assert registry.unknown_devices() == ["0x00158d000aaaaaaa", "kitchen plug"]
    assert registry.role_of("hall/front door") == "door_sensor"

    fleet = parse_devices_config('{"devices": {"kitchen plug": {"role": "plug"}}}', "cfg")
    registry.use_fleet_config(fleet)
    assert registry.role_of("kitchen plug") == "plug"
    assert registry.role_of("hall/front door") == ""  # the fleet's registry replaces the local
    assert registry.unknown_devices() == ["0x00158d000aaaaaaa"]
    registry.use_fleet_config(parse_devices_config("{}", "cfg"))  # cleared: the parameter again
    assert registry.role_of("hall/front door") == "door_sensor"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "is not valid JSON"),
        ('{"devices": {"x": {"role": "toaster"}}}', "devices.x.role"),
        ('{"devices": {"a/+": {"role": "plug"}}}', "not a Zigbee2MQTT friendly name"),
        ('{"devices": [], "extra": 1}', "devices"),
    ],
)
def test_bad_registries_name_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match="cfg/devices") as error:
        parse_devices_config(text, "cfg/devices")
    assert message in str(error.value)
