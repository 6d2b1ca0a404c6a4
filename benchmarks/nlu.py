"""Intent recognition accuracy and latency on the held-out sets: `python -m benchmarks.nlu`.

The sets are `benchmarks/data/nlu/<lang>.yaml`: at least 20 natural
paraphrases per intent (all 21, `unknown` included), written apart from the
templates in `speech/nlu/templates/`, with fillers and ASR slips (dropped
endings). Target (issue 5): accuracy >= 95 % per language; one parse is part
of a 300 ms reply budget, so latency is printed too (median and p99 over every
phrase, after one warm-up pass).

Honesty note: four sets, written one after another, each scored once before
any tuning on it.
- `<lang>.yaml` (>= 20 per intent), written before the parser first ran on it:
  ru 95.0 % (422/444), en 95.9 % (424/442, after a crash on English times was
  fixed).
- `<lang>_fresh.yaml` (6 per intent), written after tuning on the first set:
  ru 94.4 % (119/126), en 90.5 % (114/126).
- `<lang>_blind.yaml` (5 per intent), written after tuning on the first two:
  ru 88.6 % (93/105), en 89.5 % (94/105).
- `<lang>_final.yaml` (4 per intent), written after all tuning and never tuned
  on: ru 98.8 % (83/84), en 97.6 % (82/84).
Expect about 90-98 % on a new set. Every set was written by the person who
wrote the templates, so they lean towards phrasings the templates cover; a
set by someone else will score lower.
After each of the first three runs the errors led to general fixes (fillers
removed only at the edges, contracted negations, "минут через десять",
stricter fuzzy cut-offs, free word order for Russian two-word phrases, more
symptom and benefit words, "help" beating "not ok"). No test line was copied
into the templates, but those three sets have been looked at and are no longer
strictly held out; the final set still is. `--set` selects a set.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from benchmarks.machine import describe_machine
from speech.nlu import INTENT_NAMES, MIN_CONFIDENCE, IntentParser

TARGET_ACCURACY = 0.95
DATA = Path(__file__).resolve().parent / "data" / "nlu"
# A fixed moment, so relative dates in the sets resolve the same on every run.
FIXED_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Set name -> file suffix (`ru.yaml`, `ru_fresh.yaml`, ...), in the order they were written.
SETS = {"main": "", "fresh": "_fresh", "blind": "_blind", "final": "_final"}


@dataclass
class LanguageReport:
    lang: str
    source: str
    total: int = 0
    correct: int = 0
    per_intent: dict[str, list[int]] = field(default_factory=dict)  # intent -> [correct, total]
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: list[tuple[str, str, str, float]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "source": self.source,
            "phrases": self.total,
            "accuracy": round(self.accuracy, 4),
            "per_intent": {k: {"correct": c, "total": t} for k, (c, t) in self.per_intent.items()},
            "confusions": [
                {"expected": e, "got": g, "count": n} for (e, g), n in self.confusions.most_common()
            ],
            "errors": [
                {"expected": e, "got": g, "text": t, "confidence": c} for e, g, t, c in self.errors
            ],
            "latency_ms": latency_summary(self.latencies_ms),
            "target_accuracy": TARGET_ACCURACY,
            "pass": self.accuracy >= TARGET_ACCURACY,
        }


def load_set(path: Path) -> dict[str, list[str]]:
    """intent -> phrases, checked: every intent name must be one of the contract's."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    intents = raw.get("intents") if isinstance(raw, dict) else None
    if not isinstance(intents, dict):
        raise ValueError(f"{path}: expected a mapping 'intents: {{name: [phrases]}}'")
    unknown = set(intents) - set(INTENT_NAMES)
    if unknown:
        raise ValueError(f"{path}: unknown intent names {sorted(unknown)}")
    return {str(k): [str(p) for p in v] for k, v in intents.items()}


def decided_intent(parser: IntentParser, text: str) -> tuple[str, float, float]:
    """(intent as the dialog sees it, confidence, parse time in ms)."""
    started = time.perf_counter()
    result = parser.parse(text, now=FIXED_NOW)
    elapsed_ms = (time.perf_counter() - started) * 1000
    name = result.name if result.confidence >= MIN_CONFIDENCE else "unknown"
    return name, result.confidence, elapsed_ms


def evaluate(lang: str, path: Path) -> LanguageReport:
    phrases = load_set(path)
    parser = IntentParser(lang)
    for texts in phrases.values():  # warm-up: the first call of each code path is slower
        for text in texts:
            parser.parse(text, now=FIXED_NOW)
    report = LanguageReport(lang, path.name)
    for intent, texts in phrases.items():
        counts = report.per_intent.setdefault(intent, [0, 0])
        for text in texts:
            got, confidence, elapsed_ms = decided_intent(parser, text)
            report.latencies_ms.append(elapsed_ms)
            report.total += 1
            counts[1] += 1
            if got == intent:
                report.correct += 1
                counts[0] += 1
            else:
                report.confusions[(intent, got)] += 1
                report.errors.append((intent, got, text, round(confidence, 3)))
    return report


def latency_summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"median": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(ordered), 3),
        "p99": round(p99, 3),
        "max": round(ordered[-1], 3),
    }


def print_report(report: LanguageReport) -> None:
    verdict = "PASS" if report.accuracy >= TARGET_ACCURACY else "MISS"
    latency = latency_summary(report.latencies_ms)
    print(
        f"\n[{report.lang}] {report.source}: {report.correct}/{report.total} = "
        f"{report.accuracy:.1%} (target >= {TARGET_ACCURACY:.0%}) {verdict}; parse latency "
        f"median {latency['median']:.2f} ms, p99 {latency['p99']:.2f} ms, "
        f"max {latency['max']:.2f} ms"
    )
    for intent, (correct, total) in report.per_intent.items():
        print(f"  {intent:<18} {correct:>3}/{total:<3} {correct / total:.0%}")
    if report.errors:
        print("  errors (expected -> got, confidence: text):")
        by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
        for expected, got, text, confidence in report.errors:
            by_pair[(expected, got)].append(f"{confidence:.2f}: {text}")
        for (expected, got), lines in sorted(by_pair.items()):
            for line in lines:
                print(f"    {expected} -> {got}, {line}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lang", choices=["ru", "en"], action="append", help="default: both")
    parser.add_argument(
        "--set",
        choices=sorted(SETS),
        default="main",
        help="which sets: main (>= 20 per intent, default), fresh, blind or final",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    langs = args.lang or ["ru", "en"]
    reports = [evaluate(lang, DATA / f"{lang}{SETS[args.set]}.yaml") for lang in langs]
    machine = describe_machine()
    if args.json:
        print(
            json.dumps(
                {"machine": machine.as_dict(), "languages": [r.as_dict() for r in reports]},
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    print(machine.line())
    for report in reports:
        print_report(report)


if __name__ == "__main__":
    main()
