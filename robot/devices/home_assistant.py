"""Home Assistant MQTT discovery for the robot's own entities (pure: topics and payloads).

A family that runs Home Assistant on the home broker sees the robot without configuring
anything: retained configs on `<prefix>/<component>/<node id>/<object id>/config` describe
four entities, their states are retained under `homecare/<robot id>/...`, and all of them
are unavailable when the robot's will (`offline` on the availability topic) fires.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

STATE_ROOT = "homecare"
MANUFACTURER = "homecare project"
MODEL = "home-care robot"
PAYLOAD_ONLINE = "online"
PAYLOAD_OFFLINE = "offline"


@dataclass(frozen=True)
class Entity:
    component: str  # binary_sensor, sensor
    object_id: str
    name: str
    extra: dict[str, Any]


ENTITIES = (
    Entity("binary_sensor", "fleet_link", "Connected to the agency",
           {"device_class": "connectivity", "payload_on": "ON", "payload_off": "OFF"}),
    Entity("sensor", "battery", "Battery",
           {"device_class": "battery", "unit_of_measurement": "%", "state_class": "measurement"}),
    Entity("sensor", "last_alert", "Last alert",
           {"value_template": "{{ value_json.kind }}", "icon": "mdi:alarm-light"}),
    Entity("sensor", "next_reminder", "Reminder",
           {"value_template": "{{ value_json.title }}", "icon": "mdi:pill"}),
)  # fmt: skip
_JSON_STATES = {"last_alert", "next_reminder"}


def node_id(robot_id: str) -> str:
    """The discovery node id: Home Assistant allows only [a-zA-Z0-9_-] there."""
    return "homecare_" + re.sub(r"[^A-Za-z0-9_-]", "_", robot_id)


def state_topic(robot_id: str, object_id: str) -> str:
    return f"{STATE_ROOT}/{robot_id}/{object_id}"


def availability_topic(robot_id: str) -> str:
    """Where the robot says `online`; its MQTT will says `offline` (retained)."""
    return state_topic(robot_id, "availability")


def discovery_topic(prefix: str, entity: Entity, robot_id: str) -> str:
    return f"{prefix}/{entity.component}/{node_id(robot_id)}/{entity.object_id}/config"


def discovery_configs(prefix: str, robot_id: str, version: str) -> list[tuple[str, bytes]]:
    """(topic, payload) of every entity's retained discovery config."""
    device = {
        "identifiers": [node_id(robot_id)],
        "name": f"homecare robot {robot_id}",
        "model": MODEL,
        "manufacturer": MANUFACTURER,
        "sw_version": version,
    }
    configs = []
    for entity in ENTITIES:
        topic = state_topic(robot_id, entity.object_id)
        config: dict[str, Any] = {
            "name": entity.name,
            "unique_id": f"{node_id(robot_id)}_{entity.object_id}",
            "state_topic": topic,
            "availability_topic": availability_topic(robot_id),
            "payload_available": PAYLOAD_ONLINE,
            "payload_not_available": PAYLOAD_OFFLINE,
            "device": device,
            "origin": {"name": "homecare", "sw_version": version},
            **entity.extra,
        }
        if entity.object_id in _JSON_STATES:
            config["json_attributes_topic"] = topic
        configs.append((discovery_topic(prefix, entity, robot_id), _json(config)))
    return configs


def fleet_link_state(connected: bool) -> bytes:
    return b"ON" if connected else b"OFF"


def battery_state(percentage: float) -> bytes:
    return f"{max(0.0, min(100.0, percentage)):.0f}".encode()


def alert_state(kind: str, severity: str, at: datetime) -> bytes:
    return _json({"kind": kind, "severity": severity, "at": at.isoformat()})


def reminder_state(title: str, at: datetime) -> bytes:
    """The reminder now due (the robot learns of reminders when they fall due)."""
    return _json({"title": title, "at": at.isoformat()})


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
