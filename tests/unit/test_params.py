from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from homecare.clock import ManualClock
from homecare.errors import ConfigError
from robot.runtime import LocalRuntime, load_params
from robot.runtime.params import parameters_for, read_parameter_file


class Example(BaseModel):
    threshold: float = Field(default=0.5, ge=0, le=1)
    names: list[str] = Field(default_factory=list)


def test_load_params_declares_defaults_and_reads_configured_values() -> None:
    rt = LocalRuntime(clock=ManualClock(), parameters={"n": {"threshold": 0.9}})
    node = rt.node("n")
    params = load_params(node, Example)
    assert params.threshold == 0.9
    assert params.names == []
    assert node.params.get("names") == []


def test_load_params_names_the_bad_parameter() -> None:
    rt = LocalRuntime(clock=ManualClock(), parameters={"n": {"threshold": 7}})
    with pytest.raises(ConfigError, match=r"node n: parameter threshold=7: .*less than or equal"):
        load_params(rt.node("n"), Example)


def test_parameter_file_sections(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "/**:\n  ros__parameters:\n    lang: en\n"
        "/battery_monitor:\n  ros__parameters:\n    low_pct: 25.0\n",
        encoding="utf-8",
    )
    sections = read_parameter_file(path)
    assert parameters_for("battery_monitor", sections) == {"lang": "en", "low_pct": 25.0}
    assert parameters_for("other", sections) == {"lang": "en"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1\n", "not valid YAML: line 2"),
        ("node:\n  low_pct: 3\n", "needs a 'ros__parameters' mapping"),
        ("- 1\n", "expected node sections"),
    ],
)
def test_bad_parameter_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        read_parameter_file(path)


def test_shipped_parameter_file_is_valid() -> None:
    from homecare.settings import PACKAGED_ROBOT_PARAMETERS

    assert "battery_monitor" in read_parameter_file(PACKAGED_ROBOT_PARAMETERS)
