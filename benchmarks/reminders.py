"""Reminder engine throughput: `python -m benchmarks.reminders`.

10,000 residents' schedules (about 5 reminders a day each: daily and twice-daily
medication, "every 8 hours", weekly-by-day, monthly appointments; a mix of time
zones, some with a daylight-saving change inside the window) are run through
`ReminderEngine` for 30 days, each on its own `ManualClock` jumping from one
due time to the next (`next_wakeup`). Residents answer the first announcement
of most occurrences, snooze some and ignore others (which then run through
every re-prompt to `missed` and a missed-medication alert). The store is
`MemoryReminderStore`, which passes the same contract tests as the robot's
SQLite store (tests/unit/test_reminders_store.py): the benchmark measures
scheduling, not disk syncs.

Residents are split over worker processes (one per core by default); the
figure is wall time for all of them. Target (issue 5): under 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

from benchmarks.machine import describe_machine
from homecare.clock import ManualClock
from reminders.engine import Announce, RaiseAlert, RecordOutcome, ReminderEngine, ReminderParams
from reminders.model import Medicine, ReminderSchedule, ReminderSpec
from reminders.store import MemoryReminderStore

TARGET_S = 30.0
START = datetime(2026, 3, 1, tzinfo=UTC)  # the window holds New York's and Berlin's DST change
ZONES = (
    "Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Europe/Berlin",
    "America/New_York", "Europe/London", "Asia/Vladivostok",
)  # fmt: skip
MEDICINES = ("enalapril", "metformin", "aspirin", "bisoprolol", "atorvastatin", "warfarin")
ACK_SHARE = 0.85  # answer the first announcement
SNOOZE_SHARE = 0.05  # snooze, then answer the next prompt; the rest never answer


def resident_schedule(rng: random.Random) -> ReminderSchedule:
    """About 5 reminders a day, from the rule shapes a caregiver actually writes."""
    first, second = rng.sample(MEDICINES, 2)
    day0 = datetime(2026, 2, rng.randint(1, 28))
    reminders = [
        ReminderSpec(
            id="morning-evening", kind="medication", title="Blood pressure", medicine=first,
            dose="one tablet", start=day0.replace(hour=8), rrule="FREQ=DAILY;BYHOUR=8,20",
        ),
        ReminderSpec(
            id="every-8h", kind="medication", title="Sugar", medicine=second, dose="500 mg",
            start=day0.replace(hour=6), rrule="FREQ=HOURLY;INTERVAL=8",
            exdates=[day0.replace(hour=14) + timedelta(days=rng.randint(20, 40))],
        ),
        ReminderSpec(
            id="walk", kind="custom", title="A short walk", start=day0.replace(hour=11),
            rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR",
        ),
        ReminderSpec(
            id="doctor", kind="appointment", title="Doctor", start=day0.replace(hour=10),
            rrule=rng.choice(["FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=MONTHLY;BYDAY=1MO"]),
        ),
    ]  # fmt: skip
    return ReminderSchedule(
        timezone=rng.choice(ZONES),
        reminders=reminders,
        medicines=[Medicine(name=first), Medicine(name=second)],
    )


def simulate(first_resident: int, count: int, days: int) -> Counter[str]:
    """Run `count` residents (seeded by their number) for `days`; counts of what happened."""
    counts: Counter[str] = Counter()
    params = ReminderParams(lang="en")
    end = (START + timedelta(days=days)).timestamp()
    origin = START.timestamp()
    for resident in range(first_resident, first_resident + count):
        rng = random.Random(resident)
        clock = ManualClock(START)
        engine = ReminderEngine(params, clock, MemoryReminderStore())
        engine.load(resident_schedule(rng))
        snoozed: set[str] = set()
        while (wakeup := engine.next_wakeup()) is not None and wakeup <= end:
            clock.advance_to(wakeup - origin)
            for action in engine.tick():
                if isinstance(action, Announce):
                    counts["announcements"] += 1
                    key = action.occurrence.occurrence_id
                    if key in snoozed:
                        snoozed.discard(key)
                        _publish(engine, engine.ack(key), counts)
                        continue
                    if action.attempt > 0:
                        continue
                    choice = rng.random()
                    if choice < ACK_SHARE:
                        _publish(engine, engine.ack(key), counts)
                    elif choice < ACK_SHARE + SNOOZE_SHARE:
                        snoozed.add(key)
                        _publish(engine, engine.snooze(600), counts)
                else:
                    _publish(engine, [action], counts)
    return counts


def _publish(engine: ReminderEngine, actions: Sequence[object], counts: Counter[str]) -> None:
    """What the node does with the engine's actions (minus the messages)."""
    for action in actions:
        if isinstance(action, RecordOutcome):
            counts[action.outcome] += 1
            engine.outcome_sent(action.event.event_id)
        elif isinstance(action, RaiseAlert):
            counts["alerts"] += 1


def run(residents: int, days: int, workers: int) -> dict[str, object]:
    chunks = _chunks(residents, max(1, workers) * 8)
    started = time.perf_counter()
    total: Counter[str] = Counter()
    if workers <= 1:
        for first, count in chunks:
            total.update(simulate(first, count, days))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(simulate, first, count, days) for first, count in chunks]
            for future in futures:
                total.update(future.result())
    wall = time.perf_counter() - started
    processed = total["taken"] + total["missed"]
    return {
        "residents": residents,
        "days": days,
        "workers": workers,
        "occurrences_processed": processed,
        "per_resident_per_day": round(processed / residents / days, 2),
        "announcements": total["announcements"],
        "taken": total["taken"],
        "snoozed": total["snoozed"],
        "missed": total["missed"],
        "missed_medication_alerts": total["alerts"],
        "wall_s": round(wall, 2),
        "occurrences_per_s": round(processed / wall) if wall > 0 else None,
        "target_s": TARGET_S,
        # The target is stated for 10,000 residents over 30 days; a smaller run says nothing.
        "meets_target": wall < TARGET_S if residents >= 10_000 and days >= 30 else None,
    }


def _chunks(total: int, parts: int) -> list[tuple[int, int]]:
    size = max(1, -(-total // parts))
    return [(first, min(size, total - first)) for first in range(0, total, size)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    machine = describe_machine()
    report = run(args.residents, args.days, args.workers)
    if args.json:
        print(json.dumps({"machine": machine.as_dict(), **report}, indent=2))
        return
    print(machine.line())
    print(
        f"{report['residents']} residents x {report['days']} days on {report['workers']} "
        f"worker(s): {report['occurrences_processed']} occurrences processed "
        f"({report['per_resident_per_day']} per resident per day; taken {report['taken']}, "
        f"missed {report['missed']}, snoozed {report['snoozed']}, "
        f"alerts {report['missed_medication_alerts']}, announcements {report['announcements']})"
    )
    verdict = {True: "PASS", False: "MISS", None: "n/a (the target is for 10,000 x 30 days)"}[
        report["meets_target"]  # type: ignore[index]
    ]
    print(
        f"wall {report['wall_s']} s ({report['occurrences_per_s']} occurrences/s), "
        f"target < {TARGET_S:.0f} s: {verdict}"
    )


if __name__ == "__main__":
    main()
