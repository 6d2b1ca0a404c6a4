"""The home's devices end to end on a real mosquitto as the home broker.

Each scenario with devices runs through `homecare sim run --home-broker`: the
simulated Zigbee2MQTT bridge is a real paho client publishing Zigbee2MQTT
payloads on mosquitto, the robot's device link reads them there, and the
behaviours, the guardian, the reminders and the fleet do the rest (the fleet's
incidents, reminder outcomes and device health are checked by each scenario's
expectations). `test_sim_scenarios.py` runs the same files on the embedded broker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulations.scenario.loader import load_scenario, resolve_scenario, shipped_scenarios
from tests.broker import Mosquitto, mosquitto_readable_dir
from tests.integration.test_sim_scenarios import run_json, sim

# The demo's mornings have devices too, but test nothing of theirs beyond what
# test_sim_scenarios.py already runs.
DEVICE_SCENARIOS = [
    name
    for name in shipped_scenarios()
    if load_scenario(resolve_scenario(name)).scenario.devices and not name.startswith("demo")
]


@pytest.fixture(scope="module")
def mosquitto() -> Iterator[Mosquitto]:
    with mosquitto_readable_dir() as folder:
        broker = Mosquitto(folder)
        broker.start()
        try:
            yield broker
        finally:
            broker.stop()


def test_the_issue_s_device_scenarios_are_shipped() -> None:
    assert {
        "sos_button", "night_bed_exit", "night_door", "pill_dispenser", "inactivity_day",
        "device_trouble",
    } <= set(DEVICE_SCENARIOS)  # fmt: skip


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", DEVICE_SCENARIOS)
def test_each_device_scenario_passes_on_mosquitto(
    name: str, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    result = sim(
        "run", name, "--headless", "--json", "--out", str(tmp_path / "run"),
        "--home-broker", f"mqtt://127.0.0.1:{mosquitto.port}",
    )  # fmt: skip
    answer = run_json(result)
    failed = [e for e in answer["expectations"] if not e["passed"]]
    assert result.returncode == 0 and answer["passed"], failed
    assert not answer["callback_errors"]
