"""The robot's nodes, one per file, each a thin wiring of a core class.

`ROBOT_NODES` lists what runs on a robot (the launch file and
`homecare robot run` start exactly these): node name -> "module:Class".
Each module also has a `main()` that runs its node alone on ROS 2.
"""

from __future__ import annotations

import importlib

from robot.runtime.api import NodeFactory

ROBOT_NODES: dict[str, str] = {
    "appointments": "robot.nodes.appointments_node:AppointmentsNode",
    "asr": "robot.nodes.asr_node:AsrNode",
    "battery_monitor": "robot.nodes.battery_monitor_node:BatteryMonitorNode",
    "benefits": "robot.nodes.benefits_node:BenefitsNode",
    "device_link": "robot.nodes.device_link_node:DeviceLinkNode",
    "dialog": "robot.nodes.dialog_node:DialogNode",
    "fall_detector": "robot.nodes.fall_detector_node:FallDetectorNode",
    "fleet_link": "robot.nodes.fleet_link_node:FleetLinkNode",
    "guardian": "robot.nodes.guardian_node:GuardianNode",
    "home_watch": "robot.nodes.home_watch_node:HomeWatchNode",
    "reminders": "robot.nodes.reminders_node:RemindersNode",
    "telepresence": "robot.nodes.telepresence_node:TelepresenceNode",
    "tts": "robot.nodes.tts_node:TtsNode",
}


def node_factory(target: str) -> NodeFactory:
    """The class named by a "module:Class" string."""
    module_name, _, class_name = target.partition(":")
    factory: NodeFactory = getattr(importlib.import_module(module_name), class_name)
    return factory
