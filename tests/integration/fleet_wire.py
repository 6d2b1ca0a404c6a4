"""Fixtures for tests of configuration and events across a real broker.

`robot` registers a robot through the fleet's API; `broker` then starts a broker
(mosquitto or embedded, by the test's parameter) that knows the fleet database's
robots. Import both into a test module: `from tests.integration.fleet_wire import
broker, robot`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.broker import AnyBroker, make_test_broker, mosquitto_readable_dir
from tests.fleet_api import Fleet
from tests.integration.test_fleet_ingest import Login
from tests.unit.test_fleet_api_reminders import auth


@pytest.fixture
def robot(fleet: Fleet) -> Login:
    response = fleet.client.post(
        "/api/v1/robots",
        json={"serial": "HC2-0001", "model": "HomeCare 2"},
        headers=auth(fleet, "admin@a.example"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Login(body["mqtt_username"], body["mqtt_password"], body["id"])


@pytest.fixture
def broker(request: pytest.FixtureRequest, fleet: Fleet, robot: Login) -> Iterator[AnyBroker]:
    """A broker that knows the fleet database's robots (made after `robot`)."""
    with mosquitto_readable_dir() as folder:
        server = make_test_broker(request.param, folder, fleet.context.db_path)
        try:
            yield server
        finally:
            server.close_probes()
            server.stop()
