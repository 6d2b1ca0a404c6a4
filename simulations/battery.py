"""A simulated robot battery: drains while the robot works, charges on its dock.

Pure model on explicit time steps; the node advances it on a timer.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class PowerStatus(StrEnum):
    DISCHARGING = "discharging"
    CHARGING = "charging"
    FULL = "full"


class BatteryModelParams(BaseModel):
    initial_pct: float = Field(default=80.0, ge=0, le=100)
    # A small home robot runs about 6-8 hours on a charge and recharges in about 2.
    drain_pct_per_hour: float = Field(default=14.0, ge=0)
    charge_pct_per_hour: float = Field(default=50.0, gt=0)
    # The base heads for its dock on its own below this level...
    dock_below_pct: float = Field(default=15.0, ge=0, le=100)
    # ... reaches it after this long, and leaves it once charged to this level.
    travel_to_dock_s: float = Field(default=60.0, ge=0)
    undock_at_pct: float = Field(default=95.0, ge=0, le=100)
    capacity_ah: float = Field(default=5.0, gt=0)
    voltage_v: float = Field(default=14.4, gt=0)


class BatteryModel:
    def __init__(self, params: BatteryModelParams) -> None:
        self.params = params
        self.percentage = params.initial_pct
        self.docked = False
        self._heading_to_dock_s: float | None = None

    @property
    def status(self) -> PowerStatus:
        if not self.docked:
            return PowerStatus.DISCHARGING
        return PowerStatus.FULL if self.percentage >= 100.0 else PowerStatus.CHARGING

    def step(self, seconds: float) -> None:
        """Advance the battery by `seconds` of simulated time."""
        p = self.params
        hours = seconds / 3600.0
        if self.docked:
            self.percentage = min(100.0, self.percentage + p.charge_pct_per_hour * hours)
            if self.percentage >= p.undock_at_pct:
                self.docked = False
            return
        self.percentage = max(0.0, self.percentage - p.drain_pct_per_hour * hours)
        self._drive_to_dock(seconds)

    def _drive_to_dock(self, seconds: float) -> None:
        if self._heading_to_dock_s is None:
            if self.percentage <= self.params.dock_below_pct:
                self._heading_to_dock_s = 0.0
            return
        self._heading_to_dock_s += seconds
        if self._heading_to_dock_s >= self.params.travel_to_dock_s:
            self.docked = True
            self._heading_to_dock_s = None
