"""Reminders: a resident's schedule (JSON or iCalendar) and their adherence.

Caregivers, social workers and admins edit schedules; everyone of the agency reads
them. A saved change goes to the resident's robot at once (retained `cfg/reminders`,
see `fleet.reminder_sync`); without a broker, the service's periodic sync sends it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import sqlite_utils
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError

from fleet.api.deps import Context, CurrentUser, Db, require_roles
from fleet.api.schemas import NOT_FOUND, SIGNED_IN, Reply, store_errors
from fleet.context import FleetContext
from fleet.reminder_sync import sync_resident
from fleet.store import reminders as store
from fleet.store.accounts import Role, User
from fleet.store.reminders import MAX_ADHERENCE_DAYS, StoredSchedule
from homecare.errors import HomecareError
from reminders import ics
from reminders.model import Medicine, ReminderSchedule, ReminderSpec

router = APIRouter(prefix="/residents", tags=["reminders"], responses=SIGNED_IN)

# The issue: "caregivers and social workers create and edit schedules". Operators run
# the hardware and the incident desk; they read schedules but do not prescribe.
REMINDER_EDITORS: tuple[Role, ...] = ("admin", "social_worker", "caregiver")
ReminderEditor = Annotated[User, Depends(require_roles(*REMINDER_EDITORS))]
ICS_MEDIA_TYPE = "text/calendar"
_ICS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            ICS_MEDIA_TYPE: {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


class ScheduleOut(Reply):
    resident_id: int
    version: int
    updated_at: float | None
    timezone: str
    reminders: list[ReminderSpec]
    medicines: list[Medicine]


class CountsOut(Reply):
    taken: int
    snoozed: int
    missed: int
    taken_ratio: float | None


class DayOut(CountsOut):
    day: date


class ReminderAdherenceOut(CountsOut):
    reminder_id: str
    title: str
    kind: str


class AdherenceOut(Reply):
    resident_id: int
    timezone: str
    first_day: date
    last_day: date
    days: list[DayOut]
    reminders: list[ReminderAdherenceOut]
    total: CountsOut


@router.get(
    "/{resident_id}/reminders", summary="A resident's reminder schedule", responses=NOT_FOUND
)
def get_reminders(resident_id: int, user: CurrentUser, db: Db) -> ScheduleOut:
    with store_errors():
        return _out(store.get_schedule(db, user.agency_id, resident_id))


@router.put(
    "/{resident_id}/reminders",
    summary="Replace a resident's reminder schedule and send it to their robot",
    description="Refused (422, naming the field) for an RRULE that does not expand, a new "
    "reminder entirely in the past, or a medication not in `medicines` (when that list is "
    "given). The version grows with every change.",
    responses=NOT_FOUND,
)
def put_reminders(
    resident_id: int, body: ReminderSchedule, user: ReminderEditor, context: Context, db: Db
) -> ScheduleOut:
    return _save(context, db, user, resident_id, body)


@router.post(
    "/{resident_id}/reminders/ics",
    summary="Replace a resident's reminder schedule from an iCalendar (.ics) file",
    description="Send the file as `text/calendar`, or as the `file` field of a multipart "
    "form. Events without a time zone use the schedule's current one. Medicines the file "
    "names without aliases keep the aliases already known.",
    responses=NOT_FOUND,
    openapi_extra=_ICS_BODY,
)
async def upload_ics(
    resident_id: int, request: Request, user: ReminderEditor, context: Context
) -> ScheduleOut:
    with store_errors():  # 404 before reading the body
        current = await run_in_threadpool(_current_in_thread, context, user, resident_id)
    text = await _calendar_text(request)
    schedule = _parse_ics(text, current.schedule)
    return await run_in_threadpool(_save_in_thread, context, user, resident_id, schedule)


@router.get(
    "/{resident_id}/reminders.ics",
    summary="A resident's reminder schedule as an iCalendar (.ics) file",
    responses={**NOT_FOUND, 200: {"content": {ICS_MEDIA_TYPE: {}}}},
    response_class=Response,
)
def download_ics(resident_id: int, user: CurrentUser, db: Db) -> Response:
    with store_errors():
        stored = store.get_schedule(db, user.agency_id, resident_id)
    return Response(
        ics.schedule_to_ics(stored.schedule),
        media_type=f"{ICS_MEDIA_TYPE}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="reminders-{resident_id}.ics"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/{resident_id}/adherence",
    summary="Taken, snoozed and missed reminders per day and per reminder",
    description="Days are those on which the reminders were due, in the schedule's time "
    "zone, today included. `taken_ratio` is taken / (taken + missed): a snooze is not an "
    "end; null when nothing ended.",
    responses=NOT_FOUND,
)
def get_adherence(
    resident_id: int,
    user: CurrentUser,
    context: Context,
    db: Db,
    days: Annotated[int, Query(ge=1, le=MAX_ADHERENCE_DAYS, description="Days back.")] = 30,
) -> AdherenceOut:
    with store_errors():
        result = store.adherence(db, user.agency_id, resident_id, days, context.now())
    return AdherenceOut(
        resident_id=resident_id,
        timezone=result.timezone,
        first_day=result.first_day,
        last_day=result.last_day,
        days=[DayOut(day=d.day, **_counts(d.counts)) for d in result.days],
        reminders=[
            ReminderAdherenceOut(
                reminder_id=r.reminder_id, title=r.title, kind=r.kind, **_counts(r.counts)
            )
            for r in result.reminders
        ],
        total=CountsOut(**_counts(result.total)),
    )


# helpers


def save_schedule(
    context: FleetContext,
    db: sqlite_utils.Database,
    user: User,
    resident_id: int,
    schedule: ReminderSchedule,
) -> StoredSchedule:
    """Store (404/InvalidScheduleError as the store says) and send to the robot if changed."""
    stored, changed = store.put_schedule(
        db, user.agency_id, resident_id, schedule, user_id=user.id, now=context.now()
    )
    if changed:
        sync_resident(context.publish, context.mqtt_connected, db, resident_id, context.now())
    return stored


def _save(
    context: FleetContext,
    db: sqlite_utils.Database,
    user: User,
    resident_id: int,
    schedule: ReminderSchedule,
) -> ScheduleOut:
    with store_errors():
        stored = save_schedule(context, db, user, resident_id, schedule)
    return _out(stored)


def _current_in_thread(context: FleetContext, user: User, resident_id: int) -> StoredSchedule:
    return store.get_schedule(context.db(), user.agency_id, resident_id)


def _save_in_thread(
    context: FleetContext, user: User, resident_id: int, schedule: ReminderSchedule
) -> ScheduleOut:
    return _save(context, context.db(), user, resident_id, schedule)


async def _calendar_text(request: Request) -> str:
    """The .ics text of a text/calendar body or of a multipart form's `file` field."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw: bytes
    if media_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise _bad_request("the form has no file field named 'file' with the .ics file")
        raw = await upload.read()
    else:
        raw = await request.body()
    if not raw.strip():
        raise _bad_request(
            "no calendar in the request: send the .ics file as text/calendar "
            "or as the 'file' field of a multipart form"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _ics_error("the file is not UTF-8 text (an .ics file is UTF-8)") from None


def _parse_ics(text: str, current: ReminderSchedule) -> ReminderSchedule:
    try:
        schedule: ReminderSchedule = ics.schedule_from_ics(text, current.timezone)
    except HomecareError as error:
        raise _ics_error(str(error)) from None
    except ValueError as error:  # a model validation the reader let through
        raise _ics_error(f"the calendar does not make a valid schedule: {error}") from None
    return keep_aliases(schedule, current)


def keep_aliases(imported: ReminderSchedule, current: ReminderSchedule) -> ReminderSchedule:
    """A calendar without the medicine list names medicines bare; keep what we knew of them
    (spoken aliases, dose), and the whole list when the calendar names none."""
    if not imported.medicines:
        return imported.model_copy(update={"medicines": current.medicines})
    known = {medicine.name.casefold(): medicine for medicine in current.medicines}
    merged = [
        known.get(medicine.name.casefold(), medicine) if not medicine.aliases else medicine
        for medicine in imported.medicines
    ]
    return imported.model_copy(update={"medicines": merged})


def _bad_request(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, detail=detail)


def _ics_error(message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", "ics"), "msg": message, "type": "value_error"}])


def _counts(counts: store.Counts) -> dict[str, Any]:
    return {
        "taken": counts.taken,
        "snoozed": counts.snoozed,
        "missed": counts.missed,
        "taken_ratio": counts.taken_ratio,
    }


def _out(stored: StoredSchedule) -> ScheduleOut:
    return ScheduleOut(
        resident_id=stored.resident_id,
        version=stored.version,
        updated_at=stored.updated_at,
        timezone=stored.schedule.timezone,
        reminders=list(stored.schedule.reminders),
        medicines=list(stored.schedule.medicines),
    )
