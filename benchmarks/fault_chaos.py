"""The chaos schedule: which part fails, when, and for how long, all drawn from one seed.

Faults are tied to the robot's progress (after its outbox holds k alerts, plus a
random fraction of a second), not to wall time, so a slow machine gets the same
faults at the same points of the sequence. They come one at a time, each healed
before the next. The last one, the final outage, is held until every alert has
been raised, so that a backlog waits when it ends: its drain time is the figure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TARGETS = ("robot", "broker", "fleet", "link")
# The robot cannot raise alerts while it is dead, so it cannot be the final outage.
FINAL_TARGETS = ("link", "broker", "fleet")


@dataclass(frozen=True)
class Fault:
    target: str  # robot, broker, fleet (SIGKILL, then restart) or link (cut, then restore)
    after_alerts: int  # strike once the robot's outbox holds this many alerts ...
    delay_s: float  # ... and this much later
    down_s: float  # how long the part stays dead or the link cut


@dataclass(frozen=True)
class ChaosParams:
    faults: int = 20  # before the final outage; at least one of each target if >= 4
    seed: int = 1
    kill_down_s: tuple[float, float] = (0.2, 3.0)
    cut_down_s: tuple[float, float] = (1.0, 5.0)
    final_target: str | None = None  # None: drawn from FINAL_TARGETS


def chaos_schedule(alerts: int, params: ChaosParams) -> tuple[list[Fault], Fault]:
    """The faults in order, and the final outage (its down_s is unused: held to the end)."""
    rng = random.Random(params.seed)
    targets = list(TARGETS[: params.faults])
    targets += [rng.choice(TARGETS) for _ in range(params.faults - len(targets))]
    rng.shuffle(targets)
    points = sorted(rng.randint(alerts * 5 // 100, alerts * 85 // 100) for _ in targets)
    faults = [
        Fault(target, point, rng.uniform(0.0, 1.0), _down(rng, target, params))
        for target, point in zip(targets, points, strict=True)
    ]
    final_target = rng.choice(FINAL_TARGETS)
    final = Fault(params.final_target or final_target, alerts * 9 // 10, rng.uniform(0, 1), 0.0)
    return faults, final


def _down(rng: random.Random, target: str, params: ChaosParams) -> float:
    low, high = params.cut_down_s if target == "link" else params.kill_down_s
    return rng.uniform(low, high)
