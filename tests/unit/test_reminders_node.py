"""The reminders node on a LocalRuntime: config and intents in; due, outcome, alert, speech out."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from homecare.clock import ManualClock
from homecare.errors import ConfigError
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from reminders.ics import schedule_to_ics
from reminders.model import Medicine, ReminderSchedule, ReminderSpec
from robot.local_launch import robot_runtime, start_nodes
from robot.runtime import EVENTS, LATCHED, LocalRuntime
from robot.runtime.local import LocalNode, LocalPublisher
from robot.runtime.stamps import header, to_datetime

NODE = {"reminders": "robot.nodes.reminders_node:RemindersNode"}
START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # 12:00 in Perm
SCHEDULE = ReminderSchedule(
    timezone="Asia/Yekaterinburg",
    medicines=[Medicine(name="enalapril", aliases=["blood pressure pill"], dose="one tablet")],
    reminders=[
        ReminderSpec(
            id="enalapril", kind="medication", title="Blood pressure", medicine="enalapril",
            dose="one tablet", start=datetime(2026, 1, 1, 12, 10), rrule="FREQ=DAILY",
        )
    ],
)  # fmt: skip


@dataclass
class Home:
    rt: LocalRuntime
    probe: LocalNode
    config: LocalPublisher
    intents: LocalPublisher
    said: list[Any] = field(default_factory=list)
    due: list[Any] = field(default_factory=list)
    outcomes: list[Any] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)

    @property
    def types(self) -> Any:
        return self.probe.types

    def send_config(self, data: str, version: int = 1, kind: str = "reminders") -> None:
        self.config.publish(
            self.types.ConfigUpdate(
                header=header(self.probe), kind=kind, version=version, json=data
            )
        )
        self.rt.run_until_idle()

    def intent(self, name: str, slots: dict[str, object] | None = None, lang: str = "en") -> None:
        self.intents.publish(
            self.types.Intent(
                header=header(self.probe), name=name, slots_json=json.dumps(slots or {}),
                text="", lang=lang, confidence=0.9,
            )
        )  # fmt: skip
        self.rt.run_until_idle()


def make_home(tmp_path: Path, **overrides: object) -> Home:
    parameters = {"store_path": str(tmp_path / "reminders.db"), **overrides}
    rt = robot_runtime(
        ManualClock(START), PACKAGED_ROBOT_PARAMETERS, "en", {"reminders": parameters}
    )
    start_nodes(rt, NODE)
    probe = rt.node("probe")
    types = probe.types
    home = Home(
        rt,
        probe,
        config=probe.publisher("/fleet/config", types.ConfigUpdate, LATCHED),
        intents=probe.publisher("/dialog/intent", types.Intent, EVENTS),
    )
    probe.subscribe("/speech/say", types.SayRequest, home.said.append, EVENTS)
    probe.subscribe("/reminders/due", types.ReminderDue, home.due.append, EVENTS)
    probe.subscribe("/reminders/outcome", types.ReminderOutcome, home.outcomes.append, EVENTS)
    probe.subscribe("/safety/alert", types.Alert, home.alerts.append, EVENTS)
    return home


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    made = make_home(tmp_path)
    made.send_config(SCHEDULE.model_dump_json())
    yield made
    assert made.rt.callback_errors == {}


def test_due_reminder_is_announced_then_acknowledged(home: Home) -> None:
    home.rt.run_for(9 * 60)
    assert home.due == []
    home.rt.run_for(62)
    [due] = home.due
    assert (due.reminder_id, due.kind, due.medicine, due.dose, due.attempt) == (
        "enalapril", "medication", "enalapril", "one tablet", 0,
    )  # fmt: skip
    assert to_datetime(due.due) == datetime(2026, 1, 5, 7, 10, tzinfo=UTC)
    [announcement] = home.said
    assert announcement.priority == home.types.SayRequest.PRIORITY_REMINDER
    assert announcement.text.startswith("It is time to take your medicine: enalapril, one tablet.")
    assert announcement.lang == "en"

    home.intent("reminder.ack", {"medicine": "blood pressure pill"})
    [outcome] = home.outcomes
    assert (outcome.outcome, outcome.occurrence_id, outcome.prompts, outcome.reason) == (
        "taken", due.occurrence_id, 1, "",
    )  # fmt: skip
    assert (outcome.kind, outcome.title, outcome.medicine) == (
        "medication",
        "Blood pressure",
        "enalapril",
    )
    assert home.said[-1].priority == home.types.SayRequest.PRIORITY_NORMAL
    home.rt.run_for(3600)
    assert len(home.due) == 1 and home.alerts == []


def test_unanswered_medication_raises_missed_medication(home: Home) -> None:
    home.rt.run_for(30 * 60)
    assert [due.attempt for due in home.due] == [0, 1, 2]
    [alert] = home.alerts
    assert (alert.kind, alert.severity) == ("missed_medication", "warning")
    details = json.loads(alert.details_json)
    assert details["reminder_id"] == "enalapril" and details["medicine"] == "enalapril"
    assert details["due"] == "2026-01-05T12:10:00+05:00"
    [outcome] = home.outcomes
    assert (outcome.outcome, outcome.prompts, outcome.reason) == ("missed", 3, "no_answer")


def test_snooze_list_and_create_are_answered_in_the_residents_language(home: Home) -> None:
    home.rt.run_for(10 * 60 + 2)
    home.intent("reminder.snooze", {"duration_s": "900"}, lang="ru")
    assert home.said[-1].text == "Хорошо, напомню через 15 минут."
    assert home.outcomes[-1].outcome == "snoozed" and home.outcomes[-1].reason == "snooze:900"
    home.intent("reminder.create", {"time": "18:30", "what": "call Anna"})
    assert (
        home.said[-1].text
        == "All right, I will remind you today at half past 6 in the evening: call Anna."
    )
    home.intent("reminder.list")
    assert home.said[-1].text.startswith(
        "Your reminders: today at half past 6 in the evening, call Anna"
    )
    home.intent("appointment.list")
    assert home.said[-1].text == "You have no appointments coming up."
    home.intent("reminder.create", {"time": "09:00", "what": "tea"})
    assert home.said[-1].text.startswith("That time has already passed")
    home.intent("reminder.create", {"time": "19:00", "medicine": "aspirin"})
    assert "aspirin" in home.said[-1].text and home.said[-1].text.startswith("I do not know")
    count = len(home.said)
    home.intent("time.now")  # not ours
    assert len(home.said) == count


def test_bad_config_is_logged_and_the_previous_schedule_kept(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    bad = SCHEDULE.model_dump(mode="json")
    bad["reminders"][0]["rrule"] = "FREQ=DAILY;BYDAY=XX"
    with caplog.at_level(logging.ERROR):
        home.send_config(json.dumps(bad), version=2)
        home.send_config("not json", version=3)
    messages = [record.getMessage() for record in caplog.records]
    assert any("reminders config rejected" in m and "invalid RRULE" in m for m in messages)
    assert sum("reminders config rejected" in m for m in messages) == 2
    home.rt.run_for(11 * 60)
    assert [due.reminder_id for due in home.due] == ["enalapril"]  # still the first schedule


def test_other_config_kinds_are_ignored_and_a_wipe_clears_everything(home: Home) -> None:
    home.send_config('{"items": []}', kind="benefits")
    home.intent("reminder.create", {"time": "18:30", "what": "call Anna"})
    home.send_config("{}", version=0)  # what fleet_link publishes on a wipe
    home.rt.run_for(12 * 3600)
    assert home.due == []


def test_schedule_file_for_a_robot_without_fleet(tmp_path: Path) -> None:
    ics = tmp_path / "schedule.ics"
    ics.write_text(schedule_to_ics(SCHEDULE), encoding="utf-8")
    home = make_home(tmp_path, schedule_file=str(ics))
    home.rt.run_for(11 * 60)
    assert [due.reminder_id for due in home.due] == ["enalapril"]
    assert home.rt.callback_errors == {}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("s.yaml", "timezone: Mars/Base\n", "unknown time zone 'Mars/Base'"),
        ("s.yaml", "reminders: [\n", "not valid YAML"),
        ("s.json", '{"reminders": [{"id": "x"}]}', "reminders.0.kind"),
        ("s.txt", "x", "unknown format '.txt'"),
        ("s.ics", "BEGIN:VCALENDAR\nnope", "not a valid iCalendar"),
    ],
)
def test_bad_schedule_file_stops_the_node_with_a_clear_error(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"reminders schedule_file {path}.*{expected}"):
        make_home(tmp_path, schedule_file=str(path))


def test_missing_schedule_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        make_home(tmp_path, schedule_file=str(tmp_path / "none.yaml"))


def test_a_restart_neither_repeats_nor_loses(tmp_path: Path) -> None:
    first = make_home(tmp_path)
    first.send_config(SCHEDULE.model_dump_json())
    first.rt.run_for(11 * 60)  # announced at 12:10
    assert len(first.due) == 1
    first.rt.stop()

    clock_now = first.rt.clock.now()
    parameters = {"store_path": str(tmp_path / "reminders.db")}
    rt = robot_runtime(
        ManualClock(clock_now), PACKAGED_ROBOT_PARAMETERS, "en", {"reminders": parameters}
    )
    start_nodes(rt, NODE)
    probe = rt.node("probe")
    types: Any = probe.types
    due: list[Any] = []
    probe.subscribe("/reminders/due", types.ReminderDue, due.append, EVENTS)
    config = probe.publisher("/fleet/config", types.ConfigUpdate, LATCHED)
    config.publish(
        types.ConfigUpdate(
            header=header(probe), kind="reminders", version=1, json=SCHEDULE.model_dump_json()
        )
    )
    rt.run_for(10 * 60)
    assert [item.attempt for item in due] == [1, 2]  # re-prompts carry on; no fresh announcement
