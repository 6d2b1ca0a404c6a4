"""battery_monitor: /robot/battery -> low-battery Alert on /safety/alert and a spoken notice."""

from __future__ import annotations

import json
import math
from typing import Any

from robot.runtime import EVENTS, Runtime, load_params
from robot.runtime.stamps import header, new_id
from robot.safety.battery_watch import BatteryLevel, BatteryWatch, BatteryWatchParams, spoken_notice


class BatteryMonitorNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = load_params(rt, BatteryWatchParams)
        self.watch = BatteryWatch(self.params)
        types = rt.types
        self.alerts = rt.publisher("/safety/alert", types.Alert, EVENTS)
        self.speech = rt.publisher("/speech/say", types.SayRequest, EVENTS)
        rt.subscribe("/robot/battery", types.get("sensor_msgs/msg/BatteryState"), self.on_battery)

    def on_battery(self, state: Any) -> None:
        percentage = float(state.percentage) * 100.0  # BatteryState.percentage is 0..1
        charging = state.power_supply_status == state.POWER_SUPPLY_STATUS_CHARGING
        if math.isnan(percentage):  # the base does not know its charge
            self.rt.log.warning("battery percentage unknown")
            return
        notice = self.watch.update(max(0.0, min(100.0, percentage)), charging)
        if notice is None:
            return
        types = self.rt.types
        severity = types.Alert.SEVERITY_WARNING
        self.alerts.publish(
            types.Alert(
                header=header(self.rt),
                alert_id=new_id(),
                kind="low_battery",
                severity=severity,
                details_json=json.dumps(
                    {"battery_pct": round(notice.percentage, 1), "level": notice.level.value}
                ),
            )
        )
        priority = (
            types.SayRequest.PRIORITY_URGENT
            if notice.level is BatteryLevel.CRITICAL
            else types.SayRequest.PRIORITY_NORMAL
        )
        self.speech.publish(
            types.SayRequest(
                header=header(self.rt),
                text=spoken_notice(notice, self.params.lang),
                lang=self.params.lang,
                priority=priority,
                utterance_id=new_id(),
            )
        )
        self.rt.log.info("battery low", level=notice.level.value, pct=round(notice.percentage))


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(BatteryMonitorNode, "battery_monitor", args)
