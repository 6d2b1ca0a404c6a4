"""A resident's reminders page: the schedule, .ics upload and download, and adherence.

The adherence chart is an SVG drawn here on the server (no script, no chart library):
one stacked bar per day (taken, snoozed, missed), a legend, and the same numbers as
a table and a sentence for screen readers. Its words live here, in both languages,
beside the page that uses them.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, Field, ValidationError
from starlette.responses import Response

from fleet.api.routers.reminders import REMINDER_EDITORS, keep_aliases, save_schedule
from fleet.context import FleetContext
from fleet.store.reminders import (
    Adherence,
    Counts,
    InvalidScheduleError,
    adherence,
    get_schedule,
)
from fleet.store.residents import Resident, get_resident
from fleet.web.errors import ForbiddenError, PageNotFoundError
from fleet.web.i18n import Lang, choose_lang
from fleet.web.paging import parse_id
from fleet.web.render import harden, redirect, render
from fleet.web.routing import PageRoute
from fleet.web.session import FormSession, Session, WebSession, context_of
from homecare.errors import HomecareError
from reminders import ics
from reminders.model import ReminderKind, ReminderSchedule, ReminderSpec

router = APIRouter(route_class=PageRoute)

PERIODS = (7, 30, 90)
# What the add form offers, as RRULE values; anything else comes as an .ics file or by API.
REPEATS = {
    "once": "",
    "daily": "FREQ=DAILY",
    "weekly": "FREQ=WEEKLY",
    "8h": "FREQ=HOURLY;INTERVAL=8",
}
DEFAULT_DAYS = 30
MAX_UPLOAD_BYTES = 512 * 1024
COLORS = {"taken": "#2e7d32", "snoozed": "#b26a00", "missed": "#c62828"}

WORDS: dict[Lang, dict[str, str]] = {
    "ru": {
        "title": "Напоминания",
        "back": "К карточке подопечного",
        "schedule": "Расписание",
        "version": "Версия {version}",
        "timezone": "Часовой пояс: {zone}",
        "empty": "Напоминаний пока нет.",
        "what": "Что",
        "kind": "Вид",
        "medicine": "Лекарство и доза",
        "starts": "Начало",
        "repeats": "Повтор",
        "once": "однократно",
        "paused": "приостановлено",
        "actions": "Действия",
        "pause": "Приостановить",
        "resume": "Возобновить",
        "remove": "Удалить",
        "kind_medication": "Лекарство",
        "kind_appointment": "Визит",
        "kind_custom": "Другое",
        "download": "Скачать расписание (.ics)",
        "upload_title": "Загрузить расписание из файла .ics",
        "upload_hint": "Файл заменит всё расписание. Робот получит его сразу.",
        "file": "Файл календаря (.ics)",
        "upload": "Загрузить",
        "saved": "Расписание сохранено, версия {version}.",
        "upload_failed": "Файл не принят",
        "no_file": "Выберите файл .ics.",
        "too_big": "Файл слишком большой (больше 512 КБ).",
        "adherence": "Приём по дням",
        "days_n": "{days} дн.",
        "period": "Период",
        "taken": "Принято",
        "snoozed": "Отложено",
        "missed": "Пропущено",
        "ratio": "Доля принятых",
        "day": "День",
        "reminder": "Напоминание",
        "chart_title": "Приём лекарств и напоминания за {days} дн., с {first} по {last}",
        "chart_summary": "Всего: принято {taken}, отложено {snoozed}, пропущено {missed}; "
        "доля принятых {ratio}.",
        "no_data": "нет данных",
        "as_table": "Те же данные таблицей",
        "per_reminder": "По напоминаниям",
        "no_outcomes": "За этот период робот не сообщал об исходах напоминаний.",
        "ratio_note": "Доля принятых = принято / (принято + пропущено); отложенное ещё не итог.",
        "reminders_link": "Напоминания и приём лекарств",
        "add_title": "Добавить напоминание",
        "title_field": "Что напомнить (так робот и скажет)",
        "dose": "Доза",
        "date": "С какого дня",
        "time": "Во сколько",
        "repeat": "Повторять",
        "repeat_once": "один раз",
        "repeat_daily": "каждый день",
        "repeat_weekly": "каждую неделю в этот день",
        "repeat_8h": "каждые 8 часов",
        "add": "Добавить",
        "bad_date": "Дата и время: укажите день и время, например 24.11.2026 и 08:00.",
    },
    "en": {
        "title": "Reminders",
        "back": "Back to the resident",
        "schedule": "Schedule",
        "version": "Version {version}",
        "timezone": "Time zone: {zone}",
        "empty": "No reminders yet.",
        "what": "What",
        "kind": "Kind",
        "medicine": "Medicine and dose",
        "starts": "Starts",
        "repeats": "Repeats",
        "once": "once",
        "paused": "paused",
        "actions": "Actions",
        "pause": "Pause",
        "resume": "Resume",
        "remove": "Remove",
        "kind_medication": "Medication",
        "kind_appointment": "Appointment",
        "kind_custom": "Other",
        "download": "Download the schedule (.ics)",
        "upload_title": "Upload a schedule from an .ics file",
        "upload_hint": "The file replaces the whole schedule. The robot gets it at once.",
        "file": "Calendar file (.ics)",
        "upload": "Upload",
        "saved": "Schedule saved, version {version}.",
        "upload_failed": "The file was not accepted",
        "no_file": "Choose an .ics file.",
        "too_big": "The file is too large (over 512 KB).",
        "adherence": "Adherence by day",
        "days_n": "{days} days",
        "period": "Period",
        "taken": "Taken",
        "snoozed": "Snoozed",
        "missed": "Missed",
        "ratio": "Taken ratio",
        "day": "Day",
        "reminder": "Reminder",
        "chart_title": "Medication and reminders over {days} days, {first} to {last}",
        "chart_summary": "In all: {taken} taken, {snoozed} snoozed, {missed} missed; "
        "taken ratio {ratio}.",
        "no_data": "no data",
        "as_table": "The same numbers as a table",
        "per_reminder": "By reminder",
        "no_outcomes": "The robot reported no reminder outcomes in this period.",
        "ratio_note": "Taken ratio = taken / (taken + missed); a snooze is not an outcome yet.",
        "reminders_link": "Reminders and adherence",
        "add_title": "Add a reminder",
        "title_field": "What to remind of (the robot says this)",
        "dose": "Dose",
        "date": "From which day",
        "time": "At what time",
        "repeat": "Repeat",
        "repeat_once": "once",
        "repeat_daily": "every day",
        "repeat_weekly": "every week on that day",
        "repeat_8h": "every 8 hours",
        "add": "Add",
        "bad_date": "Date and time: give a day and a time, e.g. 2026-11-24 and 08:00.",
    },
}


def words(lang: Lang, key: str, **values: object) -> str:
    text = WORDS[lang].get(key) or WORDS["en"].get(key) or key
    return text.format(**values) if values else text


def percent(ratio: float | None, lang: Lang) -> str:
    return words(lang, "no_data") if ratio is None else f"{round(ratio * 100)} %"


# the chart


@dataclass(frozen=True)
class Segment:
    outcome: str
    color: str
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    label: str
    tooltip: str
    segments: list[Segment]


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    bottom: int
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[tuple[float, str]]  # x, text of the days named under the axis


def adherence_chart(result: Adherence, lang: Lang) -> Chart:
    """Stacked bars per day, scaled to the busiest day; every n-th day named under the axis."""
    width, height, left, right, top, bottom = 720, 240, 32, 8, 10, 200
    plot_width = width - left - right
    top_value = max([_total(day.counts) for day in result.days] + [1])
    scale = (bottom - top) / top_value
    slot = plot_width / len(result.days)
    every = max(1, math.ceil(len(result.days) / 10))
    bars, labels = [], []
    for index, day in enumerate(result.days):
        x = left + index * slot
        label = day.day.strftime("%d.%m")
        y = float(bottom)
        segments = []
        for outcome in ("taken", "snoozed", "missed"):
            count = getattr(day.counts, outcome)
            if count:
                y -= count * scale
                segments.append(Segment(outcome, COLORS[outcome], y, count * scale))
        tooltip = (
            f"{label}: {words(lang, 'taken')} {day.counts.taken}, "
            f"{words(lang, 'snoozed')} {day.counts.snoozed}, "
            f"{words(lang, 'missed')} {day.counts.missed}"
        )
        bars.append(Bar(x + slot * 0.15, slot * 0.7, label, tooltip, segments))
        if index % every == 0:
            labels.append((x + slot / 2, label))
    values = sorted({0, top_value // 2, top_value})
    ticks = [Tick(bottom - value * scale, value) for value in values]
    return Chart(width, height, left, bottom, bars, ticks, labels)


def _total(counts: Counts) -> int:
    return counts.taken + counts.snoozed + counts.missed


# pages


@router.get("/residents/{resident_id}/reminders")
def reminders_page(
    request: Request, resident_id: str, session: Session, days: str = str(DEFAULT_DAYS)
) -> Response:
    context = context_of(request)
    resident = get_resident(context.db(), session.agency_id, parse_id(resident_id))
    saved = request.query_params.get("saved", "")
    return _page(request, context, session, resident, _days(days), saved=saved)


@router.get("/residents/{resident_id}/reminders.ics")
def download_page(request: Request, resident_id: str, session: Session) -> Response:
    context = context_of(request)
    number = parse_id(resident_id)
    stored = get_schedule(context.db(), session.agency_id, number)
    response = Response(
        ics.schedule_to_ics(stored.schedule),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="reminders-{number}.ics"'},
    )
    harden(response)
    return response


@router.post("/residents/{resident_id}/reminders/ics")
def upload_page(
    request: Request,
    resident_id: str,
    session: FormSession,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    context = context_of(request)
    lang = choose_lang(request)
    number = parse_id(resident_id)
    resident = get_resident(context.db(), session.agency_id, number)  # 404 before anything
    if session.user.role not in REMINDER_EDITORS:
        raise ForbiddenError()
    # A sync route (the thread pool, as every page): the upload is already spooled to a file.
    raw = file.file.read(MAX_UPLOAD_BYTES + 1) if file is not None else b""
    if not raw.strip():
        return _refused(request, context, session, resident, [words(lang, "no_file")])
    if len(raw) > MAX_UPLOAD_BYTES:
        return _refused(request, context, session, resident, [words(lang, "too_big")])
    try:
        schedule = _schedule_from_file(raw, context, session, number)
        stored = save_schedule(context, context.db(), session.user, number, schedule)
    except InvalidScheduleError as error:
        messages = [_problem_text(schedule, p.loc, p.msg) for p in error.problems]
        return _refused(request, context, session, resident, messages)
    except HomecareError as error:
        return _refused(request, context, session, resident, [str(error)])
    return redirect(f"/residents/{number}/reminders?saved={stored.version}")


@router.post("/residents/{resident_id}/reminders/add")
def add_reminder(
    request: Request,
    resident_id: str,
    session: FormSession,
    form: Annotated[AddReminderForm, Form()],
) -> Response:
    """One new reminder, added to the schedule (the robot gets it at once)."""
    context = context_of(request)
    lang = choose_lang(request)
    number = parse_id(resident_id)
    resident = get_resident(context.db(), session.agency_id, number)
    if session.user.role not in REMINDER_EDITORS:
        raise ForbiddenError()
    try:
        start = datetime.fromisoformat(f"{form.date}T{form.time}")
    except ValueError:
        return _refused(request, context, session, resident, [words(lang, "bad_date")])
    current = get_schedule(context.db(), session.agency_id, number).schedule
    fields = {
        "id": f"{form.kind}-{secrets.token_hex(4)}",
        "kind": form.kind,
        "title": form.title.strip(),
        "medicine": form.medicine.strip(),
        "dose": form.dose.strip(),
        "start": start,
        "rrule": REPEATS.get(form.repeat, ""),
    }
    try:
        reminder = ReminderSpec.model_validate(fields)
        schedule = current.model_copy(update={"reminders": [*current.reminders, reminder]})
        stored = save_schedule(context, context.db(), session.user, number, schedule)
    except ValidationError as error:
        messages = [
            f"{'.'.join(map(str, e['loc'])) or 'reminder'}: {e['msg']}" for e in error.errors()
        ]
        return _refused(request, context, session, resident, messages)
    except InvalidScheduleError as error:
        messages = [_problem_text(schedule, p.loc, p.msg) for p in error.problems]
        return _refused(request, context, session, resident, messages)
    return redirect(f"/residents/{number}/reminders?saved={stored.version}")


@router.post("/residents/{resident_id}/reminders/{reminder_id}/{action}")
def change_reminder(
    request: Request, resident_id: str, reminder_id: str, action: str, session: FormSession
) -> Response:
    """Pause, resume or remove one reminder (the rest of the schedule stays as it is)."""
    context = context_of(request)
    number = parse_id(resident_id)
    resident = get_resident(context.db(), session.agency_id, number)
    if action not in {"pause", "resume", "remove"}:
        raise PageNotFoundError()
    if session.user.role not in REMINDER_EDITORS:
        raise ForbiddenError()
    current = get_schedule(context.db(), session.agency_id, number).schedule
    if reminder_id not in {reminder.id for reminder in current.reminders}:
        raise PageNotFoundError()
    changed = [
        reminder.model_copy(update={"active": action == "resume"})
        if reminder.id == reminder_id
        else reminder
        for reminder in current.reminders
        if not (action == "remove" and reminder.id == reminder_id)
    ]
    schedule = current.model_copy(update={"reminders": changed})
    try:
        stored = save_schedule(context, context.db(), session.user, number, schedule)
    except InvalidScheduleError as error:
        messages = [_problem_text(schedule, p.loc, p.msg) for p in error.problems]
        return _refused(request, context, session, resident, messages)
    return redirect(f"/residents/{number}/reminders?saved={stored.version}")


def _field_problem(loc: tuple[str | int, ...], msg: str) -> str:
    return f"{'.'.join(map(str, loc)) or 'reminder'}: {msg.removeprefix('Value error, ')}"


class AddReminderForm(BaseModel):
    csrf: str = ""
    kind: ReminderKind = "medication"
    title: str = Field(default="", max_length=200)
    medicine: str = Field(default="", max_length=100)
    dose: str = Field(default="", max_length=100)
    date: str = Field(default="", max_length=20)
    time: str = Field(default="", max_length=10)
    repeat: Literal["once", "daily", "weekly", "8h"] = "daily"


def _schedule_from_file(
    raw: bytes, context: FleetContext, session: WebSession, resident_id: int
) -> ReminderSchedule:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HomecareError("the file is not UTF-8 text (an .ics file is UTF-8)") from None
    current = get_schedule(context.db(), session.agency_id, resident_id).schedule
    try:
        imported = ics.schedule_from_ics(text, current.timezone)
    except ValueError as error:
        raise HomecareError(f"the calendar does not make a valid schedule: {error}") from None
    return keep_aliases(imported, current)


def _problem_text(schedule: ReminderSchedule, loc: tuple[str | int, ...], msg: str) -> str:
    if len(loc) >= 2 and loc[0] == "reminders" and isinstance(loc[1], int):
        reminder = schedule.reminders[loc[1]]
        return f"{reminder.title} ({reminder.id}), {'.'.join(map(str, loc[2:]))}: {msg}"
    return f"{'.'.join(map(str, loc))}: {msg}"


def _refused(
    request: Request,
    context: FleetContext,
    session: WebSession,
    resident: Resident,
    errors: list[str],
) -> Response:
    return _page(request, context, session, resident, DEFAULT_DAYS, errors=errors, status=422)


def _page(
    request: Request,
    context: FleetContext,
    session: WebSession,
    resident: Resident,
    days: int,
    *,
    saved: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    lang = choose_lang(request)
    db, agency = context.db(), session.agency_id
    stored = get_schedule(db, agency, resident.id)
    result = adherence(db, agency, resident.id, days, context.now())
    values = {
        "resident": resident,
        "stored": stored,
        "result": result,
        "chart": adherence_chart(result, lang),
        "colors": COLORS,
        "days": days,
        "periods": PERIODS,
        "editable": session.user.role in REMINDER_EDITORS,
        "saved": saved if saved.isdigit() else "",
        "errors": errors or [],
        "w": lambda key, **v: words(lang, key, **v),
        "percent": lambda ratio: percent(ratio, lang),
    }
    return render(request, "reminders.html", values, session=session, status_code=status)


def _days(text: str) -> int:
    return int(text) if text.isdigit() and int(text) in PERIODS else DEFAULT_DAYS
