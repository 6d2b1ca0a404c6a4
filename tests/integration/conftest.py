"""Fixtures for tests against real MQTT brokers: mosquitto and the fleet's embedded broker.

Every test that uses the `broker` fixture runs once per broker kind. A test marked
`mosquitto_only("reason")` runs against mosquitto alone: the reason says what the
embedded broker (amqtt, in memory, for laptops) cannot do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker import BROKER_KINDS, AnyBroker, make_test_broker, mosquitto_readable_dir


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mosquitto_only(reason): the embedded broker cannot do what the test checks (why)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "broker" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("mosquitto_only")
        kinds = ["mosquitto"] if only else list(BROKER_KINDS)
        metafunc.parametrize("broker", kinds, indirect=True)


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> Iterator[AnyBroker]:
    """A broker that knows the service and robots r1, r2 (see tests/broker.py), not started:
    the test decides when."""
    with mosquitto_readable_dir() as folder:
        server = make_test_broker(request.param, folder)
        try:
            yield server
        finally:
            server.close_probes()
            server.stop()


# The development fall clips (CC BY-NC-SA) live beside the repository, never in it.
REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("HOMECARE_SHARED_DIR", REPO.parent / "shared"))
CLIPS = SHARED / "data" / "falls" / "urfd"


@pytest.fixture(scope="session")
def clips() -> Path:
    """The folder of development fall clips with labels.csv (skips where it is absent)."""
    if not (CLIPS / "labels.csv").is_file():
        pytest.skip(f"shared development data is not present (no {CLIPS})")
    return CLIPS
