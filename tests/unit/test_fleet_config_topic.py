"""/fleet/config carries one latched message per kind: none may push another out."""

from __future__ import annotations

import json

from homecare.clock import ManualClock
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from robot.local_launch import robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.runtime import CONFIG

SCHEDULE = {
    "timezone": "Asia/Yekaterinburg",
    "medicines": [{"name": "эналаприл"}],
    "reminders": [
        {"id": "pill", "kind": "medication", "title": "Pill", "medicine": "эналаприл",
         "start": "2026-01-05T08:05:00", "rrule": "FREQ=DAILY"},
    ],
}  # fmt: skip


def test_each_kind_reaches_its_node_even_when_they_arrive_together() -> None:
    rt = robot_runtime(ManualClock(), PACKAGED_ROBOT_PARAMETERS, "ru")
    probe = rt.node("fleet_link_stand_in")
    types = probe.types
    config = probe.publisher("/fleet/config", types.ConfigUpdate, CONFIG)
    # What fleet_link does on connecting: every retained cfg/{kind} at once.
    config.publish(types.ConfigUpdate(kind="reminders", version=3, json=json.dumps(SCHEDULE)))
    config.publish(types.ConfigUpdate(kind="benefits", version=1, json="{}"))
    config.publish(types.ConfigUpdate(kind="devices", version=1, json="{}"))
    # Nodes that start later get every kind too (transient local, one message per kind).
    start_nodes(rt, {name: ROBOT_NODES[name] for name in ("reminders", "dialog")})
    rt.run_until_idle()
    reminders, dialog = rt.instances["reminders"], rt.instances["dialog"]
    assert reminders.config_version == 3
    assert [medicine.name for medicine in dialog.medicines] == ["эналаприл"]
    assert rt.callback_errors == {}
