"""The interface files are the single source of truth: check they are whole and consistent."""

from __future__ import annotations

import re

import pytest

from robot.runtime.message_types import INTERFACE_DIR, interface_files, load_message_types

# The topic table of DESIGN.md: topic -> message type.
TOPIC_TYPES = {
    "/camera/image_raw": "sensor_msgs/msg/Image",
    "/speech/heard": "homecare_interfaces/msg/Utterance",
    "/speech/say": "homecare_interfaces/msg/SayRequest",
    "/speech/spoken": "homecare_interfaces/msg/SayDone",
    "/dialog/intent": "homecare_interfaces/msg/Intent",
    "/safety/fall": "homecare_interfaces/msg/FallEvent",
    "/safety/alert": "homecare_interfaces/msg/Alert",
    "/reminders/due": "homecare_interfaces/msg/ReminderDue",
    "/reminders/outcome": "homecare_interfaces/msg/ReminderOutcome",
    "/robot/battery": "sensor_msgs/msg/BatteryState",
    "/fleet/config": "homecare_interfaces/msg/ConfigUpdate",
    "/devices/event": "homecare_interfaces/msg/DeviceEvent",
    "/devices/command": "homecare_interfaces/msg/DeviceEvent",
    "/safety/check_in": "homecare_interfaces/msg/CheckIn",
    "/telepresence/signal_in": "homecare_interfaces/msg/CallSignal",
    "/telepresence/signal_out": "homecare_interfaces/msg/CallSignal",
}


@pytest.mark.parametrize("msgtype", sorted(set(TOPIC_TYPES.values())))
def test_every_topic_type_exists(msgtype: str) -> None:
    assert load_message_types().resolve(msgtype) == msgtype


def test_cmake_lists_names_exactly_the_files_on_disk() -> None:
    cmake = (INTERFACE_DIR / "CMakeLists.txt").read_text(encoding="utf-8")
    listed = set(re.findall(r'"((?:msg|srv)/\w+\.(?:msg|srv))"', cmake))
    on_disk = {f"{p.parent.name}/{p.name}" for p in interface_files("msg") + interface_files("srv")}
    assert listed == on_disk


def test_fields_and_constants_match_the_contract() -> None:
    types = load_message_types()
    alert = types.Alert(alert_id="a", kind="fall", severity=types.Alert.SEVERITY_CRITICAL)
    assert alert.severity == "critical"
    assert alert.header.stamp.sec == 0 and alert.details_json == ""
    assert types.FallEvent.PHASE_DOWN == "down"
    assert types.SayRequest.PRIORITY_URGENT > types.SayRequest.PRIORITY_CHAT
    utterance = types.Utterance(text="помогите", lang="ru", is_final=True)
    assert utterance.confidence == 0.0


def test_defaults_fill_nested_and_array_fields() -> None:
    types = load_message_types()
    image = types.get("sensor_msgs/Image")(height=2, width=3)
    assert image.data.dtype.name == "uint8" and len(image.data) == 0
    battery = types.get("sensor_msgs/msg/BatteryState")()
    assert battery.cell_voltage.dtype.name == "float32"


def test_cdr_round_trip() -> None:
    types = load_message_types()
    message = types.Intent(
        name="reminder.ack", slots_json='{"medicine": "аспирин"}', confidence=0.9
    )
    back = types.deserialize(types.serialize(message), "Intent")
    assert back.name == "reminder.ack" and back.slots_json == message.slots_json


def test_unknown_field_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(TypeError, match=r"has no field.*fields are header, alert_id"):
        load_message_types().Alert(alertid="x")


def test_services_have_request_and_response() -> None:
    types = load_message_types()
    status = types.service("GetRobotStatus")
    assert status.name == "homecare_interfaces/srv/GetRobotStatus"
    assert status.Response().battery_pct == 0.0
    assert "homecare_interfaces/srv/CheckEligibility" in types.service_names()
