"""The run report's PNG plots: events timeline, battery, fall detector.

Object API only (`Figure` + `FigureCanvasAgg`): no pyplot global state, so a
runner may write reports from several threads, and no display is needed.
All three plots share one x range (the run's span) so they line up on the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simulations.report import local_time

# Known sources get a fixed row, colour and marker so reports look alike run after run.
SOURCE_STYLES: dict[str, tuple[str, str]] = {
    "resident": ("tab:blue", "o"),
    "robot": ("tab:green", "s"),
    "fall": ("tab:red", "X"),
    "alert": ("darkred", "^"),
    "reminder": ("tab:purple", "D"),
    "fleet": ("tab:orange", "P"),
    "battery": ("tab:olive", "v"),
    "sim": ("tab:gray", "."),
}
PHASE_STYLES: dict[str, tuple[str, str]] = {
    "falling": ("tab:orange", "v"),
    "down": ("tab:red", "X"),
    "recovered": ("tab:green", "^"),
}
OTHER_STYLE = ("black", "*")
MIN_SPAN_S = 120.0  # shorter runs still get a readable axis of a couple of minutes
WIDTH_IN = 10.0
MARGIN_LEFT_IN = 1.3  # room for the longest source name
MARGIN_RIGHT_IN = 1.25  # room for the detector's legend
MAX_LABEL = 13
DPI = 100

# Tick steps in minutes, smallest first; the first giving at most MAX_TICKS ticks wins.
TICK_STEPS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440)
MAX_TICKS = 10


@dataclass(frozen=True)
class TimeAxis:
    """Maps seconds after the scenario's start to the home's local clock time."""

    start: datetime  # aware
    first_s: float
    last_s: float

    def local(self, t_s: float) -> datetime:
        return local_time(self.start, t_s)

    @property
    def span_s(self) -> float:
        return self.last_s - self.first_s


def time_axis(start: datetime, times: Sequence[float], sim_seconds: float) -> TimeAxis:
    """The x range covering the run (0 .. sim_seconds) and every recorded point."""
    finite = [t for t in times if math.isfinite(t)]
    first = min([0.0, *finite])
    last = max([sim_seconds if math.isfinite(sim_seconds) else 0.0, *finite])
    if last - first < MIN_SPAN_S:
        last = first + MIN_SPAN_S
    return TimeAxis(start, first, last)


def tick_step_minutes(span_s: float) -> int:
    for step in TICK_STEPS_MIN:
        if span_s / (step * 60.0) <= MAX_TICKS:
            return step
    return TICK_STEPS_MIN[-1] * math.ceil(span_s / (TICK_STEPS_MIN[-1] * 60.0 * MAX_TICKS))


def tick_times(axis: TimeAxis) -> list[float]:
    """Tick positions (seconds after start) on round local clock times: 10:00, 10:15, ..."""
    step_s = tick_step_minutes(axis.span_s) * 60.0
    first = axis.local(axis.first_s)
    since_midnight = first.hour * 3600 + first.minute * 60 + first.second + first.microsecond / 1e6
    t = axis.first_s + math.ceil(since_midnight / step_s) * step_s - since_midnight
    ticks = []
    while t <= axis.last_s:
        ticks.append(t)
        t += step_s
    return ticks


def _format_x(ax: Axes, axis: TimeAxis) -> None:
    # x is seconds after the start; ticks are labelled with the home's clock time.
    margin = axis.span_s * 0.01  # markers at the very start or end are not cut in half
    ax.set_xlim(axis.first_s - margin, axis.last_s + margin)
    ticks = tick_times(axis)
    # Past a day the hour alone is ambiguous: name the day too.
    pattern = "%H:%M" if axis.span_s <= 86400 else "%a %H:%M"
    ax.set_xticks(ticks, labels=[axis.local(t).strftime(pattern) for t in ticks])
    ax.set_xlabel(f"local time ({axis.local(axis.first_s):%Y-%m-%d})")
    ax.grid(axis="x", color="0.9")


def _new_figure(height_in: float) -> tuple[Figure, Axes]:
    # Fixed margins (not constrained layout) so the three plots' time axes line up on the page.
    figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(
        left=MARGIN_LEFT_IN / WIDTH_IN,
        right=1 - MARGIN_RIGHT_IN / WIDTH_IN,
        bottom=0.6 / height_in,
        top=1 - 0.35 / height_in,
    )
    return figure, figure.add_subplot()


def _empty_note(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4")


def _save(figure: Figure, path: Path) -> None:
    figure.savefig(path, format="png")


def _source_rows(sources: Sequence[str]) -> list[str]:
    present = set(sources)
    known = [s for s in SOURCE_STYLES if s in present]
    return known + sorted(present - set(SOURCE_STYLES))


def plot_timeline(path: Path, axis: TimeAxis, events: Sequence[tuple[float, str]]) -> None:
    """One row per source, a marker per event at its local clock time."""
    events = [(t, s) for t, s in events if math.isfinite(t)]
    rows = _source_rows([s for _, s in events])
    figure, ax = _new_figure(1.4 + 0.35 * max(len(rows), 3))
    for row, source in enumerate(rows):
        colour, marker = SOURCE_STYLES.get(source, OTHER_STYLE)
        xs = [t for t, s in events if s == source]
        ax.scatter(xs, [row] * len(xs), color=colour, marker=marker, s=36, zorder=3)
    labels = [r if len(r) <= MAX_LABEL else r[: MAX_LABEL - 1] + "…" for r in rows]
    ax.set_yticks(range(len(rows)), labels=labels)
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    ax.invert_yaxis()  # first known source on top, as it reads in the table
    ax.set_title("Events")
    _format_x(ax, axis)
    if not events:
        _empty_note(ax, "no events recorded")
    _save(figure, path)


def plot_battery(path: Path, axis: TimeAxis, battery: Sequence[tuple[float, float]]) -> None:
    points = sorted((t, p) for t, p in battery if math.isfinite(t) and math.isfinite(p))
    figure, ax = _new_figure(3.0)
    if points:
        xs = [t for t, _ in points]
        ys = [p for _, p in points]
        ax.plot(xs, ys, color="tab:olive", marker="." if len(points) < 60 else None)
    else:
        _empty_note(ax, "no battery data recorded")
    ax.set_ylim(0, 100)
    ax.set_ylabel("battery %")
    ax.set_title("Battery")
    ax.grid(axis="y", color="0.9")
    _format_x(ax, axis)
    _save(figure, path)


def plot_detector(path: Path, axis: TimeAxis, detector: Sequence[tuple[float, str, float]]) -> None:
    """Fall detector events as stems: height is confidence, colour and marker the phase."""
    events = [(t, p, c) for t, p, c in detector if math.isfinite(t) and math.isfinite(c)]
    figure, ax = _new_figure(3.0)
    phases = [p for p in PHASE_STYLES if any(e[1] == p for e in events)]
    phases += sorted({p for _, p, _ in events} - set(PHASE_STYLES))
    for phase in phases:
        colour, marker = PHASE_STYLES.get(phase, OTHER_STYLE)
        xs = [t for t, p, _ in events if p == phase]
        ys = [c for _, p, c in events if p == phase]
        ax.vlines(xs, 0, ys, colors=colour, linewidth=1.2)
        ax.scatter(xs, ys, color=colour, marker=marker, s=48, zorder=3, label=phase)
    if phases:
        ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize="small")
    else:
        _empty_note(ax, "no fall detector events")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("confidence")
    ax.set_title("Fall detector")
    ax.grid(axis="y", color="0.9")
    _format_x(ax, axis)
    _save(figure, path)
