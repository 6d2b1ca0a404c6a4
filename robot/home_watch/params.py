"""Parameters of the home's behaviours (defaults for a resident living alone).

Each behaviour has its own model; `HomeWatchParams` joins them into the flat set
a ROS node declares. Local times are HH:MM in the home's time zone.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from reminders.engine import parse_clock_time


class _LocalTimes(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def _clock_times(cls, value: object, info: ValidationInfo) -> object:
        name = info.field_name or ""
        if name.endswith(("_start", "_end")) and isinstance(value, str):
            parse_clock_time(value)
        return value


class NightWindowParams(_LocalTimes):
    night_start: str = Field(default="22:00", description="Local HH:MM the night begins.")
    night_end: str = Field(default="07:00", description="Local HH:MM the night ends.")


class NightLightParams(BaseModel):
    lights_off_after_return_s: float = Field(
        default=120.0, ge=0, description="Back in bed: the night lights go off this much later."
    )
    lights_max_on_s: float = Field(
        default=3600.0, gt=0, description="Night lights switched on go off after this at most."
    )
    night_light_brightness: int = Field(
        default=0, ge=0, le=254, description="Brightness (1-254) for lights; 0: their own."
    )


class NightBedExitParams(NightWindowParams, NightLightParams):
    bed_return_timeout_s: float = Field(
        default=900.0, gt=0, description="Out of bed at night this long, unseen: check in."
    )


class NightDoorParams(NightWindowParams):
    door_repeat_s: float = Field(
        default=600.0, ge=0, description="At most one night-door check (and alert) this often."
    )


class InactivityParams(_LocalTimes):
    inactivity_s: float = Field(
        default=14400.0, gt=0, description="No movement anywhere this long by day: check in."
    )
    day_start: str = Field(default="08:00", description="Local HH:MM the day watch begins.")
    day_end: str = Field(default="21:00", description="Local HH:MM the day watch ends.")


class HomeWatchParams(NightBedExitParams, NightDoorParams, InactivityParams):
    """All behaviours' parameters, flat (one ROS node declares them)."""
