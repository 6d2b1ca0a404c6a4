"""Appointments: specialists and their slots, residents' bookings, ratings and complaints.

Admins and social workers manage specialists, slots and appointments and answer
complaints; everyone of the agency reads, and any staff member may file a complaint on
a resident's behalf. Another agency's objects answer 404. Booking (here or by voice,
see `fleet.mqtt_ingest`) adds an appointment reminder to the resident's schedule;
cancelling removes it. Every change goes to the robots at once as retained
`cfg/appointments` (and `cfg/reminders`), see `fleet.config_sync`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils
from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import AwareDatetime, Field, field_validator

from fleet import config_sync
from fleet.api.deps import Context, CurrentUser, Db, require_roles
from fleet.api.schemas import (
    CONFLICT,
    NOT_FOUND,
    SIGNED_IN,
    NotNull,
    Reply,
    RequestBody,
    store_errors,
)
from fleet.context import FleetContext
from fleet.store import appointments as store
from fleet.store.accounts import Role, User
from fleet.store.appointments import CRITERIA, ComplaintStatus, Ground, Mode
from fleet.store.consultations import latest_call_of_appointment

# The issue: the agency's admins and social workers run appointments and answer complaints.
APPOINTMENT_EDITORS: tuple[Role, ...] = ("admin", "social_worker")
Editor = Annotated[User, Depends(require_roles(*APPOINTMENT_EDITORS))]
Text = Annotated[str, Field(min_length=1, max_length=200)]

specialists = APIRouter(prefix="/specialists", tags=["appointments"], responses=SIGNED_IN)
residents = APIRouter(prefix="/residents", tags=["appointments"], responses=SIGNED_IN)
appointments = APIRouter(prefix="/appointments", tags=["appointments"], responses=SIGNED_IN)
complaints = APIRouter(prefix="/complaints", tags=["appointments"], responses=SIGNED_IN)


class SpecialistIn(RequestBody):
    name: Text
    role: Text = Field(description="What they do, e.g. 'social work specialist'.")
    benefits_agency_id: str | None = Field(
        default=None, max_length=100, description="The catalog agency (unit) they work for."
    )
    active: bool = True


class SpecialistPatch(RequestBody):
    name: Annotated[Text | None, NotNull] = None
    role: Annotated[Text | None, NotNull] = None
    benefits_agency_id: str | None = Field(default=None, max_length=100)
    active: Annotated[bool | None, NotNull] = None


class SpecialistOut(Reply):
    id: int
    name: str
    role: str
    benefits_agency_id: str | None
    active: bool


class SlotsIn(RequestBody):
    starts_at: AwareDatetime = Field(description="The (first) start, ISO 8601 with offset.")
    duration_min: int = Field(default=30, ge=5, le=480)
    mode: Mode = "in_person"
    place: str = Field(default="", max_length=300)
    weeks: int = Field(
        default=1, ge=1, le=store.MAX_SERIES,
        description="1: a single slot; n: the same time each week, n times.",
    )  # fmt: skip
    timezone: str | None = Field(
        default=None,
        description="IANA zone the weekly series keeps its wall-clock time in (across DST); "
        "default: the offset of starts_at.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value


class SlotOut(Reply):
    id: int
    specialist_id: int
    starts_at: datetime
    duration_min: int
    mode: str
    place: str
    booked: bool


class BookingIn(RequestBody):
    slot_id: int = Field(ge=1)


class AppointmentOut(Reply):
    id: int
    resident_id: int
    slot_id: int
    specialist_id: int
    specialist_name: str
    specialist_role: str
    starts_at: datetime
    duration_min: int
    mode: str
    place: str
    status: str
    source: Literal["voice", "staff"]
    reminder_id: str
    rated: bool
    call_state: str | None = Field(
        default=None, description="The state of the latest video call of it, if any."
    )


class RefusalOut(Reply):
    id: int
    robot_id: str
    slot_id: str
    reason: str
    ts: float


class MonthOut(Reply):
    month: str
    count: int
    averages: dict[str, float | None]


class CommentOut(Reply):
    rated_at: float
    text: str


class RatingsOut(Reply):
    specialist_id: int
    criteria: list[str]
    months: list[MonthOut]
    comments: list[CommentOut] = Field(description="The latest comments, newest first.")


class ComplaintIn(RequestBody):
    ground: Ground
    text: str = Field(default="", max_length=4000)
    appointment_id: int | None = None


class AnswerIn(RequestBody):
    text: str = Field(min_length=1, max_length=4000)


class ComplaintOut(Reply):
    id: int
    resident_id: int | None
    resident_name: str
    appointment_id: int | None
    specialist_id: int | None
    ground: str
    text: str
    source: str
    filed_at: float
    due_at: float
    answer: str
    answered_at: float | None
    status: ComplaintStatus


# specialists


@specialists.get("", summary="The agency's specialists")
def list_specialists(user: CurrentUser, db: Db) -> list[SpecialistOut]:
    return [SpecialistOut.model_validate(s) for s in store.list_specialists(db, user.agency_id)]


@specialists.post("", status_code=status.HTTP_201_CREATED, summary="Add a specialist")
def create_specialist(body: SpecialistIn, user: Editor, context: Context, db: Db) -> SpecialistOut:
    found = store.create_specialist(db, user.agency_id, body.model_dump(), user_id=user.id,
                                    now=context.now())  # fmt: skip
    return SpecialistOut.model_validate(found)


@specialists.get("/{specialist_id}", summary="One specialist", responses=NOT_FOUND)
def get_specialist(specialist_id: int, user: CurrentUser, db: Db) -> SpecialistOut:
    with store_errors():
        return SpecialistOut.model_validate(store.get_specialist(db, user.agency_id, specialist_id))


@specialists.patch(
    "/{specialist_id}", summary="Change a specialist (name, role, unit, active)",
    responses=NOT_FOUND,
)  # fmt: skip
def update_specialist(
    specialist_id: int, body: SpecialistPatch, user: Editor, context: Context, db: Db
) -> SpecialistOut:
    with store_errors():
        found = store.update_specialist(db, user.agency_id, specialist_id,
                                        body.model_dump(exclude_unset=True), user_id=user.id,
                                        now=context.now())  # fmt: skip
    sync_agency(context, db, user.agency_id)
    return SpecialistOut.model_validate(found)


@specialists.delete(
    "/{specialist_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a specialist who never had an appointment (else 409: deactivate them)",
    responses={**NOT_FOUND, **CONFLICT},
)  # fmt: skip
def delete_specialist(specialist_id: int, user: Editor, context: Context, db: Db) -> Response:
    with store_errors():
        store.delete_specialist(db, user.agency_id, specialist_id, user_id=user.id,
                                now=context.now())  # fmt: skip
    sync_agency(context, db, user.agency_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@specialists.get("/{specialist_id}/slots", summary="A specialist's slots from now on",
                 responses=NOT_FOUND)  # fmt: skip
def list_slots(specialist_id: int, user: CurrentUser, context: Context, db: Db) -> list[SlotOut]:
    with store_errors():
        found = store.list_slots(db, user.agency_id, specialist_id, since=context.now())
    return [slot_out(slot) for slot in found]


@specialists.post(
    "/{specialist_id}/slots", status_code=status.HTTP_201_CREATED,
    summary="Add a slot, or a weekly series of slots",
    description="Refused (422) for a start in the past; 409 for one overlapping another "
    "slot of the specialist. All or none are added.",
    responses={**NOT_FOUND, **CONFLICT},
)  # fmt: skip
def create_slots(
    specialist_id: int, body: SlotsIn, user: Editor, context: Context, db: Db
) -> list[SlotOut]:
    first = body.starts_at
    if body.timezone:
        first = first.astimezone(ZoneInfo(body.timezone))
    with store_errors():
        found = store.create_slots(
            db, user.agency_id, specialist_id, store.series_starts(first, body.weeks),
            duration_min=body.duration_min, mode=body.mode, place=body.place, user_id=user.id,
            now=context.now(),
        )  # fmt: skip
    sync_agency(context, db, user.agency_id)
    return [slot_out(slot) for slot in found]


@specialists.delete(
    "/{specialist_id}/slots/{slot_id}", status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a free slot (409 while it is booked)", responses={**NOT_FOUND, **CONFLICT},
)  # fmt: skip
def delete_slot(
    specialist_id: int, slot_id: int, user: Editor, context: Context, db: Db
) -> Response:
    with store_errors():
        store.delete_slot(db, user.agency_id, specialist_id, slot_id, user_id=user.id,
                          now=context.now())  # fmt: skip
    sync_agency(context, db, user.agency_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@specialists.get(
    "/{specialist_id}/ratings",
    summary="Residents' ratings of a specialist per month",
    description="For each calendar month (UTC) of the last `months`, oldest first: how "
    "many ratings, and the mean score (1-5) per criterion among those who gave one; "
    "and the 20 latest comments.",
    responses=NOT_FOUND,
)
def get_ratings(
    specialist_id: int, user: CurrentUser, context: Context, db: Db,
    months: Annotated[int, Query(ge=1, le=120)] = 12,
) -> RatingsOut:  # fmt: skip
    with store_errors():
        found = store.ratings_by_month(db, user.agency_id, specialist_id, months=months,
                                       now=context.now())  # fmt: skip
        comments = store.recent_comments(db, user.agency_id, specialist_id)
    return RatingsOut(specialist_id=specialist_id, criteria=list(CRITERIA),
                      months=[MonthOut.model_validate(m) for m in found],
                      comments=[CommentOut.model_validate(c) for c in comments])  # fmt: skip


# a resident's appointments and complaints


@residents.get("/{resident_id}/appointments", summary="A resident's appointments",
               responses=NOT_FOUND)  # fmt: skip
def list_appointments(resident_id: int, user: CurrentUser, db: Db) -> list[AppointmentOut]:
    with store_errors():
        found = store.list_appointments(db, user.agency_id, resident_id)
    return [appointment_out(a, db, user.agency_id) for a in found]


@residents.post(
    "/{resident_id}/appointments", status_code=status.HTTP_201_CREATED,
    summary="Book a free slot for the resident (adds a reminder to their schedule)",
    responses={**NOT_FOUND, **CONFLICT},
)  # fmt: skip
def book(
    resident_id: int, body: BookingIn, user: Editor, context: Context, db: Db
) -> AppointmentOut:
    with store_errors():
        found = store.book(db, user.agency_id, resident_id, body.slot_id, source="staff",
                           user_id=user.id, robot_id=None, now=context.now())  # fmt: skip
    sync_resident(context, db, resident_id, with_reminders=True)
    sync_agency(context, db, user.agency_id)  # the slot is no longer free for anyone
    return appointment_out(found)


@residents.get(
    "/{resident_id}/appointments/refusals",
    summary="Bookings the resident asked their robot for that could not be made",
    responses=NOT_FOUND,
)
def list_refusals(resident_id: int, user: CurrentUser, db: Db) -> list[RefusalOut]:
    with store_errors():
        return [RefusalOut.model_validate(r) for r in
                store.list_refusals(db, user.agency_id, resident_id)]  # fmt: skip


@residents.post(
    "/{resident_id}/complaints", status_code=status.HTTP_201_CREATED,
    summary="File a complaint on the resident's behalf (due in 15 days)", responses=NOT_FOUND,
)  # fmt: skip
def file_complaint(
    resident_id: int, body: ComplaintIn, user: CurrentUser, context: Context, db: Db
) -> ComplaintOut:
    now = context.now()
    with store_errors():
        complaint_id = store.file_complaint(
            db, user.agency_id, resident_id, ground=body.ground, text=body.text,
            appointment_id=body.appointment_id, source="staff", user_id=user.id, robot_id=None,
            filed_at=now, now=now,
        )  # fmt: skip
    return ComplaintOut.model_validate(store.get_complaint(db, user.agency_id, complaint_id, now))


# appointments


@appointments.get("/{appointment_id}", summary="One appointment", responses=NOT_FOUND)
def get_appointment(appointment_id: int, user: CurrentUser, db: Db) -> AppointmentOut:
    with store_errors():
        return appointment_out(store.get_appointment(db, user.agency_id, appointment_id), db,
                               user.agency_id)  # fmt: skip


def _status_route(action: str, new_status: store.Status, summary: str) -> None:
    @appointments.post(
        f"/{{appointment_id}}/{action}", summary=summary,
        responses={**NOT_FOUND, **CONFLICT}, name=f"appointment_{action}",
    )  # fmt: skip
    def change(appointment_id: int, user: Editor, context: Context, db: Db) -> AppointmentOut:
        found = change_status(context, db, user, appointment_id, new_status)
        return appointment_out(found, db, user.agency_id)


_status_route("cancel", "cancelled", "Cancel a booked appointment (frees the slot, removes "
              "the reminder)")  # fmt: skip
_status_route("done", "done", "Mark a booked appointment as done (the robot then asks for a "
              "rating)")  # fmt: skip
_status_route("no_show", "no_show", "Mark a booked appointment as missed")


# complaints


@complaints.get(
    "",
    summary="The agency's complaints, unanswered first (soonest due first)",
    description="Each is answered within 15 days of being filed (`due_at`). `status`: "
    "`open` (unanswered, not yet due), `overdue` (unanswered past `due_at`), `answered`; "
    "left out: all of them.",
)
def list_complaints(
    user: CurrentUser, context: Context, db: Db,
    status_filter: Annotated[ComplaintStatus | None, Query(alias="status")] = None,
) -> list[ComplaintOut]:  # fmt: skip
    found = store.list_complaints(db, user.agency_id, status=status_filter, now=context.now())
    return [ComplaintOut.model_validate(c) for c in found]


@complaints.get("/{complaint_id}", summary="One complaint", responses=NOT_FOUND)
def get_complaint(complaint_id: int, user: CurrentUser, context: Context, db: Db) -> ComplaintOut:
    with store_errors():
        found = store.get_complaint(db, user.agency_id, complaint_id, context.now())
    return ComplaintOut.model_validate(found)


@complaints.post("/{complaint_id}/answer", summary="Answer a complaint (once)",
                 responses={**NOT_FOUND, **CONFLICT})  # fmt: skip
def answer_complaint(
    complaint_id: int, body: AnswerIn, user: Editor, context: Context, db: Db
) -> ComplaintOut:
    with store_errors():
        found = store.answer_complaint(db, user.agency_id, complaint_id, body.text,
                                       user_id=user.id, now=context.now())  # fmt: skip
    return ComplaintOut.model_validate(found)


# helpers (the dashboard uses them too)


def change_status(
    context: FleetContext, db: sqlite_utils.Database, user: User, appointment_id: int,
    new_status: store.Status,
) -> store.Appointment:  # fmt: skip
    with store_errors():
        found = store.set_status(db, user.agency_id, appointment_id, new_status,
                                 user_id=user.id, now=context.now())  # fmt: skip
    cancelled = new_status == "cancelled"
    sync_resident(context, db, found.resident_id, with_reminders=cancelled)
    if cancelled:
        sync_agency(context, db, user.agency_id)  # the slot is free again
    return found


def sync_resident(
    context: FleetContext, db: sqlite_utils.Database, resident_id: int, *, with_reminders: bool
) -> None:
    kinds = (config_sync.REMINDERS, config_sync.APPOINTMENTS) if with_reminders else (
        config_sync.APPOINTMENTS,
    )  # fmt: skip
    robots = config_sync.robots_of_resident(db, resident_id)
    config_sync.sync_robots(context.publish, context.mqtt_connected, db, robots, context.now(),
                            kinds=kinds)  # fmt: skip


def sync_agency(context: FleetContext, db: sqlite_utils.Database, agency_id: int) -> None:
    """Free slots changed: every rented robot of the agency shows them."""
    robots = config_sync.robots_of_agency(db, agency_id)
    config_sync.sync_robots(context.publish, context.mqtt_connected, db, robots, context.now(),
                            kinds=(config_sync.APPOINTMENTS,))  # fmt: skip


def slot_out(slot: store.Slot) -> SlotOut:
    return SlotOut(id=slot.id, specialist_id=slot.specialist_id,
                   starts_at=datetime.fromtimestamp(slot.starts_at, UTC),
                   duration_min=slot.duration_min, mode=slot.mode, place=slot.place,
                   booked=slot.booked)  # fmt: skip


def appointment_out(
    found: store.Appointment, db: sqlite_utils.Database | None = None, agency_id: int = 0
) -> AppointmentOut:
    """The appointment's JSON; with `db`, its latest video call's state (`call_state`)."""
    call = None if db is None else latest_call_of_appointment(db, agency_id, found.id)
    return AppointmentOut.model_validate(
        {**found.__dict__, "starts_at": datetime.fromtimestamp(found.starts_at, UTC),
         "call_state": None if call is None else call.state}
    )  # fmt: skip


router = APIRouter()
for _part in (specialists, residents, appointments, complaints):
    router.include_router(_part)
