"""Appointment pages: specialists with their slots and ratings per month, a resident's
appointments (booked and cancelled by admins and social workers), and the complaints with
their 15-day answer deadline (overdue ones stand out) and an answer form.

The pages call the same store and the same helpers as the API
(`fleet.api.routers.appointments`), so a change goes to the robots the same way. The
pages' words live here, in both languages, beside the pages that use them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, get_args
from urllib.parse import quote
from zoneinfo import ZoneInfo

import sqlite_utils
from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from fleet.api.deps import CALLERS
from fleet.api.routers.appointments import (
    APPOINTMENT_EDITORS,
    change_status,
    sync_agency,
    sync_resident,
)
from fleet.store import appointments as store
from fleet.store.common import InvalidChangeError
from fleet.store.consultations import Consultation, latest_call_of_appointment
from fleet.store.residents import get_resident
from fleet.web.errors import ActionConflictError, ForbiddenError
from fleet.web.i18n import Lang, choose_lang
from fleet.web.paging import parse_id
from fleet.web.render import redirect, render
from fleet.web.routing import PageRoute
from fleet.web.session import FormSession, Session, WebSession, context_of

router = APIRouter(route_class=PageRoute)
Field = Annotated[str, Form()]

WORDS: dict[Lang, dict[str, str]] = {
    "ru": {
        "specialists": "Специалисты",
        "specialist": "Специалист",
        "role": "Должность",
        "name": "Имя",
        "inactive": "не принимает",
        "add_specialist": "Добавить специалиста",
        "add": "Добавить",
        "no_specialists": "Специалистов пока нет.",
        "slots": "Свободное и занятое время",
        "no_slots": "Приёмов не назначено.",
        "free": "свободно",
        "booked": "занято",
        "delete": "Удалить",
        "add_slots": "Добавить время приёма",
        "starts_at": "Начало (местное время)",
        "zone": "Часовой пояс",
        "duration": "Длительность, мин",
        "mode": "Формат",
        "mode_in_person": "очно",
        "mode_video": "видеосвязь",
        "place": "Место или ссылка",
        "weeks": "Повторить, недель",
        "ratings": "Оценки по месяцам",
        "month": "Месяц",
        "count": "Оценок",
        "c_time_to_service": "Срок получения услуги",
        "c_waiting_time": "Время ожидания",
        "c_courtesy": "Вежливость и компетентность",
        "c_comfort": "Комфортность",
        "c_information": "Доступность информации",
        "mean": "Средняя",
        "comments": "Комментарии к оценкам",
        "appointments": "Записи на приём",
        "resident_back": "К карточке подопечного",
        "when": "Когда",
        "status": "Состояние",
        "s_booked": "записан",
        "s_cancelled": "отменено",
        "s_done": "состоялся",
        "s_no_show": "не пришёл",
        "source_voice": "по голосу",
        "source_staff": "сотрудником",
        "rated": "оценён",
        "cancel": "Отменить",
        "done": "Состоялся",
        "no_show": "Не пришёл",
        "book": "Записать",
        "choose_slot": "Свободное время",
        "no_free_slots": "Свободного времени на 14 дней нет.",
        "no_appointments": "Записей нет.",
        "refusals": "Не удалось записать (просьбы через робота)",
        "complaints": "Жалобы",
        "complaint": "Жалоба",
        "ground": "Основание",
        "g_missed_deadline": "нарушен срок",
        "g_refusal": "отказ",
        "g_extra_documents_or_fees": "требовали лишние документы или плату",
        "g_rude_treatment": "грубое обращение",
        "g_other": "другое",
        "text": "Текст",
        "filed": "Подана",
        "due": "Ответить до",
        "c_open": "ждёт ответа",
        "c_overdue": "срок ответа истёк",
        "c_answered": "отвечена",
        "answer": "Ответ",
        "send_answer": "Ответить",
        "file_complaint": "Подать жалобу от имени подопечного",
        "file": "Подать",
        "no_complaints": "Жалоб нет.",
        "all": "все",
        "resident": "Подопечный",
        "erased": "(данные удалены)",
        "read_only": "Изменять могут администраторы и социальные работники.",
        "bad_start": "Укажите начало в виде ГГГГ-ММ-ДДTЧЧ:ММ.",
        "bad_number": "Длительность и число недель — целые числа.",
        "empty_answer": "Напишите текст ответа.",
        "required": "Заполните все поля формы.",
        "unknown_action": "Неизвестное действие.",
    },
    "en": {
        "specialists": "Specialists",
        "specialist": "Specialist",
        "role": "Role",
        "name": "Name",
        "inactive": "not seeing people",
        "add_specialist": "Add a specialist",
        "add": "Add",
        "no_specialists": "No specialists yet.",
        "slots": "Free and booked times",
        "no_slots": "No times set.",
        "free": "free",
        "booked": "booked",
        "delete": "Delete",
        "add_slots": "Add appointment times",
        "starts_at": "Start (local time)",
        "zone": "Time zone",
        "duration": "Duration, min",
        "mode": "Mode",
        "mode_in_person": "in person",
        "mode_video": "video call",
        "place": "Place or link",
        "weeks": "Repeat, weeks",
        "ratings": "Ratings per month",
        "month": "Month",
        "count": "Ratings",
        "c_time_to_service": "Time to get the service",
        "c_waiting_time": "Waiting time",
        "c_courtesy": "Courtesy and competence",
        "c_comfort": "Comfort",
        "c_information": "Availability of information",
        "mean": "Mean",
        "comments": "Comments with the ratings",
        "appointments": "Appointments",
        "resident_back": "Back to the resident",
        "when": "When",
        "status": "Status",
        "s_booked": "booked",
        "s_cancelled": "cancelled",
        "s_done": "done",
        "s_no_show": "did not come",
        "source_voice": "by voice",
        "source_staff": "by staff",
        "rated": "rated",
        "cancel": "Cancel",
        "done": "Done",
        "no_show": "Did not come",
        "book": "Book",
        "choose_slot": "Free time",
        "no_free_slots": "No free time in the next 14 days.",
        "no_appointments": "No appointments.",
        "refusals": "Bookings that failed (asked through the robot)",
        "complaints": "Complaints",
        "complaint": "Complaint",
        "ground": "Ground",
        "g_missed_deadline": "missed deadline",
        "g_refusal": "refusal",
        "g_extra_documents_or_fees": "extra documents or fees demanded",
        "g_rude_treatment": "rude treatment",
        "g_other": "other",
        "text": "Text",
        "filed": "Filed",
        "due": "Answer by",
        "c_open": "awaiting an answer",
        "c_overdue": "answer overdue",
        "c_answered": "answered",
        "answer": "Answer",
        "send_answer": "Send the answer",
        "file_complaint": "File a complaint for the resident",
        "file": "File",
        "no_complaints": "No complaints.",
        "all": "all",
        "resident": "Resident",
        "erased": "(data erased)",
        "read_only": "Admins and social workers may change this.",
        "bad_start": "Give the start as YYYY-MM-DDTHH:MM.",
        "bad_number": "Duration and weeks are whole numbers.",
        "empty_answer": "Write the answer's text.",
        "required": "Fill in every field of the form.",
        "unknown_action": "Unknown action.",
    },
}
CHART_HEIGHT = 60


def words(lang: Lang, key: str, **values: object) -> str:
    text = WORDS[lang].get(key) or WORDS["en"].get(key) or key
    return text.format(**values) if values else text


# specialists


@router.get("/specialists")
def specialists_page(request: Request, session: Session) -> Response:
    context = context_of(request)
    db = context.db()
    found = store.list_specialists(db, session.agency_id)
    slots = {s.id: store.list_slots(db, session.agency_id, s.id, since=context.now())
             for s in found}  # fmt: skip
    return render(request, "specialists.html",
                  {"specialists": found, "slots": slots, **_common(request, session)},
                  session=session)  # fmt: skip


@router.post("/specialists")
def add_specialist(
    request: Request, session: FormSession, name: Field = "", role: Field = ""
) -> Response:
    _require_editor(session)
    if not name.strip() or not role.strip():
        raise _form_error(request, "required")
    context = context_of(request)
    store.create_specialist(context.db(), session.agency_id,
                            {"name": name.strip()[:200], "role": role.strip()[:200]},
                            user_id=session.user.id, now=context.now())  # fmt: skip
    return redirect("/specialists")


@router.get("/specialists/{specialist_id}")
def specialist_page(request: Request, specialist_id: str, session: Session) -> Response:
    context = context_of(request)
    db, number, now = context.db(), parse_id(specialist_id), context.now()
    specialist = store.get_specialist(db, session.agency_id, number)
    months = store.ratings_by_month(db, session.agency_id, number, months=12, now=now)
    values = {
        "specialist": specialist,
        "slots": store.list_slots(db, session.agency_id, number, since=now),
        "months": months,
        "bars": _bars(months),
        "comments": store.recent_comments(db, session.agency_id, number),
        "criteria": store.CRITERIA,
        "modes": get_args(store.Mode),
        "error": request.query_params.get("error", ""),
        **_common(request, session),
    }
    return render(request, "specialist.html", values, session=session)


@router.post("/specialists/{specialist_id}/slots")
def add_slots(  # noqa: PLR0917 (one form field per parameter)
    request: Request, specialist_id: str, session: FormSession, starts_at: Field = "",
    timezone: Field = "Europe/Moscow", duration_min: Field = "30", mode: Field = "in_person",
    place: Field = "", weeks: Field = "1",
) -> Response:  # fmt: skip
    context = context_of(request)
    number = parse_id(specialist_id)
    store.get_specialist(context.db(), session.agency_id, number)  # 404 before the role
    _require_editor(session)
    try:
        zone = ZoneInfo(timezone)
        first = datetime.fromisoformat(starts_at).replace(tzinfo=zone)
    except (ValueError, KeyError):
        raise _form_error(request, "bad_start") from None
    if not duration_min.isdigit() or not weeks.isdigit() or mode not in get_args(store.Mode):
        raise _form_error(request, "bad_number")
    if not 5 <= int(duration_min) <= 480:  # the API's bounds
        raise _form_error(request, "bad_number")
    try:
        store.create_slots(context.db(), session.agency_id, number,
                           store.series_starts(first, int(weeks)), duration_min=int(duration_min),
                           mode=mode,  # type: ignore[arg-type]  # checked above
                           place=place.strip()[:300], user_id=session.user.id,
                           now=context.now())  # fmt: skip
    except InvalidChangeError as error:
        return redirect(f"/specialists/{number}?error={_quoted(str(error))}")
    sync_agency(context, context.db(), session.agency_id)
    return redirect(f"/specialists/{number}")


@router.post("/specialists/{specialist_id}/slots/{slot_id}/delete")
def delete_slot(
    request: Request, specialist_id: str, slot_id: str, session: FormSession
) -> Response:
    context = context_of(request)
    number = parse_id(specialist_id)
    store.get_specialist(context.db(), session.agency_id, number)
    _require_editor(session)
    store.delete_slot(context.db(), session.agency_id, number, parse_id(slot_id),
                      user_id=session.user.id, now=context.now())  # fmt: skip
    sync_agency(context, context.db(), session.agency_id)
    return redirect(f"/specialists/{number}")


# a resident's appointments


@router.get("/residents/{resident_id}/appointments")
def resident_page(request: Request, resident_id: str, session: Session) -> Response:
    context = context_of(request)
    db, number, now = context.db(), parse_id(resident_id), context.now()
    resident = get_resident(db, session.agency_id, number)
    specialists = {s.id: s for s in store.list_specialists(db, session.agency_id)}
    appointments = store.list_appointments(db, session.agency_id, number)
    values = {
        "resident": resident,
        "appointments": appointments,
        "calls": _latest_calls(db, session.agency_id, appointments),
        "may_call": session.user.role in CALLERS,
        "refusals": store.list_refusals(db, session.agency_id, number),
        "free": store.free_slots(db, session.agency_id, now, limit=100),
        "specialists": specialists,
        "complaints": [c for c in store.list_complaints(db, session.agency_id, status=None,
                                                        now=now) if c.resident_id == number],
        "grounds": store.GROUNDS,
        **_common(request, session),
    }  # fmt: skip
    return render(request, "resident_appointments.html", values, session=session)


@router.post("/residents/{resident_id}/appointments")
def book(request: Request, resident_id: str, session: FormSession, slot_id: Field = "") -> Response:
    context = context_of(request)
    db, number = context.db(), parse_id(resident_id)
    get_resident(db, session.agency_id, number)
    _require_editor(session)
    store.book(db, session.agency_id, number, parse_id(slot_id), source="staff",
               user_id=session.user.id, robot_id=None, now=context.now())  # fmt: skip
    sync_resident(context, db, number, with_reminders=True)
    sync_agency(context, db, session.agency_id)
    return redirect(f"/residents/{number}/appointments")


@router.post("/appointments/{appointment_id}/{action}")
def change(request: Request, appointment_id: str, action: str, session: FormSession) -> Response:
    context = context_of(request)
    db = context.db()
    found = store.get_appointment(db, session.agency_id, parse_id(appointment_id))
    statuses: dict[str, store.Status] = {"cancel": "cancelled", "done": "done",
                                         "no_show": "no_show"}  # fmt: skip
    if action not in statuses:
        raise _form_error(request, "unknown_action")
    _require_editor(session)
    change_status(context, db, session.user, found.id, statuses[action])
    return redirect(f"/residents/{found.resident_id}/appointments")


@router.post("/residents/{resident_id}/complaints")
def file_complaint(
    request: Request, resident_id: str, session: FormSession, ground: Field = "", text: Field = ""
) -> Response:
    context = context_of(request)
    db, number, now = context.db(), parse_id(resident_id), context.now()
    get_resident(db, session.agency_id, number)
    if ground not in store.GROUNDS:
        raise _form_error(request, "required")
    complaint_id = store.file_complaint(
        db, session.agency_id, number, ground=ground,  # type: ignore[arg-type]  # checked
        text=text.strip()[:4000], appointment_id=None, source="staff",
        user_id=session.user.id, robot_id=None, filed_at=now, now=now,
    )  # fmt: skip
    return redirect(f"/complaints/{complaint_id}")


# complaints


@router.get("/complaints")
def complaints_page(request: Request, session: Session) -> Response:
    context = context_of(request)
    wanted = request.query_params.get("status")
    status = wanted if wanted in ("open", "answered", "overdue") else None
    found = store.list_complaints(context.db(), session.agency_id, status=status,  # type: ignore[arg-type]
                                  now=context.now())  # fmt: skip
    values = {"complaints": found, "status": status or "", **_common(request, session)}
    return render(request, "complaints.html", values, session=session)


@router.get("/complaints/{complaint_id}")
def complaint_page(request: Request, complaint_id: str, session: Session) -> Response:
    context = context_of(request)
    found = store.get_complaint(context.db(), session.agency_id, parse_id(complaint_id),
                                context.now())  # fmt: skip
    values = {"complaint": found, **_common(request, session)}
    return render(request, "complaint.html", values, session=session)


@router.post("/complaints/{complaint_id}/answer")
def answer(request: Request, complaint_id: str, session: FormSession, text: Field = "") -> Response:
    context = context_of(request)
    db, number = context.db(), parse_id(complaint_id)
    store.get_complaint(db, session.agency_id, number, context.now())
    _require_editor(session)
    if not text.strip():
        raise _form_error(request, "empty_answer")
    store.answer_complaint(db, session.agency_id, number, text.strip()[:4000],
                           user_id=session.user.id, now=context.now())  # fmt: skip
    return redirect(f"/complaints/{number}")


# helpers


def _common(request: Request, session: WebSession) -> dict[str, Any]:
    lang = choose_lang(request)
    return {
        "w": lambda key, **values: words(lang, key, **values),
        "editable": session.user.role in APPOINTMENT_EDITORS,
    }


def _latest_calls(
    db: sqlite_utils.Database, agency_id: int, appointments: list[store.Appointment]
) -> dict[int, Consultation]:
    """The last video call of each video appointment that had one (its state is shown)."""
    calls = {}
    for appointment in appointments:
        if appointment.mode == "video":
            call = latest_call_of_appointment(db, agency_id, appointment.id)
            if call is not None:
                calls[appointment.id] = call
    return calls


def _require_editor(session: WebSession) -> None:
    if session.user.role not in APPOINTMENT_EDITORS:
        raise ForbiddenError("forbidden_appointments")


def _form_error(request: Request, key: str) -> ActionConflictError:
    return ActionConflictError(words(choose_lang(request), key))


def _bars(months: list[store.MonthRatings]) -> list[dict[str, Any]]:
    """One bar per month: the mean over the criteria rated that month (1-5), for the SVG."""
    bars = []
    for index, month in enumerate(months):
        given = [v for v in month.averages.values() if v is not None]
        mean = round(sum(given) / len(given), 2) if given else None
        height = 0 if mean is None else round(mean / 5 * CHART_HEIGHT)
        bars.append({"x": index * 24, "height": height, "y": CHART_HEIGHT - height,
                     "mean": mean, "month": month.month})  # fmt: skip
    return bars


def _quoted(text: str) -> str:
    return quote(text[:300])
