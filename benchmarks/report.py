"""Figures with their targets, and the printed and JSON forms of a run's report."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured figure; `passed` is None when it has no target of its own."""

    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None

    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: ""}[self.passed]


@dataclass
class Section:
    """One benchmark's outcome: the figures, plus details worth keeping in the JSON."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): always a value that was measured."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def format_value(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "%":
        return f"{value:.0f} %"
    if abs(value) >= 100 or (float(value).is_integer() and unit not in {"ms", "x"}):
        return f"{value:,.0f} {unit}"
    return f"{value:.1f} {unit}"


def render(machine_line: str, date: str, sections: Sequence[Section]) -> str:
    lines = [f"Fleet benchmarks, {date}", f"Machine: {machine_line}", ""]
    for section in sections:
        lines.append(section.title)
        width = max((len(figure.name) for figure in section.figures), default=0)
        for figure in section.figures:
            row = f"  {figure.name:<{width}}  {format_value(figure.value, figure.unit):>16}"
            if figure.target:
                row += f"  target {figure.target:<18} {figure.verdict()}"
            lines.append(row.rstrip())
        lines.extend(f"  - {note}" for note in section.notes)
        lines.append("")
    return "\n".join(lines)
