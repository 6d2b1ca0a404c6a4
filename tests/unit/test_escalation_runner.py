"""The escalation runner: an unacknowledged incident climbs the chain; acknowledging stops it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from fleet.escalation_runner import STALE_S, EscalationRunner, escalation_task
from fleet.notify.fake import FakeNotifier
from fleet.protocol import AlertPayload
from fleet.store import connect_database, record_alert
from fleet.store.escalation import StoredStep, set_resident_steps, update_agency_escalation
from fleet.store.notifications import claim, notifications_of
from fleet.store.rentals import create_rental, hand_over
from fleet.store.residents import create_resident
from tests.fleet_api import Fleet
from tests.fleet_records import add_alert, add_robot
from tests.support import wait_until

DUTY_URL = "https://duty.agency.example/hook"
DAUGHTER = "daughter@family.example"
SON = "son@family.example"


@dataclass
class Setup:
    fleet: Fleet
    runner: EscalationRunner
    webhook: FakeNotifier
    email: FakeNotifier

    def now(self) -> float:
        return self.fleet.context.now()

    def sent(self) -> list[str]:
        return self.webhook.targets() + self.email.targets()


@pytest.fixture
def setup(fleet: Fleet) -> Iterator[Setup]:
    """Robot r-a1 with resident Анна (active rental), whose chain is duty, daughter, son."""
    db, now = fleet.context.db(), fleet.context.now()
    add_robot(db, fleet.agency_a, "r-a1")
    add_robot(db, fleet.agency_a, "r-a2")  # in stock: no resident
    update_agency_escalation(
        db, fleet.agency_a, duty_webhook_url=DUTY_URL, duty_email="duty@agency.example",
        rotate_secret=False, user_id=None, now=now,
    )  # fmt: skip
    resident = create_resident(db, fleet.agency_a, {"full_name": "Анна"}, user_id=None, now=now)
    rental = create_rental(
        db, fleet.agency_a, robot_id="r-a1", resident_id=resident, starts_on="2026-11-01",
        user_id=None, now=now,
    )  # fmt: skip
    hand_over(db, fleet.agency_a, rental, user_id=None, now=now)
    chain = [
        StoredStep("operator_on_duty", "webhook", "", 60),
        StoredStep("contact", "email", DAUGHTER, 300, "Мария"),
        StoredStep("contact", "email", SON, 300, "Иван"),
    ]
    set_resident_steps(db, fleet.agency_a, resident, chain, user_id=None, now=now)
    webhook, email = FakeNotifier("webhook"), FakeNotifier("email")
    runner_db = connect_database(fleet.context.db_path)
    runner = EscalationRunner(runner_db, fleet.clock, {"webhook": webhook, "email": email})
    yield Setup(fleet, runner, webhook, email)
    runner_db.conn.close()


def test_an_unacknowledged_incident_climbs_the_chain_and_stops_when_acknowledged(
    setup: Setup,
) -> None:
    fleet = setup.fleet
    incident = add_alert(fleet.context.db(), "r-a1", "al-1", raised_at=setup.now())
    setup.runner.run_once()
    assert setup.sent() == [DUTY_URL]  # step 1 at once
    fleet.clock.advance(59)
    setup.runner.run_once()
    assert setup.sent() == [DUTY_URL]
    fleet.clock.advance(1)
    setup.runner.run_once()
    assert setup.sent() == [DUTY_URL, DAUGHTER]  # step 2 after step 1's deadline
    message = setup.email.sent[0][1]
    assert (message.incident_id, message.step, message.resident_name) == (incident, 1, "Анна")
    headers = fleet.headers("caregiver@a.example")
    ack = fleet.client.post(f"/api/v1/incidents/{incident}/ack", headers=headers)
    assert ack.status_code == 200, ack.text
    fleet.clock.advance(3600)
    setup.runner.run_once()
    assert setup.sent() == [DUTY_URL, DAUGHTER]  # the son is never bothered
    headers = fleet.headers("caregiver@a.example")  # the first token has expired by now
    detail = fleet.client.get(f"/api/v1/incidents/{incident}", headers=headers).json()
    assert [(n["step"], n["channel"], n["target"], n["status"], n["attempts"])
            for n in detail["notifications"]] == [
        (0, "webhook", DUTY_URL, "sent", 1),
        (1, "email", DAUGHTER, "sent", 1),
    ]  # fmt: skip


def test_a_robot_without_an_active_rental_pages_the_duty_channels_only(setup: Setup) -> None:
    add_alert(setup.fleet.context.db(), "r-a2", "al-2", raised_at=setup.now())
    setup.runner.run_once()
    setup.fleet.clock.advance(3600)
    setup.runner.run_once()
    assert setup.sent() == [DUTY_URL, "duty@agency.example"]


def test_a_failed_delivery_is_recorded_and_not_repeated(setup: Setup) -> None:
    setup.webhook.failing_targets.add(DUTY_URL)
    incident = add_alert(setup.fleet.context.db(), "r-a1", "al-3", raised_at=setup.now())
    setup.runner.run_once()
    setup.runner.run_once()
    [delivery] = notifications_of(setup.fleet.context.db(), [incident])[incident]
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("failed", 1, None)
    assert "not answering" in delivery.last_error


def test_info_incidents_page_nobody(setup: Setup) -> None:
    db = setup.fleet.context.db()
    add_alert(db, "r-a1", "al-4", raised_at=setup.now(), severity="info", kind="low_battery")
    setup.runner.run_once()
    assert setup.sent() == []


def test_the_periodic_task_sends_without_anyone_calling_it(setup: Setup) -> None:
    fleet = setup.fleet
    add_alert(fleet.context.db(), "r-a1", "al-5", raised_at=setup.now())
    task = escalation_task(
        connect_database(fleet.context.db_path), fleet.clock, fleet.context.settings,
        notifiers={"webhook": setup.webhook, "email": setup.email}, poll_s=0.01,
    )  # fmt: skip
    task.start()
    try:
        wait_until(lambda: setup.webhook.targets() == [DUTY_URL], what="the duty webhook")
        fleet.clock.advance(60)
        wait_until(lambda: setup.email.targets() == [DAUGHTER], what="the daughter's e-mail")
    finally:
        task.stop()


def test_a_robot_clock_running_ahead_does_not_hold_step_one_back(setup: Setup) -> None:
    now = setup.now()
    alert = AlertPayload(alert_id="al-6", kind="fall", severity="critical", ts=now + 600)
    record_alert(setup.fleet.context.db(), "r-a1", alert, now)
    setup.runner.run_once()
    assert setup.sent() == [DUTY_URL]


def test_a_delivery_cut_off_mid_way_is_sent_again_later(setup: Setup) -> None:
    db = setup.fleet.context.db()
    incident = add_alert(db, "r-a1", "al-7", raised_at=setup.now())
    # A worker claimed step 1 and died before sending it.
    claim(db, incident, step=0, who="operator_on_duty", channel="webhook", target=DUTY_URL,
          now=setup.now())  # fmt: skip
    setup.runner.run_once()
    assert setup.webhook.targets() == []  # it may still be sending: not taken over yet
    setup.fleet.clock.advance(STALE_S + 1)
    setup.runner.run_once()
    assert setup.webhook.targets() == [DUTY_URL]
    [first, *_] = notifications_of(db, [incident])[incident]
    assert (first.step, first.status, first.attempts) == (0, "sent", 1)
