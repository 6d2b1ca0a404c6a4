"""Appointments in headless Chromium, delivered through a real mosquitto: a social worker
books a free slot for the rented resident on the resident's appointments page (the
reminder is added to their schedule and the robot's retained `cfg/appointments` then
shows the booking), and answers an overdue complaint, which then reads as answered.

The app, the browser and the DevTools client are those of test_dashboard_browser.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fleet.api.security import hash_password
from fleet.mqtt_ingest import FleetIngest
from fleet.protocol import DesiredConfig, config_topic, decode
from fleet.store import appointments as store
from fleet.store import connect_database
from fleet.store.accounts import create_user
from fleet.store.reminders import get_schedule
from tests.broker import AnyBroker, make_test_broker, mosquitto_readable_dir
from tests.integration import test_dashboard_browser as dashboard
from tests.integration.test_dashboard_browser import DevTools, LiveFleet
from tests.support import wait_until

live_fleet = dashboard.live_fleet
browser = dashboard.browser

SOCIAL, PASSWORD = "social@a.example", "Correct-Horse-42"
AGENCY, RESIDENT = 1, 1  # the live fleet's agency and rented resident

pytestmark = pytest.mark.skipif(
    shutil.which("mosquitto") is None,
    reason="mosquitto is not installed (apt-get install mosquitto)",
)


@pytest.fixture
def wired(live_fleet: LiveFleet) -> Iterator[tuple[LiveFleet, AnyBroker]]:
    """The live fleet with mosquitto and the service's MQTT client attached to its app."""
    context = live_fleet.context
    with mosquitto_readable_dir() as folder:
        broker = make_test_broker("mosquitto", folder, context.db_path)
        broker.start()
        ingest = FleetIngest(connect_database(context.db_path), context.clock, broker.host,
                             broker.port, client_id="fleet-under-test",
                             username=broker.service_username,
                             password=broker.service_password)  # fmt: skip
        ingest.start()
        try:
            wait_until(ingest.subscribed.is_set, what="the ingest to subscribe")
            context.publish, context.mqtt_connected = ingest.publish, ingest.is_connected
            yield live_fleet, broker
        finally:
            context.publish = context.mqtt_connected = None
            ingest.stop()
            broker.close_probes()
            broker.stop()


def _sign_in(browser: DevTools, live_fleet: LiveFleet) -> None:
    context = live_fleet.context
    create_user(context.db(), AGENCY, email=SOCIAL, password_hash=hash_password(PASSWORD),
                full_name="Соня Соцработникова", role="social_worker",
                now=context.now())  # fmt: skip
    browser.open(f"{live_fleet.url}/login")
    browser.evaluate(
        f"document.getElementById('email').value = {json.dumps(SOCIAL)};"
        f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
        "document.querySelector('form[action=\"/login\"] button').click();"
    )
    browser.wait_for_page("/incidents")


def test_a_social_worker_books_a_slot_and_answers_an_overdue_complaint(
    wired: tuple[LiveFleet, AnyBroker], browser: DevTools
) -> None:
    live_fleet, broker = wired
    context = live_fleet.context
    db, now = context.db(), context.now()
    specialist = store.create_specialist(db, AGENCY, {"name": "Ирина Волкова", "role": "юрист"},
                                         user_id=None, now=now)  # fmt: skip
    first = (datetime.fromtimestamp(now, UTC) + timedelta(days=2)).replace(microsecond=0)
    slots = store.create_slots(db, AGENCY, specialist.id, store.series_starts(first, 2),
                               duration_min=30, mode="video", place="", user_id=None,
                               now=now)  # fmt: skip
    complaint = store.file_complaint(db, AGENCY, RESIDENT, ground="refusal",
                                     text="Отказали в приёме документов", appointment_id=None,
                                     source="voice", user_id=None, robot_id=None,
                                     filed_at=now - 20 * 86400, now=now)  # fmt: skip

    _sign_in(browser, live_fleet)
    browser.open(f"{live_fleet.url}/residents/{RESIDENT}/appointments?lang=ru")
    assert "Записи на приём" in browser.evaluate("document.body.innerText")
    browser.evaluate(
        f"document.getElementById('slot_id').value = '{slots[1].id}';"
        "document.querySelector('#book-form button[type=submit]').click();"
    )
    wait_until(lambda: browser.evaluate("!!document.querySelector('[data-status=\"booked\"]')"),
               timeout=15, what="the booking on the page")  # fmt: skip
    row = browser.evaluate("document.querySelector('[data-status=\"booked\"]').innerText")
    assert "Ирина Волкова" in row and "записан" in row
    (appointment,) = store.list_appointments(db, AGENCY, RESIDENT)
    assert appointment.slot_id == slots[1].id
    reminders = get_schedule(db, AGENCY, RESIDENT).schedule.reminders
    assert [(r.id, r.kind) for r in reminders] == [(appointment.reminder_id, "appointment")]

    # The robot's retained copy shows the booking.
    probe = broker.probe()
    topic = config_topic(live_fleet.robot_id, "appointments")
    probe.subscribe(topic)
    message = probe.wait_for(topic)
    data = decode(DesiredConfig, message.payload).data
    assert message.retain and isinstance(data, dict)
    assert [s["slot_id"] for s in data["free_slots"]] == [str(slots[0].id)]
    assert [a["slot_id"] for a in data["appointments"]] == [str(slots[1].id)]

    browser.open(f"{live_fleet.url}/complaints?lang=ru")
    overdue = f'[data-complaint-id="{complaint}"]'
    assert browser.evaluate(f"document.querySelector('{overdue}').dataset.status") == "overdue"
    assert "срок ответа истёк" in browser.evaluate(f"document.querySelector('{overdue}').innerText")
    browser.evaluate(f"document.querySelector('{overdue} a').click()")
    browser.wait_for_page(f"/complaints/{complaint}")
    browser.evaluate(
        "document.getElementById('answer-text').value = 'Документы примут, извините.';"
        "document.getElementById('send-answer').click();"
    )
    wait_until(lambda: browser.evaluate("!!document.getElementById('complaint-answer')"),
               timeout=15, what="the answer on the page")  # fmt: skip
    assert "отвечена" in browser.evaluate("document.getElementById('complaint-status').innerText")
    found = store.get_complaint(db, AGENCY, complaint, context.now())
    assert (found.status, found.answer) == ("answered", "Документы примут, извините.")
    assert browser.problems() == []
