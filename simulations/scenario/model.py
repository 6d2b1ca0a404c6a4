"""A scenario file (`simulations/scenarios/*.yaml`): who, where, what happens, what must follow.

```yaml
description: A fall in the kitchen; the resident does not answer.
home: two_room_flat
start: "10:00"
duration: 5m
resident: {room: kitchen}
timeline:
  - {at: "10:01", action: fall, direction: forward}
expect:
  - {name: the fleet has a critical fall incident, incident: fall, severity: critical,
     after: "10:01", within: 45s}
```

The schema lives here; what needs the home or the world to check (rooms,
furniture, the resident's posture) is in `loader.py`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fleet.protocol import DeviceSpec
from reminders.model import REMINDER_ID_PATTERN, Outcome, ReminderKind

FallPhase = Literal["falling", "down", "recovered"]
Severity = Literal["info", "warning", "critical"]
DeviceProblem = Literal["offline", "battery_low", "garbage", "flooding"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Open(BaseModel):
    """Unknown keys are kept so the loader can name them with the keys it knows."""

    model_config = ConfigDict(extra="allow", frozen=True)


class ResidentSetup(_Strict):
    room: str | None = None  # where the resident is at the start (default: the first camera's room)


class RobotSetup(_Strict):
    battery: float = Field(default=80.0, ge=0, le=100)  # percent at the start


class CameraSetup(_Strict):
    """The robot's camera in the simulated home."""

    width: int = Field(default=320, ge=32, le=1920)
    height: int = Field(default=240, ge=24, le=1080)
    fps: float = Field(default=15.0, gt=0, le=60)  # frames per simulated second while busy


class SpeechNoise(_Strict):
    """How the recogniser garbles the resident's lines (seeded, so runs repeat)."""

    drop_endings: float = Field(default=0.0, ge=0, le=1)  # share of words losing their ending


class ScenarioReminder(_Strict):
    """A reminder of the resident's schedule, set through the fleet; daily unless `rrule` says."""

    id: str = Field(pattern=REMINDER_ID_PATTERN)
    time: str  # local "HH:MM" of the first occurrence on the scenario's first day
    kind: ReminderKind = "medication"
    title: str = Field(min_length=1, max_length=200)
    medicine: str = ""
    dose: str = ""
    rrule: str = "FREQ=DAILY"


class TimelineEntry(_Open):
    """One thing the world does at `at`: exactly one of `action`, `say`, `uplink`, `device`.

    `device` names one of the scenario's `devices`, which reports `state` (its
    Zigbee2MQTT JSON, e.g. `{contact: false}`), goes `availability: offline`, or
    sends `raw` text (garbage); `repeat` sends it that many times at once (a flood).
    """

    at: str
    action: str | None = None
    room: str | None = None
    furniture: str | None = None
    direction: str | None = None
    say: str | None = None
    lang: str | None = None
    uplink: Literal["down", "up"] | None = None
    device: str | None = None
    state: dict[str, Any] | None = None
    availability: Literal["online", "offline"] | None = None
    raw: str | None = None
    repeat: int | None = Field(default=None, ge=1, le=5000)


class Expectation(_Open):
    """One outcome to check; exactly one kind key (see `EXPECTATION_KINDS`)."""

    name: str | None = None
    after: str | None = None  # a time as in the timeline; default: the start
    within: str | float | None = None  # a duration after `after`; default: until the end
    incident: str | None = None
    no_incident: str | None = None
    severity: Severity | None = None
    count: int | None = Field(default=None, ge=0)
    reminder: str | None = None
    outcome: Outcome | None = None
    robot_says: str | None = None
    fall_event: FallPhase | None = None
    no_fall_event: bool | None = None
    device_set: str | None = None
    set_state: Literal["ON", "OFF"] | None = None
    device_problem: str | None = None
    problem: DeviceProblem | None = None


# Each kind key, with the extra keys it takes and what it checks.
EXPECTATION_KINDS: dict[str, tuple[frozenset[str], str]] = {
    "incident": (frozenset({"severity", "count"}), "the fleet has an incident of this kind"),
    "no_incident": (frozenset(), "the fleet has no incident of this kind ('any': none at all)"),
    "reminder": (frozenset({"outcome"}), "the fleet has this outcome of the reminder"),
    "robot_says": (frozenset(), "the robot said something containing this text"),
    "fall_event": (frozenset(), "the fall detector reported this phase"),
    "no_fall_event": (frozenset(), "the fall detector reported nothing"),
    "device_set": (
        frozenset({"set_state"}),
        "the robot switched this device (set_state: ON or OFF)",
    ),
    "device_problem": (
        frozenset({"problem"}),
        "the robot reported this device's problem to the fleet (offline, battery_low, garbage, "
        "flooding)",
    ),
}
COMMON_EXPECTATION_KEYS = frozenset({"name", "after", "within"})


class Scenario(_Strict):
    description: str = ""
    home: str
    language: Literal["ru", "en"] = "ru"
    timezone: str = "Asia/Yekaterinburg"
    date: dt.date | None = None  # default: today in the home's zone
    start: str = "08:00"
    duration: str | float
    seed: int = 0
    resident: ResidentSetup = ResidentSetup()
    robot: RobotSetup = RobotSetup()
    camera: CameraSetup = CameraSetup()
    speech_noise: SpeechNoise = SpeechNoise()
    reminders: list[ScenarioReminder] = []
    # The home's Zigbee devices (Zigbee2MQTT friendly name -> role, room, ...), registered
    # in the fleet for the resident, so the robot gets them as cfg/devices.
    devices: dict[str, DeviceSpec] = {}
    notify_caregiver_on_night_door: bool = False
    timeline: list[TimelineEntry] = []
    expect: list[Expectation] = Field(min_length=1)
