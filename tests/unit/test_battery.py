from __future__ import annotations

import json
from typing import Any

import pytest

from homecare.clock import ManualClock
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from robot.local_launch import robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.safety.battery_watch import BatteryLevel, BatteryWatch, BatteryWatchParams
from simulations.battery import BatteryModel, BatteryModelParams, PowerStatus


def test_low_then_critical_each_noticed_once_with_hysteresis() -> None:
    watch = BatteryWatch(BatteryWatchParams(low_pct=20, critical_pct=10, hysteresis_pct=5))
    seen = [watch.update(pct, charging=False) for pct in (30, 20, 19, 21, 19, 10, 12, 9)]
    levels = [notice.level if notice else None for notice in seen]
    assert levels == [None, BatteryLevel.LOW, None, None, None, BatteryLevel.CRITICAL, None, None]
    # Back above low + hysteresis re-arms the low notice.
    assert watch.update(26, charging=False) is None and watch.level is BatteryLevel.OK
    assert watch.update(20, charging=False) is not None


def test_no_notice_while_charging() -> None:
    watch = BatteryWatch(BatteryWatchParams())
    assert watch.update(15, charging=True) is None


def test_bad_readings_and_params_are_refused() -> None:
    with pytest.raises(ValueError, match=r"0\.\.100"):
        BatteryWatch(BatteryWatchParams()).update(140, charging=False)
    with pytest.raises(ValueError, match="critical_pct"):
        BatteryWatchParams(low_pct=10, critical_pct=15)


def test_battery_model_drains_docks_and_charges() -> None:
    model = BatteryModel(
        BatteryModelParams(
            initial_pct=16, drain_pct_per_hour=36, dock_below_pct=15, travel_to_dock_s=60
        )
    )
    model.step(100)  # 36 %/h = 1 % per 100 s
    assert model.percentage == pytest.approx(15) and model.status is PowerStatus.DISCHARGING
    model.step(30)
    model.step(30)
    assert model.docked and model.status is PowerStatus.CHARGING
    model.step(3 * 3600)
    # Charged past undock_at_pct (95 %), it leaves the dock.
    assert not model.docked and model.percentage >= 95


def test_battery_monitor_node_alerts_and_speaks_in_the_residents_language() -> None:
    clock = ManualClock()
    rt = robot_runtime(
        clock,
        PACKAGED_ROBOT_PARAMETERS,
        "en",
        overrides={"battery_sim": {"initial_pct": 21.0, "drain_pct_per_hour": 36.0}},
    )
    start_nodes(rt, {"battery_monitor": ROBOT_NODES["battery_monitor"]})
    start_nodes(rt, {"battery_sim": "simulations.nodes.battery_sim_node:BatterySimNode"})
    probe = rt.node("probe")
    alerts: list[Any] = []
    said: list[Any] = []
    probe.subscribe("/safety/alert", probe.types.Alert, alerts.append)
    probe.subscribe("/speech/say", probe.types.SayRequest, said.append)

    rt.run_for(150)  # 21 % -> 19.5 %

    assert [a.kind for a in alerts] == ["low_battery"]
    assert alerts[0].severity == "warning"
    assert json.loads(alerts[0].details_json)["level"] == "low"
    assert said[0].lang == "en" and "battery" in said[0].text
    assert rt.callback_errors == {}
