"""Fixtures for tests against a real mosquitto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker import Mosquitto


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A mosquitto on a free port, configured but not started: the test decides when."""
    server = Mosquitto(tmp_path)
    yield server
    server.stop()
