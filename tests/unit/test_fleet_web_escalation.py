"""Escalation on the dashboard: each incident card lists its deliveries, live."""

from __future__ import annotations

from fleet.escalation_runner import EscalationRunner
from fleet.notify.fake import FakeNotifier
from fleet.store import connect_database
from fleet.store.escalation import update_agency_escalation
from tests.fleet_api import Fleet
from tests.unit.test_fleet_web import add_robot, event_stream, raise_alert, sign_in

DUTY_URL = "https://duty.agency.example/hook"


def runner(fleet: Fleet) -> EscalationRunner:
    """A runner whose duty e-mail fails (no server) and webhook works (fakes)."""
    update_agency_escalation(
        fleet.context.db(), fleet.agency_a, duty_webhook_url=DUTY_URL,
        duty_email="duty@agency.example", rotate_secret=False, user_id=None,
        now=fleet.context.now(),
    )  # fmt: skip
    notifiers = {
        "webhook": FakeNotifier("webhook"),
        "email": FakeNotifier("email", failing_targets={"duty@agency.example"}),
    }
    return EscalationRunner(connect_database(fleet.context.db_path), fleet.clock, notifiers)


def test_the_card_lists_each_delivery_and_its_outcome(fleet: Fleet) -> None:
    robot = add_robot(fleet, fleet.agency_a, "HC-1")
    raise_alert(fleet, robot, "a-1")
    runner(fleet).run_once()
    sign_in(fleet, "operator@a.example")
    page = fleet.client.get("/incidents?lang=en").text
    assert 'class="delivery dl-sent"' in page and DUTY_URL in page
    assert 'class="delivery dl-failed"' in page and "is not answering" in page
    assert "duty operator" in page and "not delivered" in page


def test_the_stream_resends_a_card_when_a_delivery_is_recorded(fleet: Fleet) -> None:
    robot = add_robot(fleet, fleet.agency_a, "HC-1")
    escalation = runner(fleet)
    sign_in(fleet, "operator@a.example")
    with event_stream(fleet) as stream:
        assert stream.next_event("sync") == {"active": []}
        incident_id = raise_alert(fleet, robot, "a-1")
        first = stream.next_event("incident")
        assert first["new"] is True and "dl-sent" not in str(first["html"])
        escalation.run_once()
        again = stream.next_event("incident")
        assert (again["id"], again["new"]) == (incident_id, False)
        assert "dl-sent" in str(again["html"]) and DUTY_URL in str(again["html"])
