"""The reminders page in headless Chromium: a caregiver uploads an .ics file through the
form, sees the schedule, and reads the adherence chart (SVG, legend, table), at tablet
and laptop widths, with no script or CSP error.

The app, the browser and the DevTools client are those of test_dashboard_browser.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from fleet.api.security import hash_password
from fleet.store.accounts import create_user
from fleet.store.reminders import outcome_rows, record_outcome
from reminders.model import ReminderOutcomeEvent
from tests.integration import test_dashboard_browser as dashboard
from tests.integration.test_dashboard_browser import DevTools, LiveFleet

# The fixtures of test_dashboard_browser.py: the app served by uvicorn, headless Chromium.
live_fleet = dashboard.live_fleet
browser = dashboard.browser

CAREGIVER, PASSWORD = "caregiver@a.example", "Correct-Horse-42"
RESIDENT = 1  # the one resident of live_fleet, renting its robot
CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
X-WR-TIMEZONE:Europe/Moscow
BEGIN:VEVENT
UID:aspirin-morning
SUMMARY:Аспирин утром
DTSTART;TZID=Europe/Moscow:{start}
RRULE:FREQ=DAILY
X-HOMECARE-KIND:medication
X-HOMECARE-MEDICINE:Аспирин
X-HOMECARE-DOSE:1 таблетка
END:VEVENT
END:VCALENDAR
"""


def _add_caregiver(live_fleet: LiveFleet) -> None:
    context = live_fleet.context
    create_user(context.db(), 1, email=CAREGIVER, password_hash=hash_password(PASSWORD),
                full_name="Вера Сиделкина", role="caregiver", now=context.now())  # fmt: skip


def _outcomes(live_fleet: LiveFleet) -> None:
    """Two days of outcomes, stored as the MQTT ingest stores them."""
    context = live_fleet.context
    now = context.now()
    for days_ago, outcome in ((1, "snoozed"), (1, "taken"), (0, "missed")):
        due = datetime.fromtimestamp(now, context.clock.now().tzinfo) - timedelta(days=days_ago)
        occurrence = f"aspirin-morning@{due.date().isoformat()}"
        event = ReminderOutcomeEvent(
            ts=now + 1, event_id=f"{occurrence}:{outcome}", reminder_id="aspirin-morning",
            occurrence_id=occurrence, kind="medication", title="Аспирин утром",
            medicine="Аспирин", outcome=outcome, due=due,  # type: ignore[arg-type]
        )  # fmt: skip
        assert record_outcome(context.db(), live_fleet.robot_id, event, now).created
    assert len(outcome_rows(context.db(), live_fleet.robot_id)) == 3


def _sign_in(browser: DevTools, live_fleet: LiveFleet) -> None:
    browser.open(f"{live_fleet.url}/login")
    browser.evaluate(
        f"document.getElementById('email').value = {json.dumps(CAREGIVER)};"
        f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
        "document.querySelector('form[action=\"/login\"] button').click();"
    )
    browser.wait_for_page("/incidents")


def test_a_caregiver_uploads_a_schedule_and_reads_the_adherence_chart(
    live_fleet: LiveFleet, browser: DevTools, tmp_path: Path
) -> None:
    _add_caregiver(live_fleet)
    _outcomes(live_fleet)
    tomorrow = live_fleet.context.clock.now() + timedelta(days=1)
    calendar = tmp_path / "aspirin.ics"
    calendar.write_text(CALENDAR.format(start=tomorrow.strftime("%Y%m%dT080000")), "utf-8")

    _sign_in(browser, live_fleet)
    browser.open(f"{live_fleet.url}/residents/{RESIDENT}?lang=ru")
    browser.evaluate("document.getElementById('reminders-link').click()")
    browser.wait_for_page(f"/residents/{RESIDENT}/reminders")
    assert "Напоминаний пока нет" in browser.evaluate("document.body.innerText")

    # Choose the file in the form's file input, as a person would, and send the form.
    document = browser.call("DOM.getDocument")["root"]["nodeId"]
    node = browser.call("DOM.querySelector", nodeId=document, selector="#ics-file")["nodeId"]
    browser.call("DOM.setFileInputFiles", files=[str(calendar)], nodeId=node)
    browser.evaluate("document.querySelector('#ics-upload button').click()")
    browser.wait_for_page(f"/residents/{RESIDENT}/reminders?saved=1")
    assert "Расписание сохранено, версия 1." in browser.evaluate(
        "document.getElementById('reminders-saved').innerText"
    )
    row = "document.querySelector('[data-reminder-id=\"aspirin-morning\"]').innerText"
    assert "Аспирин утром" in browser.evaluate(row) and "FREQ=DAILY" in browser.evaluate(row)
    assert browser.evaluate("document.getElementById('ics-download').getAttribute('href')") == (
        f"/residents/{RESIDENT}/reminders.ics"
    )

    browser.evaluate("document.querySelector('[data-reminder-id] .pause-button').click()")
    browser.wait_for_page(f"/residents/{RESIDENT}/reminders?saved=2")
    assert "приостановлено" in browser.evaluate(row)

    # The chart: a bar per day of the period, coloured parts, a legend, words for everyone.
    chart = "document.querySelector('#adherence-chart svg')"
    assert browser.evaluate(f"{chart}.querySelectorAll('g.bar').length") == 30
    for outcome, count in (("taken", 1), ("snoozed", 1), ("missed", 1)):
        assert browser.evaluate(f"{chart}.querySelectorAll('rect.bar-{outcome}').length") == count
    assert browser.evaluate(f"{chart}.getBoundingClientRect().height") > 100
    legend = browser.evaluate("document.getElementById('chart-legend').innerText")
    assert all(word in legend for word in ("Принято", "Отложено", "Пропущено"))
    label = browser.evaluate(
        f"{chart}.getAttribute('aria-labelledby').split(' ')"
        ".map(id => document.getElementById(id).textContent).join(' ')"
    )
    assert "за 30 дн." in label and "принято 1, отложено 1, пропущено 1" in label
    assert "50 %" in label
    browser.evaluate("document.querySelector('#adherence-table summary').click()")
    assert browser.evaluate("document.getElementById('adherence-table').open") is True

    browser.open(f"{live_fleet.url}/residents/{RESIDENT}/reminders?days=7&lang=en")
    assert browser.evaluate(f"{chart}.querySelectorAll('g.bar').length") == 7
    assert "Taken ratio" in browser.evaluate("document.body.innerText")

    for width in (768, 1280):
        browser.call("Emulation.setDeviceMetricsOverride", width=width, height=1024,
                     deviceScaleFactor=1, mobile=False)  # fmt: skip
        browser.open(f"{live_fleet.url}/residents/{RESIDENT}/reminders?days=90")
        overflow = browser.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the reminders page is {overflow} px too wide at {width} px"
    assert browser.problems() == []
