"""What a scenario sets up before it starts: the resident's reminders and their lines."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from simulations.resident_script import drop_endings
from simulations.scenario.loader import LoadedScenario


def reminder_schedule(loaded: LoadedScenario, day: date) -> dict[str, Any] | None:
    """The scenario's reminders as the `ReminderSchedule` the fleet takes, starting on `day`."""
    scenario = loaded.scenario
    if not scenario.reminders:
        return None
    medicines = sorted({r.medicine for r in scenario.reminders if r.medicine})
    return {
        "timezone": scenario.timezone,
        "medicines": [{"name": name} for name in medicines],
        "reminders": [
            {
                "id": r.id, "kind": r.kind, "title": r.title, "medicine": r.medicine,
                "dose": r.dose, "start": f"{day.isoformat()}T{_hhmmss(r.time)}", "rrule": r.rrule,
            }
            for r in scenario.reminders
        ],
    }  # fmt: skip


def resident_lines(loaded: LoadedScenario) -> list[dict[str, Any]]:
    """The `say` entries as the resident_speech node's `lines`, with the scenario's noise."""
    scenario = loaded.scenario
    rng = random.Random(scenario.seed)
    noise = scenario.speech_noise.drop_endings
    return [
        {
            "at_s": timed.offset_s,
            "text": drop_endings(timed.entry.say, noise, rng) if noise else timed.entry.say,
            "lang": timed.entry.lang or scenario.language,
        }
        for timed in loaded.timeline
        if timed.entry.say is not None
    ]


def _hhmmss(text: str) -> str:
    hours, minutes, *seconds = text.split(":")
    return f"{int(hours):02d}:{int(minutes):02d}:{int(seconds[0]) if seconds else 0:02d}"
