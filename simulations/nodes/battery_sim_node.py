"""battery_sim: the simulated base's battery, published on /robot/battery."""

from __future__ import annotations

from pydantic import Field

from robot.runtime import Runtime, load_params
from robot.runtime.stamps import header
from simulations.battery import BatteryModel, BatteryModelParams, PowerStatus


class BatterySimParams(BatteryModelParams):
    publish_period_s: float = Field(default=1.0, gt=0)


class BatterySimNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = load_params(rt, BatterySimParams)
        self.model = BatteryModel(self.params)
        self.state_type = rt.types.get("sensor_msgs/msg/BatteryState")
        self.publisher = rt.publisher("/robot/battery", self.state_type)
        self.last_step = rt.clock.monotonic()
        rt.timer(self.params.publish_period_s, self.tick)

    def tick(self) -> None:
        now = self.rt.clock.monotonic()
        self.model.step(now - self.last_step)
        self.last_step = now
        state = self.state_type
        status = {
            PowerStatus.DISCHARGING: state.POWER_SUPPLY_STATUS_DISCHARGING,
            PowerStatus.CHARGING: state.POWER_SUPPLY_STATUS_CHARGING,
            PowerStatus.FULL: state.POWER_SUPPLY_STATUS_FULL,
        }[self.model.status]
        p = self.params
        self.publisher.publish(
            state(
                header=header(self.rt, "base_link"),
                voltage=p.voltage_v,
                percentage=self.model.percentage / 100.0,
                charge=p.capacity_ah * self.model.percentage / 100.0,
                capacity=p.capacity_ah,
                design_capacity=p.capacity_ah,
                power_supply_status=status,
                power_supply_health=state.POWER_SUPPLY_HEALTH_GOOD,
                power_supply_technology=state.POWER_SUPPLY_TECHNOLOGY_LION,
                present=True,
                temperature=float("nan"),
                current=float("nan"),
            )
        )
