"""cfg/appointments from the fleet: free slots and the resident's appointments.

The contract (ConfigUpdate kind "appointments", JSON):
`{"timezone", "free_slots": [{"slot_id", "specialist": {"id", "name", "role"}, "agency",
"starts_at", "duration_min", "mode", "place"}], "appointments": [{"appointment_id",
"slot_id", "specialist", "agency", "starts_at", "duration_min", "mode", "place", "status",
"rated"}]}`. Times carry their UTC offset. A bad document is rejected whole, with
the field named, so the robot keeps the previous one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from benefits.errors import BenefitsError

Mode = Literal["in_person", "video"]
Status = Literal["booked", "cancelled", "done", "no_show"]


class AppointmentsConfigError(BenefitsError):
    """cfg/appointments is malformed; the message names the field."""


class _Strict(BaseModel):
    # Unknown fields are allowed: the fleet may add some before the robot knows them.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Specialist(_Strict):
    id: str = Field(min_length=1)
    name: str = ""
    role: str = ""


class _Visit(_Strict):
    slot_id: str = Field(min_length=1)
    specialist: Specialist
    agency: str = ""
    starts_at: datetime
    duration_min: int = Field(default=30, gt=0, le=24 * 60)
    mode: Mode = "in_person"
    place: str = ""

    @field_validator("starts_at")
    @classmethod
    def _with_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2026-11-24T10:00:00+05:00")
        return value

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_min)


class FreeSlot(_Visit):
    pass


class Appointment(_Visit):
    appointment_id: str = Field(min_length=1)
    status: Status = "booked"
    rated: bool = False


class AppointmentsConfig(_Strict):
    timezone: str = ""
    free_slots: tuple[FreeSlot, ...] = ()
    appointments: tuple[Appointment, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise ValueError(f"unknown time zone {value!r}") from error
        return value

    def booked_for(self, slot_id: str) -> Appointment | None:
        """The resident's live appointment made from this slot, if any."""
        for appointment in self.appointments:
            if appointment.slot_id == slot_id and appointment.status in ("booked", "done"):
                return appointment
        return None

    def has_free(self, slot_id: str) -> bool:
        return any(slot.slot_id == slot_id for slot in self.free_slots)


EMPTY = AppointmentsConfig()


def parse_appointments_config(data: object, source: str = "cfg/appointments") -> AppointmentsConfig:
    """The document, or AppointmentsConfigError naming the first bad field."""
    if not isinstance(data, dict):
        raise AppointmentsConfigError(f"{source}: expected a JSON object")
    try:
        return AppointmentsConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise AppointmentsConfigError(f"{source}: {where}: {first['msg']}") from None
