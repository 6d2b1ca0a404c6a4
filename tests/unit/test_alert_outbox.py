"""The durable alert outbox on a real SQLite file, with time moved by the test."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from fleet.protocol import AlertPayload
from homecare.clock import ManualClock
from homecare.errors import HomecareError
from robot.fleet_link.outbox import AlertOutbox, Backoff

TS = 1_767_600_000.0


def alert(alert_id: str, kind: str = "fall") -> AlertPayload:
    return AlertPayload(alert_id=alert_id, kind=kind, severity="critical", ts=TS)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def test_alert_is_due_at_once_then_backs_off_until_acknowledged(
    tmp_path: Path, clock: ManualClock
) -> None:
    outbox = AlertOutbox(tmp_path / "outbox.db", clock, Backoff(initial_s=1, factor=2, max_s=4))
    assert outbox.add(alert("a1"))
    assert [a.alert_id for a in outbox.due()] == ["a1"]

    delays = []
    for _ in range(4):
        outbox.mark_sent("a1")
        waited = 0.0
        while not outbox.due():
            clock.advance(0.5)
            waited += 0.5
        delays.append(waited)
    assert delays == [1.0, 2.0, 4.0, 4.0]

    assert outbox.acknowledge("a1", "incident-7")
    assert outbox.due() == []
    assert not outbox.acknowledge("a1", "incident-7")  # a duplicate ack changes nothing
    assert outbox.stats().pending == 0 and outbox.stats().acknowledged == 1


def test_the_same_alert_is_stored_once(tmp_path: Path, clock: ManualClock) -> None:
    outbox = AlertOutbox(tmp_path / "outbox.db", clock)
    assert outbox.add(alert("a1"))
    assert not outbox.add(alert("a1", kind="sos"))
    assert [a.kind for a in outbox.due()] == ["fall"]


def test_pending_alerts_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "outbox.db"
    first = AlertOutbox(path, clock)
    first.add(alert("a1"))
    first.add(alert("a2"))
    first.acknowledge("a1", "i1")
    first.close()

    again = AlertOutbox(path, clock)
    assert [a.alert_id for a in again.due()] == ["a2"]


def _add_and_die(path: str) -> None:
    outbox = AlertOutbox(Path(path), ManualClock())
    outbox.add(alert("committed-before-crash"))
    os._exit(0)  # no close, no cleanup: like SIGKILL right after add() returned


def test_an_added_alert_is_on_disk_when_add_returns(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    process = multiprocessing.get_context("spawn").Process(target=_add_and_die, args=(str(path),))
    process.start()
    process.join(timeout=60)
    assert process.exitcode == 0
    assert [a.alert_id for a in AlertOutbox(path, ManualClock()).due()] == [
        "committed-before-crash"
    ]


def test_resend_all_now_skips_the_backoff(tmp_path: Path, clock: ManualClock) -> None:
    outbox = AlertOutbox(tmp_path / "outbox.db", clock, Backoff(initial_s=30))
    outbox.add(alert("a1"))
    outbox.mark_sent("a1")
    assert outbox.due() == []
    outbox.resend_all_now()
    assert [a.alert_id for a in outbox.due()] == ["a1"]


def test_stats_report_the_oldest_pending_age(tmp_path: Path, clock: ManualClock) -> None:
    outbox = AlertOutbox(tmp_path / "outbox.db", clock)
    assert outbox.stats().oldest_pending_age_s is None
    outbox.add(alert("a1"))
    clock.advance(42)
    assert outbox.stats().oldest_pending_age_s == pytest.approx(42)


def test_a_corrupt_database_file_is_a_clear_error(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "outbox.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HomecareError, match="cannot open the database"):
        AlertOutbox(path, clock)


def test_forgetting_delivered_alerts_keeps_the_pending_ones(
    tmp_path: Path, clock: ManualClock
) -> None:
    outbox = AlertOutbox(tmp_path / "outbox.db", clock)
    for alert_id in ("a1", "a2", "a3"):
        outbox.add(alert(alert_id))
    outbox.acknowledge("a1", "inc-1")
    outbox.acknowledge("a2", "inc-2")
    assert outbox.forget_acknowledged() == 2
    assert (outbox.stats().pending, outbox.stats().acknowledged) == (1, 0)
    assert [alert.alert_id for alert in outbox.due()] == ["a3"]
