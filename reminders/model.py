"""What a reminder schedule is: the contract between the fleet (which edits it) and the robot.

The fleet sends a `ReminderSchedule` as the `data` of the retained `cfg/reminders`
message; the robot's engine runs it. Times in a schedule are local wall-clock
times in the resident's time zone (`timezone`), because "08:00 every day" must
stay 08:00 across a daylight-saving change.

Outcomes travel back as `ReminderOutcomeEvent` on `hc/v1/r/{rid}/event`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ReminderKind = Literal["medication", "appointment", "custom"]
Outcome = Literal["taken", "snoozed", "missed"]

REMINDER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"


class Medicine(BaseModel):
    """A medicine the resident takes: what the robot will recognise by voice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    # Other names the resident may use ("от давления", "аспирин", "aspirin").
    aliases: list[str] = Field(default_factory=list, max_length=20)
    dose: str = Field(default="", max_length=100)


class ReminderSpec(BaseModel):
    """One reminder: when (RFC 5545 start + RRULE) and what to say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=REMINDER_ID_PATTERN)
    kind: ReminderKind
    title: str = Field(min_length=1, max_length=200)
    medicine: str = Field(default="", max_length=100)
    dose: str = Field(default="", max_length=100)
    # Local wall-clock time (no offset) in the schedule's time zone.
    start: datetime
    # An RFC 5545 RRULE value without the "RRULE:" prefix ("FREQ=DAILY"); empty: once.
    rrule: str = Field(default="", max_length=500)
    # Local start times of occurrences that are skipped (RFC 5545 EXDATE).
    exdates: list[datetime] = Field(default_factory=list, max_length=1000)
    active: bool = True
    notes: str = Field(default="", max_length=1000)

    @field_validator("start")
    @classmethod
    def _local_time(cls, value: datetime) -> datetime:
        if value.tzinfo is not None:
            raise ValueError("start is a local time in the schedule's time zone: give no offset")
        return value.replace(microsecond=0)

    @model_validator(mode="after")
    def _rrule_is_valid(self) -> ReminderSpec:
        # Refused where the schedule is written (fleet API, .ics upload), not on the robot.
        if self.rrule:
            from reminders.recurrence import RecurrenceError, validate_rrule  # lazy: it imports us

            try:
                validate_rrule(self.rrule, self.start, ZoneInfo("UTC"))
            except RecurrenceError as error:
                raise ValueError(f"invalid {error}") from None
        return self

    @model_validator(mode="after")
    def _medication_names_medicine(self) -> ReminderSpec:
        if self.kind == "medication" and not self.medicine.strip():
            raise ValueError("a medication reminder must name its medicine")
        return self


class ReminderSchedule(BaseModel):
    """All reminders of one resident: the `data` of `cfg/reminders`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "Europe/Moscow"
    reminders: list[ReminderSpec] = Field(default_factory=list, max_length=500)
    medicines: list[Medicine] = Field(default_factory=list, max_length=100)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as "
                             "'Asia/Yekaterinburg')") from error  # fmt: skip
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> ReminderSchedule:
        seen: set[str] = set()
        for reminder in self.reminders:
            if reminder.id in seen:
                raise ValueError(f"two reminders share the id {reminder.id!r}")
            seen.add(reminder.id)
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ReminderOutcomeEvent(BaseModel):
    """`hc/v1/r/{rid}/event` with `type: reminder.outcome`: how one occurrence ended."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["reminder.outcome"] = "reminder.outcome"
    ts: float
    # Unique per occurrence and outcome: the fleet stores each once.
    event_id: str = Field(min_length=1, max_length=200)
    reminder_id: str = Field(pattern=REMINDER_ID_PATTERN)
    occurrence_id: str = Field(min_length=1, max_length=200)
    kind: ReminderKind
    title: str = Field(default="", max_length=200)
    medicine: str = Field(default="", max_length=100)
    outcome: Outcome
    # When it was due (aware, ISO 8601 with offset) and how many prompts were made.
    due: datetime
    prompts: int = Field(default=1, ge=0)
    # Why, when not the obvious: "no_answer", "robot_off", "snooze:600".
    reason: str = Field(default="", max_length=200)
