from __future__ import annotations

from pathlib import Path

import pytest

from homecare.errors import ConfigError
from homecare.settings import Settings, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "homecare.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_work_with_nothing_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOMECARE_CONFIG", raising=False)
    settings = load_settings()
    assert settings.robot.language == "ru"
    assert settings.robot.parameters_file.exists()
    assert "~" not in str(settings.data_dir)


def test_file_then_environment_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "log_level: DEBUG\nrobot:\n  id: r-1\n  language: en\n")
    assert load_settings(path).robot.language == "en"
    monkeypatch.setenv("HOMECARE_ROBOT__LANGUAGE", "ru")
    settings = load_settings(path)
    assert settings.robot.language == "ru"
    assert settings.robot.id == "r-1"  # the rest of the file's section survives
    assert settings.log_level == "DEBUG"


def test_config_file_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMECARE_CONFIG", str(write(tmp_path, "robot:\n  id: abc\n")))
    assert load_settings().robot.id == "abc"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("robot:\n  language: [ru\n", "not valid YAML at line 3"),
        ("- a\n- b\n", "expected a mapping"),
        ("robot:\n  langauge: ru\n", "setting robot.langauge in .*Extra inputs"),
        ("log_level: LOUD\n", "setting log_level in"),
    ],
)
def test_bad_files_name_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, text))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml does not exist"):
        load_settings(tmp_path / "nowhere.yaml")


def test_required_setting_says_how_to_set_it() -> None:
    with pytest.raises(ConfigError, match=r"robot\.id is missing.*HOMECARE_ROBOT__ID"):
        Settings().require("robot.id")
    assert Settings(robot={"id": "r"}).require("robot.id") == "r"
