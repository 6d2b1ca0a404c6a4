"""Residents and rentals: lists, a resident's page, and handing robots over and back."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from fleet.config_sync import sync_one_robot
from fleet.context import FleetContext
from fleet.store.rentals import RENTAL_STATUSES, get_rental, hand_over, list_rentals
from fleet.store.residents import get_resident, list_residents
from fleet.web.benefit_pages import resident_summary
from fleet.web.benefit_pages import words as benefit_words
from fleet.web.formatting import age_on, local_today
from fleet.web.i18n import choose_lang
from fleet.web.lookups import residents_by_id
from fleet.web.paging import PAGE_SIZE, page_number, pager, parse_id
from fleet.web.reminder_pages import words as reminder_words
from fleet.web.render import redirect, render
from fleet.web.routing import PageRoute
from fleet.web.session import ManagerFormSession, Session, context_of
from fleet.wipes import return_and_wipe

router = APIRouter(route_class=PageRoute)

_OPEN = ("planned", "active")


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
    }
    return render(request, "residents.html", values, session=session)


@router.get("/residents/{resident_id}")
def resident_page(request: Request, resident_id: str, session: Session) -> Response:
    context = context_of(request)
    db, agency = context.db(), session.agency_id
    resident = get_resident(db, agency, parse_id(resident_id))  # 404 if not ours
    values = {
        "resident": resident,
        "rentals": list_rentals(db, agency, resident_id=resident.id, limit=50).items,
        "age": age_on(resident.birth_date, local_today(context.now())),
        "reminders_link": reminder_words(choose_lang(request), "reminders_link"),
        "benefits_link": benefit_words(choose_lang(request), "benefits_link"),
        "benefits_summary": resident_summary(context, agency, resident.id, choose_lang(request)),
    }
    return render(request, "resident.html", values, session=session)


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
