"""A pill dispenser's compartment opened acknowledges the due medication reminder."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fleet.protocol import DevicesConfig, DeviceSpec
from homecare.clock import ManualClock
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from reminders.model import ReminderSchedule, ReminderSpec
from reminders.phrases import Phrase, phrase
from robot.local_launch import robot_runtime, start_nodes
from robot.runtime import CONFIG, EVENTS, LocalRuntime
from robot.runtime.local import LocalNode, LocalPublisher
from robot.runtime.stamps import header

NODE = {"reminders": "robot.nodes.reminders_node:RemindersNode"}
START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # 12:00 in Yekaterinburg
SCHEDULE = ReminderSchedule(
    timezone="Asia/Yekaterinburg",
    reminders=[
        ReminderSpec(
            id="enalapril", kind="medication", title="Blood pressure", medicine="enalapril",
            dose="one tablet", start=datetime(2026, 1, 1, 12, 10), rrule="FREQ=DAILY",
        ),
        ReminderSpec(
            id="metformin", kind="medication", title="Sugar", medicine="metformin",
            start=datetime(2026, 1, 1, 18, 0), rrule="FREQ=DAILY",
        ),
    ],
)  # fmt: skip
DEVICES = DevicesConfig(
    devices={
        "kitchen/pills": DeviceSpec(
            role="pill_dispenser", room="kitchen", compartments={"1": "enalapril", "2": "metformin"}
        )
    }
)


@dataclass
class Home:
    rt: LocalRuntime
    probe: LocalNode
    config: LocalPublisher
    events: LocalPublisher
    said: list[Any] = field(default_factory=list)
    due: list[Any] = field(default_factory=list)
    outcomes: list[Any] = field(default_factory=list)

    def send_config(self, kind: str, data: str, version: int = 1) -> None:
        types: Any = self.probe.types
        self.config.publish(
            types.ConfigUpdate(header=header(self.probe), kind=kind, version=version, json=data)
        )
        self.rt.run_until_idle()

    def open_compartment(
        self, compartment: object = 1, device: str = "kitchen/pills", data: str | None = None
    ) -> None:
        types: Any = self.probe.types
        text = json.dumps({"compartment": compartment}) if data is None else data
        self.events.publish(
            types.DeviceEvent(
                header=header(self.probe), device=device, role="pill_dispenser", kind="opened",
                json=text,
            )
        )  # fmt: skip
        self.rt.run_until_idle()


def make_home(tmp_path: Path, **overrides: object) -> Home:
    parameters = {"reminders": {"store_path": str(tmp_path / "reminders.db"), **overrides}}
    rt = robot_runtime(ManualClock(START), PACKAGED_ROBOT_PARAMETERS, "en", parameters)
    start_nodes(rt, NODE)
    probe = rt.node("probe")
    types: Any = probe.types
    made = Home(
        rt,
        probe,
        config=probe.publisher("/fleet/config", types.ConfigUpdate, CONFIG),
        events=probe.publisher("/devices/event", types.DeviceEvent, EVENTS),
    )
    probe.subscribe("/speech/say", types.SayRequest, made.said.append, EVENTS)
    probe.subscribe("/reminders/due", types.ReminderDue, made.due.append, EVENTS)
    probe.subscribe("/reminders/outcome", types.ReminderOutcome, made.outcomes.append, EVENTS)
    made.send_config("reminders", SCHEDULE.model_dump_json())
    return made


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    made = make_home(tmp_path)
    made.send_config("devices", DEVICES.model_dump_json())
    yield made
    assert made.rt.callback_errors == {}


def test_opening_the_due_compartment_acknowledges_it_like_i_took_it(home: Home) -> None:
    home.rt.run_for(10 * 60 + 2)
    [due] = home.due
    home.open_compartment(1)
    [outcome] = home.outcomes
    assert (outcome.outcome, outcome.occurrence_id, outcome.reason) == (
        "taken", due.occurrence_id, "pill_dispenser",
    )  # fmt: skip
    assert home.said[-1].text == phrase(Phrase.ACKNOWLEDGED, "en")
    home.rt.run_for(30 * 60)
    assert len(home.due) == 1  # no re-prompt: it is taken


def test_opening_with_nothing_due_is_only_logged(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="robot.reminders"):
        home.open_compartment(1)  # 12:00, the dose is at 12:10: a refill, not a dose
    assert home.outcomes == [] and home.said == []
    assert any("nothing due" in r.getMessage() for r in caplog.records)
    home.rt.run_for(10 * 60 + 2)
    assert [due.reminder_id for due in home.due] == ["enalapril"]  # still announced


def test_the_wrong_compartment_does_not_acknowledge_the_due_reminder(home: Home) -> None:
    home.rt.run_for(10 * 60 + 2)
    home.open_compartment(2)  # metformin's, due at 18:00
    assert home.outcomes == []


@pytest.mark.parametrize(
    ("compartment", "device", "data"),
    [
        (7, "kitchen/pills", None),  # no reminder in that compartment
        (1, "hall/other-pills", None),  # a dispenser not in the registry
        (None, "kitchen/pills", '{"compartment": true}'),
        (None, "kitchen/pills", "garbage"),
        (None, "kitchen/pills", "{}"),
    ],
)
def test_openings_that_name_no_reminder_are_logged(
    home: Home,
    compartment: object,
    device: str,
    data: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    home.rt.run_for(10 * 60 + 2)
    with caplog.at_level(logging.INFO, logger="robot.reminders"):
        home.open_compartment(compartment, device, data)
    assert home.outcomes == []
    assert any("pill dispenser" in r.getMessage() for r in caplog.records)


def test_a_compartment_number_as_text_works(home: Home) -> None:
    home.rt.run_for(10 * 60 + 2)
    home.open_compartment("1")
    assert [outcome.reason for outcome in home.outcomes] == ["pill_dispenser"]


def test_an_empty_devices_config_forgets_the_compartments(home: Home) -> None:
    home.send_config("devices", "{}", version=2)
    home.rt.run_for(10 * 60 + 2)
    home.open_compartment(1)
    assert home.outcomes == []


def test_a_bad_devices_config_keeps_the_previous_one(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="robot.reminders"):
        home.send_config("devices", '{"devices": {"pills": {"role": "pill_dispenser", "x": 1}}}', 2)
    assert any("devices config rejected" in r.getMessage() for r in caplog.records)
    home.rt.run_for(10 * 60 + 2)
    home.open_compartment(1)
    assert [outcome.outcome for outcome in home.outcomes] == ["taken"]


def test_without_a_fleet_the_devices_parameter_maps_the_compartments(tmp_path: Path) -> None:
    home = make_home(tmp_path, devices=DEVICES.model_dump_json())
    home.rt.run_for(10 * 60 + 2)
    home.open_compartment(1)
    assert [outcome.reason for outcome in home.outcomes] == ["pill_dispenser"]
