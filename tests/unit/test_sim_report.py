from __future__ import annotations

import re
import struct
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from simulations.report import (
    ExpectationResult,
    ReportError,
    RunRecord,
    TimelineEntry,
    write_report,
)
from simulations.report_plots import TimeAxis, tick_step_minutes, tick_times

BERLIN = ZoneInfo("Europe/Berlin")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PLOTS = ("timeline", "battery", "detector")


def small_record(folder: Path) -> RunRecord:
    speech = folder / "speech"
    speech.mkdir(parents=True)
    wav = speech / "0001 reminder.wav"
    wav.write_bytes(b"RIFF")
    (folder / "bag").mkdir()
    (folder / "bag" / "bag.mcap").write_bytes(b"\x89MCAP0\r\n")
    return RunRecord(
        scenario="fall_kitchen_silent",
        home="two_room_flat",
        start=datetime(2026, 3, 2, 10, 0, tzinfo=BERLIN),
        timeline=[
            TimelineEntry(0.0, "sim", "scenario started"),
            TimelineEntry(30.0, "resident", "<script>alert('x')</script> & more"),
            TimelineEntry(900.0, "fall", "down (confidence 0.93)"),
            TimelineEntry(905.0, "robot", "Are you all right?"),
            TimelineEntry(950.0, "alert", "fall [critical]"),
            TimelineEntry(960.0, "custom-source", "an unknown source gets a row too"),
        ],
        battery=[(t, 80.0 - t / 600.0) for t in range(0, 1200, 60)],
        detector=[(890.0, "falling", 0.6), (900.0, "down", 0.93), (1100.0, "recovered", 0.8)],
        expectations=[
            ExpectationResult("incident within 45 s", True, "incident at 10:15:50"),
            ExpectationResult("robot asks if ok", False, "robot said nothing <b>bold</b>"),
        ],
        sim_seconds=1200.0,
        wall_seconds=12.0,
        speech_files=[wav],
        bag=folder / "bag",
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def assert_plots(folder: Path) -> None:
    for name in PLOTS:
        path = folder / "plots" / f"{name}.png"
        width, height = png_size(path)
        assert 600 <= width <= 2000 and 150 <= height <= 1500, (name, width, height)
        assert 5_000 < path.stat().st_size < 2_000_000, name


def test_report_shows_the_run_escapes_texts_and_writes_three_plots(tmp_path: Path) -> None:
    record = small_record(tmp_path)

    report = write_report(tmp_path, record)

    assert report == tmp_path / "report.html"
    html = report.read_text(encoding="utf-8")
    assert "fall_kitchen_silent" in html and "two_room_flat" in html
    assert "FAILED" in html and "100.0x" in html  # 1200 sim s in 12 wall s
    # Every expectation with its own status, in the scenario's order.
    rows = re.findall(r"<tr[^>]*><td>(.*?)</td><td[^>]*>(passed|FAILED)</td>", html)
    assert rows == [("incident within 45 s", "passed"), ("robot asks if ok", "FAILED")]
    assert '<tr class="fail"><td>robot asks if ok' in html
    # Texts from speech or details are escaped, never markup.
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    # Timeline: local clock time, one row per entry.
    assert '<td class="time">10:15:00</td><td>fall</td>' in html
    assert html.count('<td class="time">') == len(record.timeline)
    # Relative links the folder can be moved with.
    assert 'src="speech/0001%20reminder.wav"' in html and "<audio controls" in html
    assert 'href="bag"' in html and "homecare bag info bag" in html
    assert 'href="bag/bag.mcap"' in html
    for name in PLOTS:
        assert f'src="plots/{name}.png"' in html
    assert str(tmp_path) not in html
    assert_plots(tmp_path)


def test_an_empty_record_still_gives_a_report_that_did_not_pass(tmp_path: Path) -> None:
    record = RunRecord("empty", "one_room_flat", datetime(2026, 1, 1, 8, 0, tzinfo=BERLIN))

    html = write_report(tmp_path / "run", record).read_text(encoding="utf-8")

    assert "FAILED" in html and "No expectations" in html and "No events recorded" in html
    assert "Not recorded" in html and "No speech recorded" in html
    assert_plots(tmp_path / "run")


def test_passed_needs_at_least_one_expectation_and_all_of_them() -> None:
    start = datetime(2026, 1, 1, tzinfo=BERLIN)
    ok = ExpectationResult("a", True, "")
    bad = ExpectationResult("b", False, "")
    assert RunRecord("s", "h", start, expectations=[ok, ok]).passed
    assert not RunRecord("s", "h", start, expectations=[ok, bad]).passed
    assert not RunRecord("s", "h", start).passed


def test_a_passing_run_says_so(tmp_path: Path) -> None:
    record = RunRecord(
        "s",
        "h",
        datetime(2026, 1, 1, tzinfo=BERLIN),
        expectations=[ExpectationResult("a", True, "")],
    )
    html = write_report(tmp_path, record).read_text(encoding="utf-8")
    assert "PASSED" in html and "FAILED" not in html


def test_paths_relative_to_the_working_directory_link_relative_to_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runner globs WAVs under its folder, which may be given relative to the cwd.
    monkeypatch.chdir(tmp_path)
    folder = Path("runs/today")
    record = small_record(folder)
    record.speech_files = [folder / "speech" / "0001 reminder.wav"]
    html = write_report(folder, record).read_text(encoding="utf-8")
    assert 'src="speech/0001%20reminder.wav"' in html and 'href="bag"' in html


def test_a_day_long_run_has_hourly_ticks_and_dated_times_after_midnight(tmp_path: Path) -> None:
    start = datetime(2026, 3, 2, 7, 0, tzinfo=BERLIN)
    record = RunRecord(
        "day",
        "h",
        start,
        timeline=[TimelineEntry(t, "sim", f"tick {t}") for t in range(0, 24 * 3600, 600)],
        battery=[(t, 50.0) for t in range(0, 24 * 3600, 60)],
        sim_seconds=24 * 3600.0,
    )
    html = write_report(tmp_path, record).read_text(encoding="utf-8")
    assert '<td class="time">2026-03-03 06:50:00</td>' in html  # next day: the date says so
    assert '<td class="time">23:50:00</td>' in html
    assert_plots(tmp_path)


@pytest.mark.parametrize(
    ("span_s", "step_min"),
    [(120, 1), (600, 1), (3600, 10), (4 * 3600, 30), (24 * 3600, 180), (3 * 86400, 720)],
)
def test_tick_spacing_follows_the_span(span_s: float, step_min: int) -> None:
    assert tick_step_minutes(span_s) == step_min


def test_ticks_fall_on_round_local_clock_times() -> None:
    axis = TimeAxis(datetime(2026, 3, 2, 10, 7, 30, tzinfo=BERLIN), 0.0, 3600.0)
    labels = [f"{axis.local(t):%H:%M:%S}" for t in tick_times(axis)]
    assert labels == ["10:10:00", "10:20:00", "10:30:00", "10:40:00", "10:50:00", "11:00:00"]


def test_local_time_crosses_a_dst_change_as_the_clock_does() -> None:
    # Europe/Berlin springs forward at 02:00 on 2026-03-29: one hour after 01:30 is 03:30.
    axis = TimeAxis(datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN), 0.0, 7200.0)
    assert f"{axis.local(3600.0):%H:%M}" == "03:30"


def test_a_start_without_a_zone_is_refused(tmp_path: Path) -> None:
    record = RunRecord("naive", "h", datetime(2026, 1, 1, 8, 0))
    with pytest.raises(ReportError, match=r"naive.*zone"):
        write_report(tmp_path, record)


def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "run"
    blocker.write_text("a file where the run folder should be")
    record = RunRecord("s", "h", datetime(2026, 1, 1, tzinfo=BERLIN))
    with pytest.raises(ReportError, match="cannot write the report into"):
        write_report(blocker, record)


def test_reports_can_be_written_from_several_threads(tmp_path: Path) -> None:
    folders = [tmp_path / f"run{i}" for i in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        reports = list(pool.map(lambda f: write_report(f, small_record(f)), folders))
    assert [r.parent for r in reports] == folders
    for folder in folders:
        assert_plots(folder)
