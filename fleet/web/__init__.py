"""The dashboard: server-rendered pages behind sign-in, with live incidents.

Pages (Jinja2 templates in `templates/`, CSS and JS in `static/`, no CDN):
`/login`, `/incidents` (live over `/incidents/stream`), `/robots`, `/robots/{id}`,
`/residents`, `/residents/{id}`, `/residents/{id}/reminders` (schedule, .ics, adherence),
`/residents/{id}/benefits` (profile, eligibility, appointment requests), `/rentals`,
`/benefits` (the catalog; measures and agencies edited there), `/specialists` (slots,
ratings per month), `/residents/{id}/appointments`, `/complaints` (15-day deadlines).
Every page shows only the signed-in user's agency; another agency's object is "not
found", as in the API.
"""

from __future__ import annotations

from fastapi import APIRouter

from fleet.web import (
    appointment_pages,
    benefit_pages,
    call_signal,
    consultation_pages,
    incident_pages,
    live,
    login,
    people_pages,
    reminder_pages,
    robot_pages,
    static_files,
)

router = APIRouter(include_in_schema=False)
for _module in (
    login, live, incident_pages, robot_pages, people_pages, reminder_pages, benefit_pages,
    appointment_pages, call_signal, consultation_pages, static_files,
):  # fmt: skip
    router.include_router(_module.router)

__all__ = ["router"]
