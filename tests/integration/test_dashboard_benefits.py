"""Editing a benefits rule in headless Chromium, delivered through a real mosquitto: a social
worker opens a measure from the catalog, is refused a rule with an unknown fact (in plain
words, on the form), saves a valid one, and the robot's retained `cfg/benefits` at the broker
then carries the new rule with a higher version.

The app, the browser and the DevTools client are those of test_dashboard_browser.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from fleet.api.security import hash_password
from fleet.config_sync import ConfigPublisher
from fleet.mqtt_ingest import FleetIngest
from fleet.protocol import DesiredConfig, config_topic, decode
from fleet.store import connect_database
from fleet.store.accounts import create_user
from tests.broker import AnyBroker, make_test_broker, mosquitto_readable_dir
from tests.integration import test_dashboard_browser as dashboard
from tests.integration.test_dashboard_browser import DevTools, LiveFleet
from tests.support import wait_until

live_fleet = dashboard.live_fleet
browser = dashboard.browser

SOCIAL, PASSWORD = "social@a.example", "Correct-Horse-42"
NEW_RULE = {
    "all": [{"fact": "age", "op": "gte", "value": 70}, {"rule": "disabled_person_or_child"}]
}

pytestmark = pytest.mark.skipif(
    shutil.which("mosquitto") is None,
    reason="mosquitto is not installed (apt-get install mosquitto)",
)


@pytest.fixture
def wired(live_fleet: LiveFleet) -> Iterator[tuple[LiveFleet, AnyBroker, FleetIngest]]:
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
            yield live_fleet, broker, ingest
        finally:
            context.publish = context.mqtt_connected = None
            ingest.stop()
            broker.close_probes()
            broker.stop()


def _sign_in(browser: DevTools, live_fleet: LiveFleet) -> None:
    context = live_fleet.context
    create_user(context.db(), 1, email=SOCIAL, password_hash=hash_password(PASSWORD),
                full_name="Соня Соцработникова", role="social_worker",
                now=context.now())  # fmt: skip
    browser.open(f"{live_fleet.url}/login")
    browser.evaluate(
        f"document.getElementById('email').value = {json.dumps(SOCIAL)};"
        f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
        "document.querySelector('form[action=\"/login\"] button').click();"
    )
    browser.wait_for_page("/incidents")


def _submit_rule(browser: DevTools, rule: str) -> None:
    browser.evaluate(
        f"document.getElementById('rule').value = {json.dumps(rule)};"
        "document.querySelector('#measure-form button[type=submit]').click();"
    )


def _nsu_rule(config: DesiredConfig) -> object:
    assert isinstance(config.data, dict)
    measures = config.data["catalog"]["measures"]
    return next(m for m in measures if m["id"] == "ru.nsu")["eligibility"]


def test_an_editor_changes_a_rule_and_the_robots_retained_config_carries_it(
    wired: tuple[LiveFleet, AnyBroker, FleetIngest], browser: DevTools
) -> None:
    live_fleet, broker, ingest = wired
    context, robot = live_fleet.context, live_fleet.robot_id
    # The service's periodic sync: the rented robot gets the seed catalog first (version 1).
    publisher = ConfigPublisher(ingest.publish, ingest.is_connected,
                                connect_database(context.db_path), context.now)  # fmt: skip
    assert publisher.run() == 2  # the seed catalog, and the (empty) cfg/appointments

    _sign_in(browser, live_fleet)
    browser.open(f"{live_fleet.url}/benefits?lang=ru")
    assert "Льготы и услуги" in browser.evaluate("document.body.innerText")
    browser.evaluate("document.querySelector('[data-measure-id=\"ru.nsu\"] a').click()")
    browser.wait_for_page("/benefits/measures/ru.nsu")
    assert '"receives_edv"' in browser.evaluate("document.getElementById('rule').value")

    _submit_rule(browser, json.dumps({"all": [{"fact": "shoe_size", "op": "eq", "value": 42}]}))
    wait_until(lambda: browser.evaluate("!!document.getElementById('measure-errors')"),
               timeout=15, what="the refusal")  # fmt: skip
    refusal = browser.evaluate("document.getElementById('measure-errors').innerText")
    assert "Не сохранено" in refusal and "unknown fact 'shoe_size'" in refusal
    assert "measure ru.nsu: eligibility.all[0]" in refusal
    assert "shoe_size" in browser.evaluate("document.getElementById('rule').value")  # kept

    _submit_rule(browser, json.dumps(NEW_RULE, indent=2))
    browser.wait_for_page("/benefits/measures/ru.nsu?saved=2")
    assert "версия каталога 2" in browser.evaluate(
        "document.getElementById('measure-saved').innerText"
    )

    # The robot (here: a client of the service's login) finds the new rule retained.
    probe = broker.probe()
    assert probe.connected
    topic = config_topic(robot, "benefits")
    probe.subscribe(topic)
    message = probe.wait_for(topic)
    assert message.retain
    config = decode(DesiredConfig, message.payload)
    assert config.version == 2 and _nsu_rule(config) == NEW_RULE
    assert config.data["catalog"]["version"] == "2"  # type: ignore[call-overload]
    assert publisher.run() == 0  # the save already sent it
    # The refused form answers 422 on purpose; Chromium logs that as a failed load.
    refused_form = "status of 422"
    assert [p for p in browser.problems() if refused_form not in p] == []
