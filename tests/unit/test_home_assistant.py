"""Home Assistant MQTT discovery payloads for the robot's own entities."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from robot.devices import home_assistant


def configs(robot_id: str = "r1") -> dict[str, dict[str, object]]:
    return {
        topic: json.loads(payload)
        for topic, payload in home_assistant.discovery_configs("homeassistant", robot_id, "1.2.3")
    }


def test_four_entities_on_discovery_topics() -> None:
    assert sorted(configs()) == [
        "homeassistant/binary_sensor/homecare_r1/fleet_link/config",
        "homeassistant/sensor/homecare_r1/battery/config",
        "homeassistant/sensor/homecare_r1/last_alert/config",
        "homeassistant/sensor/homecare_r1/next_reminder/config",
    ]


def test_every_config_has_what_home_assistant_needs() -> None:
    for config in configs().values():
        assert config["unique_id"] and config["name"]
        assert str(config["state_topic"]).startswith("homecare/r1/")
        assert config["availability_topic"] == "homecare/r1/availability"
        assert (config["payload_available"], config["payload_not_available"]) == (
            "online", "offline",
        )  # fmt: skip
        assert config["device"] == {
            "identifiers": ["homecare_r1"], "name": "homecare robot r1",
            "model": "home-care robot", "manufacturer": "homecare project", "sw_version": "1.2.3",
        }  # fmt: skip
    unique_ids = [config["unique_id"] for config in configs().values()]
    assert len(set(unique_ids)) == len(unique_ids)


def test_entity_kinds() -> None:
    by_object = {topic.split("/")[-2]: config for topic, config in configs().items()}
    link = by_object["fleet_link"]
    assert (link["device_class"], link["payload_on"], link["payload_off"]) == (
        "connectivity", "ON", "OFF",
    )  # fmt: skip
    battery = by_object["battery"]
    assert (battery["device_class"], battery["unit_of_measurement"]) == ("battery", "%")
    alert = by_object["last_alert"]
    assert alert["value_template"] == "{{ value_json.kind }}"
    assert alert["json_attributes_topic"] == alert["state_topic"]
    assert by_object["next_reminder"]["value_template"] == "{{ value_json.title }}"


def test_robot_ids_are_made_safe_for_the_node_id() -> None:
    topics = list(configs("agency.7:robot-3"))
    assert all(re.fullmatch(r"homeassistant/\w+/homecare_agency_7_robot-3/\w+/config", t)
               for t in topics)  # fmt: skip


def test_state_payloads() -> None:
    at = datetime(2026, 1, 5, 7, 30, tzinfo=UTC)
    assert home_assistant.fleet_link_state(True) == b"ON"
    assert home_assistant.fleet_link_state(False) == b"OFF"
    assert home_assistant.battery_state(42.4) == b"42"
    assert home_assistant.battery_state(180.0) == b"100"
    assert json.loads(home_assistant.alert_state("sos", "critical", at)) == {
        "kind": "sos", "severity": "critical", "at": "2026-01-05T07:30:00+00:00",
    }  # fmt: skip
    assert json.loads(home_assistant.reminder_state("Аспирин", at))["title"] == "Аспирин"
