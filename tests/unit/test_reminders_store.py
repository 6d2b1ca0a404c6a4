"""The reminder store's contract, held by the SQLite store (real files) and the in-memory one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reminders.model import Outcome, ReminderOutcomeEvent, ReminderSpec
from reminders.recurrence import Occurrence, occurrence_id
from reminders.store import (
    AlertRecord,
    MemoryReminderStore,
    OpenOccurrence,
    OutcomeRecord,
    ReminderStore,
    ReminderStoreError,
    SqliteReminderStore,
)

PERM = ZoneInfo("Asia/Yekaterinburg")
PILLS = ReminderSpec(
    id="pills", kind="medication", title="Pills", medicine="enalapril", dose="one tablet",
    start=datetime(2026, 1, 1, 8), rrule="FREQ=DAILY",
)  # fmt: skip
DUE = datetime(2026, 1, 5, 8, tzinfo=PERM)
OCCURRENCE = Occurrence(PILLS, DUE, occurrence_id("pills", DUE))


def outcome(outcome: Outcome = "taken", alert: AlertRecord | None = None) -> OutcomeRecord:
    event = ReminderOutcomeEvent(
        ts=DUE.timestamp() + 60, event_id=f"{OCCURRENCE.occurrence_id}:{outcome}",
        reminder_id="pills", occurrence_id=OCCURRENCE.occurrence_id, kind="medication",
        title="Pills", medicine="enalapril", outcome=outcome, due=DUE, prompts=2,
    )  # fmt: skip
    return OutcomeRecord(event, alert)


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReminderStore]:
    made: ReminderStore = (
        SqliteReminderStore(tmp_path / "reminders.db")
        if request.param == "sqlite"
        else MemoryReminderStore()
    )
    yield made
    made.close()


def test_last_tick_is_kept(store: ReminderStore) -> None:
    assert store.last_tick() is None
    store.set_last_tick(DUE)
    assert store.last_tick() == DUE and store.last_tick().tzinfo is not None  # type: ignore[union-attr]


def test_open_occurrences_are_saved_and_changed_only_by_saving(store: ReminderStore) -> None:
    state = OpenOccurrence(OCCURRENCE, prompts=1, next_at=DUE.timestamp() + 300)
    store.save_open(state)
    state.prompts = 5  # not saved: the store must not share the object
    [loaded] = store.open_occurrences()
    assert loaded.prompts == 1 and loaded.occurrence == OCCURRENCE
    assert loaded.occurrence.due.tzinfo == PERM  # back in its zone (quiet hours, spoken times)
    loaded.prompts = 2
    store.save_open(loaded)
    assert store.open_occurrences()[0].prompts == 2
    assert store.is_handled(OCCURRENCE.occurrence_id)
    store.drop_open(OCCURRENCE.occurrence_id)
    assert store.open_occurrences() == [] and not store.is_handled(OCCURRENCE.occurrence_id)


def test_a_final_outcome_closes_the_occurrence_once(store: ReminderStore) -> None:
    store.save_open(OpenOccurrence(OCCURRENCE, prompts=2, next_at=0.0))
    assert store.record_outcome(outcome("snoozed"), closes=False)
    assert len(store.open_occurrences()) == 1
    assert store.record_outcome(outcome("taken"), closes=True)
    assert not store.record_outcome(outcome("taken"), closes=True)  # the same event twice
    assert store.open_occurrences() == []
    assert store.is_handled(OCCURRENCE.occurrence_id)


def test_only_snoozed_does_not_make_an_occurrence_handled(store: ReminderStore) -> None:
    store.record_outcome(outcome("snoozed"), closes=False)
    assert not store.is_handled(OCCURRENCE.occurrence_id)


def test_unsent_outcomes_keep_their_alert_until_marked_sent(store: ReminderStore) -> None:
    alert = AlertRecord("a-1", "missed_medication", "warning", {"medicine": "enalapril"})
    store.record_outcome(outcome("missed", alert), closes=True)
    store.record_outcome(outcome("snoozed"), closes=False)
    unsent = store.unsent_outcomes()
    assert [record.event.outcome for record in unsent] == ["missed", "snoozed"]
    assert unsent[0].alert == alert and unsent[0].event == outcome("missed").event
    store.mark_sent(unsent[0].event.event_id)
    assert [record.event.outcome for record in store.unsent_outcomes()] == ["snoozed"]


def test_voice_reminders_and_forgetting_the_resident(store: ReminderStore) -> None:
    voice = ReminderSpec(
        id="voice-1", kind="custom", title="call Anna", start=datetime(2026, 1, 5, 17)
    )
    store.add_voice_reminder(voice)
    store.save_open(OpenOccurrence(OCCURRENCE, prompts=1, next_at=0.0))
    store.record_outcome(outcome("missed"), closes=False)
    assert store.voice_reminders() == [voice]
    store.forget_resident()
    assert store.voice_reminders() == [] and store.open_occurrences() == []
    assert store.unsent_outcomes() == [] and not store.is_handled(OCCURRENCE.occurrence_id)


def test_sqlite_store_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "data" / "reminders.db"
    first = SqliteReminderStore(path)
    first.set_last_tick(DUE)
    first.save_open(OpenOccurrence(OCCURRENCE, prompts=2, next_at=123.0, snoozes=1, late=True))
    first.record_outcome(outcome("snoozed"), closes=False)
    first.close()

    second = SqliteReminderStore(path)
    assert second.last_tick() == DUE.astimezone(UTC)
    [state] = second.open_occurrences()
    assert (state.prompts, state.next_at, state.snoozes, state.late) == (2, 123.0, 1, True)
    assert [record.event.outcome for record in second.unsent_outcomes()] == ["snoozed"]
    second.close()


@pytest.mark.parametrize(
    "make_bad_path",
    [
        lambda tmp: tmp / "not-a-db.db",
        lambda tmp: tmp / "a-file" / "reminders.db",
    ],
)
def test_unusable_store_file_is_a_clear_error(
    tmp_path: Path, make_bad_path: Callable[[Path], Path]
) -> None:
    (tmp_path / "not-a-db.db").write_bytes(b"this is not SQLite" * 100)
    (tmp_path / "a-file").write_text("x")
    path = make_bad_path(tmp_path)
    with pytest.raises(ReminderStoreError, match=f"reminder store {path}"):
        SqliteReminderStore(path)
