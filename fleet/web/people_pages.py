"""Residents and rentals: lists, a resident's page (with the home's assistive devices),
and handing robots over and back."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.responses import Response

from fleet.api.deps import RESIDENT_EDITORS
from fleet.api.routers.devices import save_registry
from fleet.config_sync import sync_one_robot
from fleet.context import FleetContext
from fleet.protocol import DEVICE_ROLES, DevicesConfig
from fleet.store.devices import (
    InvalidRegistryError,
    get_registry,
    resident_devices,
    residents_with_issues,
)
from fleet.store.rentals import RENTAL_STATUSES, get_rental, hand_over, list_rentals
from fleet.store.residents import Resident, get_resident, list_residents
from fleet.web.benefit_pages import resident_summary
from fleet.web.benefit_pages import words as benefit_words
from fleet.web.errors import ForbiddenError
from fleet.web.formatting import age_on, local_today
from fleet.web.i18n import Lang, choose_lang, translate
from fleet.web.lookups import residents_by_id
from fleet.web.paging import PAGE_SIZE, page_number, pager, parse_id
from fleet.web.reminder_pages import words as reminder_words
from fleet.web.render import redirect, render
from fleet.web.routing import PageRoute
from fleet.web.session import FormSession, ManagerFormSession, Session, WebSession, context_of
from fleet.wipes import return_and_wipe

router = APIRouter(route_class=PageRoute)

_OPEN = ("planned", "active")
# The registry form's text: a paste larger than this is no registry of 64 devices.
MAX_REGISTRY_TEXT = 64 * 1024


@router.get("/residents")
def residents_page(request: Request, session: Session, page: str = "1") -> Response:
    context = context_of(request)
    db, agency = context.db(), session.agency_id
    number = page_number(page)
    result = list_residents(db, agency, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    # One list per open status beats one query per resident; open rentals are few.
    open_rentals = {
        rental.resident_id: rental
        for status in _OPEN
        for rental in list_rentals(db, agency, status=status, limit=500).items
    }
    values = {
        "residents": result.items,
        "rentals": open_rentals,
        "today": local_today(context.now()),
        "age_on": age_on,
        "pager": pager(request, number, result.total),
        # The maintenance badge: a device of the resident's home offline, low or in trouble.
        "device_trouble": residents_with_issues(db, agency),
    }
    return render(request, "residents.html", values, session=session)


@router.get("/residents/{resident_id}")
def resident_page(request: Request, resident_id: str, session: Session) -> Response:
    context = context_of(request)
    resident = get_resident(context.db(), session.agency_id, parse_id(resident_id))  # 404
    saved = request.query_params.get("devices_saved", "")
    return _resident_page(request, context, session, resident,
                          devices_saved=saved if saved.isdigit() else "")  # fmt: skip


@router.post("/residents/{resident_id}/devices")
def save_devices(
    request: Request,
    resident_id: str,
    session: FormSession,
    registry: Annotated[str, Form()] = "",
) -> Response:
    """The registry as JSON text (`cfg/devices`); refused with the problems in words."""
    context = context_of(request)
    lang = choose_lang(request)
    number = parse_id(resident_id)
    resident = get_resident(context.db(), session.agency_id, number)  # 404 before anything
    if session.user.role not in RESIDENT_EDITORS:
        raise ForbiddenError()
    if len(registry) > MAX_REGISTRY_TEXT:
        too_long = translate(lang, "devices_too_long", limit=MAX_REGISTRY_TEXT // 1024)
        return _refused(request, context, session, resident, text="", errors=[too_long])
    try:
        parsed = DevicesConfig.model_validate(json.loads(registry or "{}"))
        stored = save_registry(context, context.db(), session.user, number, parsed)
    except (json.JSONDecodeError, ValidationError, InvalidRegistryError) as error:
        problems = _problems(lang, error)
        return _refused(request, context, session, resident, text=registry, errors=problems)
    return redirect(f"/residents/{number}?devices_saved={stored.version}#devices")


def _problems(
    lang: Lang, error: json.JSONDecodeError | ValidationError | InvalidRegistryError
) -> list[str]:
    """What is wrong, in words: `devices → sos 1 → role: Input should be ...`."""
    if isinstance(error, json.JSONDecodeError):
        return [translate(lang, "devices_not_json", line=error.lineno, column=error.colno,
                          reason=error.msg)]  # fmt: skip
    if isinstance(error, ValidationError):
        found = [(tuple(e["loc"]), e["msg"]) for e in error.errors()]
    else:
        found = [(problem.loc, problem.msg) for problem in error.problems]
    return [
        f"{' → '.join(map(str, loc)) or translate(lang, 'devices_registry')}: "
        f"{msg.removeprefix('Value error, ')}"
        for loc, msg in found
    ]


def _refused(
    request: Request, context: FleetContext, session: WebSession, resident: Resident, *,
    text: str, errors: list[str],
) -> Response:  # fmt: skip
    return _resident_page(request, context, session, resident, form_text=text, errors=errors,
                          status=422)  # fmt: skip


def _resident_page(
    request: Request,
    context: FleetContext,
    session: WebSession,
    resident: Resident,
    *,
    devices_saved: str = "",
    form_text: str | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    db, agency, lang = context.db(), session.agency_id, choose_lang(request)
    registry = get_registry(db, agency, resident.id)
    if form_text is None:
        form_text = registry_text(registry.registry)
    values: dict[str, Any] = {
        "resident": resident,
        "rentals": list_rentals(db, agency, resident_id=resident.id, limit=50).items,
        "age": age_on(resident.birth_date, local_today(context.now())),
        "reminders_link": reminder_words(lang, "reminders_link"),
        "benefits_link": benefit_words(lang, "benefits_link"),
        "benefits_summary": resident_summary(context, agency, resident.id, lang),
        "devices": resident_devices(db, agency, resident.id),
        "registry": registry,
        "devices_editable": session.user.role in RESIDENT_EDITORS,
        "device_roles": DEVICE_ROLES,
        "devices_saved": devices_saved,
        "devices_form": form_text,
        "device_errors": errors or [],
    }
    return render(request, "resident.html", values, session=session, status_code=status)


@router.get("/rentals")
def rentals_page(request: Request, session: Session, status: str = "", page: str = "1") -> Response:
    context = context_of(request)
    db, agency = context.db(), session.agency_id
    number = page_number(page)
    result = list_rentals(
        db,
        agency,
        status=status if status in RENTAL_STATUSES else None,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    values = {
        "rentals": result.items,
        "residents": residents_by_id(db, agency, (r.resident_id for r in result.items)),
        "statuses": RENTAL_STATUSES,
        "status": status,
        "pager": pager(request, number, result.total),
    }
    return render(request, "rentals.html", values, session=session)


@router.post("/rentals/{rental_id}/handover")
def handover(request: Request, rental_id: str, session: ManagerFormSession) -> Response:
    context = context_of(request)
    db, number = context.db(), parse_id(rental_id)
    hand_over(db, session.agency_id, number, user_id=session.user.id, now=context.now())
    _sync_config(context, get_rental(db, session.agency_id, number).robot_id)
    return redirect("/rentals")


@router.post("/rentals/{rental_id}/return")
def take_back(request: Request, rental_id: str, session: ManagerFormSession) -> Response:
    context = context_of(request)
    db, agency, now = context.db(), session.agency_id, context.now()
    number = parse_id(rental_id)
    # Without a broker the wipe stays pending and is sent on the next connection.
    return_and_wipe(context.publish, db, agency, number, user_id=session.user.id, now=now)
    _sync_config(context, get_rental(db, agency, number).robot_id)
    return redirect("/rentals")


def _sync_config(context: FleetContext, robot_id: str) -> None:
    """The robot gets its new resident's configuration (or the broker forgets the last one's)."""
    sync_one_robot(context.publish, context.mqtt_connected, context.db(), robot_id, context.now())


def registry_text(registry: DevicesConfig) -> str:
    """The registry as the form shows it: each device without the fields left at default."""
    devices = {
        name: spec.model_dump(mode="json", exclude_defaults=True)
        for name, spec in registry.devices.items()
    }
    data = {"devices": devices,
            "notify_caregiver_on_night_door": registry.notify_caregiver_on_night_door}  # fmt: skip
    return json.dumps(data, ensure_ascii=False, indent=2)
