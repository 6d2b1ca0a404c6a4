"""Shared test set-up.

`HOMECARE_REQUIRE_ALL=1` (set by CI) turns a skip into a failure, so CI really
runs everything. The only skips still allowed are for parts that cannot exist
on the CI machine at all (rclpy and a ROS 2 installation); their reasons say so.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.fleet_api import Fleet, make_fleet
from tests.support import CANNOT_EXIST_HERE

REQUIRE_ALL = os.environ.get("HOMECARE_REQUIRE_ALL") == "1"


def _allowed(reason: str) -> bool:
    return any(marker in reason for marker in CANNOT_EXIST_HERE)


def _skip_reason(longrepr: object) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        reason = _skip_reason(report.longrepr)
        if not _allowed(reason):
            report.outcome = "failed"
            report.longrepr = f"HOMECARE_REQUIRE_ALL=1 forbids this skip: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None]:
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped:
        reason = _skip_reason(report.longrepr)
        if not _allowed(reason):
            report.outcome = "failed"
            report.longrepr = f"HOMECARE_REQUIRE_ALL=1 forbids this skip: {reason}"


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    """A fleet web app on a fresh database with agencies A and B (see tests/fleet_api.py)."""
    yield from make_fleet(tmp_path)


@pytest.fixture(autouse=True)
def _own_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test (and the commands it runs) keeps its data in a fresh folder, never in ~."""
    monkeypatch.setenv("HOMECARE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
