"""Start the robot's nodes on a `LocalRuntime`: the local twin of `home.launch.py`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from homecare.clock import Clock
from homecare.errors import ConfigError
from robot.nodes import ROBOT_NODES, node_factory
from robot.runtime.local import LocalRuntime
from robot.runtime.params import read_parameter_file


def robot_runtime(
    clock: Clock,
    parameters_file: Path,
    lang: str,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> LocalRuntime:
    """A runtime whose nodes read `parameters_file`, with `lang` for every node."""
    sections = read_parameter_file(parameters_file)
    sections.setdefault("**", {})["lang"] = lang
    for node_name, values in (overrides or {}).items():
        sections.setdefault(node_name, {}).update(values)
    return LocalRuntime(clock=clock, parameters=sections)


def start_nodes(runtime: LocalRuntime, nodes: Mapping[str, str] = ROBOT_NODES) -> None:
    """Create each node (name -> "module:Class") and warn about parameters no node declared."""
    for name, target in nodes.items():
        runtime.add_node(name, node_factory(target))
    for name, node in runtime.nodes.items():
        unknown = [p for p in node.params.undeclared() if p != "lang"]
        if unknown:
            raise ConfigError(
                f"node {name}: unknown parameter(s) {', '.join(unknown)} in the parameter file"
            )


def local_state_parameters(folder: Path, speech_dir: Path) -> dict[str, dict[str, Any]]:
    """Parameters that keep every node's state in `folder` and the robot's voice in WAV files.

    For runs that must not touch the robot's real data (the demo, scenario runs).
    """
    return {
        "tts": {
            "output": "wav",
            "wav_dir": str(speech_dir),
            "profile_path": str(folder / "voice_profile.json"),
        },
        "reminders": {"store_path": str(folder / "reminders.db")},
        "benefits": {"state_file": str(folder / "benefits.json")},
        "appointments": {"state_file": str(folder / "appointments.json")},
    }


def close_nodes(runtime: LocalRuntime) -> None:
    """Let nodes that hold processes, threads or connections release them (end of a run)."""
    for name, instance in runtime.instances.items():
        close = getattr(instance, "close", None)
        if callable(close):
            try:
                close()
            except Exception as error:  # one node's failure must not keep others open
                runtime.log.warning("node did not close cleanly", node=name, error=str(error))
