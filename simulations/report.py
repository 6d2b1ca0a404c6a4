"""The scenario run's report: one self-contained HTML page with PNG plots.

The runner fills a `RunRecord` while the scenario plays and calls
`write_report(folder, record)`; the page is for a developer after a failing CI
run or a product person after a demo. Every text is escaped: most of it comes
from speech (the resident's lines, what the robot said).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from urllib.parse import quote

from homecare.errors import HomecareError

PLOTS = ("timeline", "battery", "detector")


class ReportError(HomecareError):
    """The report could not be written (folder missing or not writable, disk full)."""


@dataclass(frozen=True)
class TimelineEntry:
    t_s: float  # simulated seconds since the scenario's start
    # "resident", "robot" (what it said), "fall", "alert", "reminder", "fleet", "battery", "sim"
    source: str
    text: str


@dataclass(frozen=True)
class ExpectationResult:
    name: str
    passed: bool
    detail: str


@dataclass
class RunRecord:
    scenario: str
    home: str
    start: datetime  # aware; the scenario's start in the home's time zone
    timeline: list[TimelineEntry] = field(default_factory=list)
    battery: list[tuple[float, float]] = field(default_factory=list)  # (t_s, percent 0..100)
    detector: list[tuple[float, str, float]] = field(default_factory=list)  # (t_s, phase, 0..1)
    expectations: list[ExpectationResult] = field(default_factory=list)
    sim_seconds: float = 0.0
    wall_seconds: float = 0.0
    speech_files: list[Path] = field(default_factory=list)  # WAVs inside the run folder
    bag: Path | None = None  # the MCAP recording folder inside the run folder

    @property
    def passed(self) -> bool:
        # A scenario that checks nothing proves nothing: it does not pass.
        return bool(self.expectations) and all(e.passed for e in self.expectations)


def write_report(folder: Path, record: RunRecord) -> Path:
    """Write folder/report.html and its plots (folder/plots/timeline.png, battery.png,
    detector.png); return the report's path."""
    if record.start.tzinfo is None:
        raise ReportError(f"report for {record.scenario!r}: the start time must carry a zone")
    # Imported here: the runner's hot paths use the record types; matplotlib is slow to load.
    from simulations.report_plots import plot_battery, plot_detector, plot_timeline, time_axis

    try:
        plots = folder / "plots"
        plots.mkdir(parents=True, exist_ok=True)
        times = [e.t_s for e in record.timeline]
        times += [t for t, _ in record.battery] + [t for t, _, _ in record.detector]
        axis = time_axis(record.start, times, record.sim_seconds)
        plot_timeline(plots / "timeline.png", axis, [(e.t_s, e.source) for e in record.timeline])
        plot_battery(plots / "battery.png", axis, record.battery)
        plot_detector(plots / "detector.png", axis, record.detector)
        report = folder / "report.html"
        report.write_text(render_html(folder, record), encoding="utf-8")
    except OSError as error:
        raise ReportError(f"cannot write the report into {folder}: {error}") from error
    return report


def local_time(start: datetime, t_s: float) -> datetime:
    """The home's clock time `t_s` simulated seconds after `start` (through UTC: DST-safe)."""
    return (start.astimezone(UTC) + timedelta(seconds=t_s)).astimezone(start.tzinfo)


def _clock(start: datetime, t_s: float) -> str:
    if not math.isfinite(t_s):
        return "?"
    moment = local_time(start, t_s)
    # Runs past midnight: say which day, the time alone would read as earlier.
    day = "" if moment.date() == start.date() else f"{moment:%Y-%m-%d} "
    return f"{day}{moment:%H:%M:%S}"


def _href(folder: Path, target: Path) -> str:
    """A relative link from the report to a file of the run (so the folder can be moved)."""
    return escape(quote(_relative(folder, target)))


def _relative(folder: Path, target: Path) -> str:
    # relpath works for both absolute and cwd-relative paths (the runner's globs give either).
    return Path(os.path.relpath(target, folder)).as_posix()


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if math.isfinite(value) else "?"


def _speed_up(record: RunRecord) -> str:
    if record.wall_seconds > 0 and math.isfinite(record.sim_seconds / record.wall_seconds):
        return f"{record.sim_seconds / record.wall_seconds:.1f}x"
    return "n/a"


CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2em; }
.verdict { display: inline-block; padding: 0.2em 0.7em; border-radius: 4px; color: #fff;
  font-weight: bold; font-size: 1.4em; }
.passed .verdict, .verdict.passed { background: #1a7f37; }
.failed .verdict, .verdict.failed { background: #c62828; }
.meta { color: #555; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
tr.fail td { background: #fdecea; }
td.status-fail { color: #c62828; font-weight: bold; }
td.status-pass { color: #1a7f37; }
td.time { white-space: nowrap; font-family: monospace; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
code { background: #f4f4f4; padding: 0 0.3em; }
.empty { color: #777; font-style: italic; }
"""


def render_html(folder: Path, record: RunRecord) -> str:
    verdict = "passed" if record.passed else "failed"
    title = f"{record.scenario} - {verdict.upper()}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head>",
        f'<body class="{verdict}">',
        f"<h1>Scenario {escape(record.scenario)} "
        f'<span class="verdict {verdict}">{verdict.upper()}</span></h1>',
        f'<p class="meta">Home <b>{escape(record.home)}</b>, started '
        f"{escape(record.start.strftime('%Y-%m-%d %H:%M:%S %Z'))}; "
        f"simulated {_seconds(record.sim_seconds)} in {_seconds(record.wall_seconds)} "
        f"of wall time (speed-up {_speed_up(record)}).</p>",
        *_expectations(record),
        "<h2>Plots</h2>",
        *(f'<img src="plots/{name}.png" alt="{name} plot">' for name in PLOTS),
        *_recordings(folder, record),
        *_timeline(record),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _expectations(record: RunRecord) -> list[str]:
    lines = [f"<h2>Expectations ({len(record.expectations)})</h2>"]
    if not record.expectations:
        return [*lines, '<p class="empty">No expectations: the run cannot pass.</p>']
    lines.append("<table><tr><th>expectation</th><th>result</th><th>detail</th></tr>")
    for e in record.expectations:
        row, status = ("", "pass") if e.passed else (' class="fail"', "fail")
        lines.append(
            f"<tr{row}><td>{escape(e.name)}</td>"
            f'<td class="status-{status}">{"passed" if e.passed else "FAILED"}</td>'
            f"<td>{escape(e.detail)}</td></tr>"
        )
    return [*lines, "</table>"]


def _recordings(folder: Path, record: RunRecord) -> list[str]:
    lines = [f"<h2>Robot speech ({len(record.speech_files)} WAV)</h2>"]
    if not record.speech_files:
        lines.append('<p class="empty">No speech recorded.</p>')
    else:
        lines.append("<table><tr><th>file</th><th>listen</th></tr>")
        for wav in record.speech_files:
            href = _href(folder, wav)
            lines.append(
                f'<tr><td><a href="{href}">{escape(wav.name)}</a></td>'
                f'<td><audio controls preload="none" src="{href}"></audio></td></tr>'
            )
        lines.append("</table>")
    lines.append("<h2>Recording</h2>")
    if record.bag is None:
        lines.append('<p class="empty">Not recorded (the run had recording off).</p>')
    else:
        href = _href(folder, record.bag)
        shown = escape(_relative(folder, record.bag))
        mcaps = sorted(record.bag.glob("*.mcap")) if record.bag.is_dir() else []
        files = ", ".join(f'<a href="{_href(folder, m)}">{escape(m.name)}</a>' for m in mcaps)
        lines.append(
            f'<p>MCAP recording: <a href="{href}">{shown}</a>{f" ({files})" if files else ""}. '
            f"Summary: <code>homecare bag info {shown}</code> (from the run folder); to browse "
            "the topics, open its <code>.mcap</code> file in Foxglove (Open local file).</p>"
        )
    return lines


def _timeline(record: RunRecord) -> list[str]:
    lines = [f"<h2>Timeline ({len(record.timeline)} events)</h2>"]
    if not record.timeline:
        return [*lines, '<p class="empty">No events recorded.</p>']
    lines.append("<table><tr><th>time</th><th>source</th><th>text</th></tr>")
    lines.extend(
        f'<tr><td class="time">{_clock(record.start, e.t_s)}</td>'
        f"<td>{escape(e.source)}</td><td>{escape(e.text)}</td></tr>"
        for e in record.timeline
    )
    return [*lines, "</table>"]
