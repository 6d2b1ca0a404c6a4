from __future__ import annotations

from pathlib import Path

from robot.fleet_link.system_stats import read_system_stats


def _zone(root: Path, name: str, text: str) -> None:
    folder = root / "sys/class/thermal" / name
    folder.mkdir(parents=True)
    (folder / "temp").write_text(text)


def test_reads_the_hottest_plausible_zone_and_the_uptime(tmp_path: Path) -> None:
    _zone(tmp_path, "thermal_zone0", "41500\n")
    _zone(tmp_path, "thermal_zone1", "57000\n")
    _zone(tmp_path, "thermal_zone2", "999999\n")  # a broken sensor, not a fire
    _zone(tmp_path, "thermal_zone3", "n/a\n")
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/uptime").write_text("12345.67 2000.00\n")
    stats = read_system_stats(tmp_path)
    assert stats.cpu_temp_c == 57.0
    assert stats.uptime_s == 12345.67


def test_a_machine_without_sensors_reports_none(tmp_path: Path) -> None:
    stats = read_system_stats(tmp_path)
    assert stats.cpu_temp_c is None
    assert stats.uptime_s is None


def test_this_machine_has_an_uptime() -> None:
    assert (read_system_stats().uptime_s or 0) > 0
