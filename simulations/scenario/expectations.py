"""Check a scenario's expectations against what the robot did and what the fleet recorded.

Each check returns an `ExpectationResult` whose detail says what was seen,
so a failing CI run reads like "no critical fall incident between 10:15:00 and
10:15:45; the fleet got: fall [critical] at 10:16:02".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from simulations.report import ExpectationResult
from simulations.scenario.fleet_facts import FleetFacts
from simulations.scenario.loader import TimedExpectation
from simulations.scenario.observer import RobotObserver
from simulations.scenario.times import format_offset

Check = Callable[[TimedExpectation, RobotObserver, FleetFacts, float], ExpectationResult]


def evaluate(
    expectations: Sequence[TimedExpectation],
    robot: RobotObserver,
    fleet: FleetFacts,
    start_of_day_s: float,
) -> list[ExpectationResult]:
    return [_CHECKS[e.kind](e, robot, fleet, start_of_day_s) for e in expectations]


def _span(e: TimedExpectation, day_s: float) -> str:
    return f"between {format_offset(e.start_s, day_s)} and {format_offset(e.end_s, day_s)}"


def _inside(e: TimedExpectation, t_s: float) -> bool:
    return e.start_s <= t_s <= e.end_s


def _listing(items: Sequence[tuple[float, str]], day_s: float, empty: str) -> str:
    if not items:
        return empty
    shown = [f"{text} at {format_offset(t, day_s)}" for t, text in items[:5]]
    more = f" and {len(items) - 5} more" if len(items) > 5 else ""
    return ", ".join(shown) + more


def _incident(
    e: TimedExpectation, robot: RobotObserver, fleet: FleetFacts, day_s: float
) -> ExpectationResult:
    kind, severity = e.expectation.incident, e.expectation.severity
    wanted = f"{severity + ' ' if severity else ''}{kind} incident"
    matching = [
        i for i in fleet.incidents
        if kind in ("any", i.kind) and severity in (None, i.severity)
    ]  # fmt: skip
    inside = [i for i in matching if _inside(e, i.t_s)]
    everything = [(i.t_s, f"{i.kind} [{i.severity}]") for i in fleet.incidents]
    seen = _listing(everything, day_s, "no incidents at all")
    count = e.expectation.count
    if count is None and inside:
        first = inside[0]
        late = first.t_s - e.start_s
        since = format_offset(e.start_s, day_s)
        detail = f"{wanted} received {late:.1f} s after {since} ({len(inside)} in the window)"
        return ExpectationResult(e.name, True, detail)
    if count is not None and len(inside) == count:
        return ExpectationResult(e.name, True, f"{count} {wanted}(s) {_span(e, day_s)}")
    got = f"{len(inside)}" if count is not None else "no"
    return ExpectationResult(e.name, False, f"{got} {wanted}(s) {_span(e, day_s)}"
                             f"{f' (expected {count})' if count is not None else ''}; "
                             f"the fleet got: {seen}")  # fmt: skip


def _no_incident(
    e: TimedExpectation, robot: RobotObserver, fleet: FleetFacts, day_s: float
) -> ExpectationResult:
    kind = e.expectation.no_incident
    inside = [
        (i.t_s, f"{i.kind} [{i.severity}]") for i in fleet.incidents
        if kind in ("any", i.kind) and _inside(e, i.t_s)
    ]  # fmt: skip
    what = "incident" if kind == "any" else f"{kind} incident"
    if not inside:
        return ExpectationResult(e.name, True, f"no {what} {_span(e, day_s)}")
    return ExpectationResult(e.name, False, f"unexpected: {_listing(inside, day_s, '')}")


def _reminder(
    e: TimedExpectation, robot: RobotObserver, fleet: FleetFacts, day_s: float
) -> ExpectationResult:
    reminder, outcome = e.expectation.reminder, e.expectation.outcome
    mine = [o for o in fleet.outcomes if o.reminder_id == reminder and _inside(e, o.t_s)]
    if any(o.outcome == outcome for o in mine):
        hit = next(o for o in mine if o.outcome == outcome)
        return ExpectationResult(
            e.name,
            True,
            f"the fleet recorded {reminder}: {outcome} at {format_offset(hit.t_s, day_s)}",
        )
    seen = _listing([(o.t_s, o.outcome) for o in mine], day_s, "no outcome")
    on_robot = [(t, out) for t, rid, out in robot.outcomes if rid == reminder]
    robot_seen = _listing(on_robot, day_s, "none")
    return ExpectationResult(
        e.name, False, f"expected {reminder}: {outcome} {_span(e, day_s)}; the fleet got {seen}; "
        f"the robot reported {robot_seen}"
    )  # fmt: skip


def _robot_says(
    e: TimedExpectation, robot: RobotObserver, fleet: FleetFacts, day_s: float
) -> ExpectationResult:
    needle = (e.expectation.robot_says or "").casefold()
    said = [s for s in robot.said if _inside(e, s.t_s)]
    hit = next((s for s in said if needle in s.text.casefold()), None)
    if hit is not None:
        return ExpectationResult(e.name, True, f"at {format_offset(hit.t_s, day_s)}: «{hit.text}»")
    heard = _listing([(s.t_s, f"«{s.text}»") for s in said[-3:]], day_s, "nothing")
    return ExpectationResult(
        e.name, False, f"the robot never said «{e.expectation.robot_says}» {_span(e, day_s)}; "
        f"last things it said: {heard}"
    )  # fmt: skip


def _fall_event(
    e: TimedExpectation, robot: RobotObserver, fleet: FleetFacts, day_s: float
) -> ExpectationResult:
    phase = e.expectation.fall_event
    hits = [f for f in robot.falls if f.phase == phase and _inside(e, f.t_s)]
    if hits:
        first, since = hits[0], format_offset(e.start_s, day_s)
        late = first.t_s - e.start_s
        detail = f"{phase} {late:.1f} s after {since} (confidence {first.confidence:.2f})"
        return ExpectationResult(e.name, True, detail)
    seen = _listing([(f.t_s, f.phase) for f in robot.falls], day_s, "no fall events at all")
    return ExpectationResult(e.name, False, f"no {phase} event {_span(e, day_s)}; seen: {seen}")


def _device_set(
    e: TimedExpectation, robot: RobotObserver, fleet: FleetFacts, day_s: float
) -> ExpectationResult:
    device, wanted = e.expectation.device_set, e.expectation.set_state
    sets = [d for d in robot.device_sets if d.device == device and _inside(e, d.t_s)]
    hit = next((d for d in sets if wanted is None or d.state == wanted), None)
    if hit is not None:
        return ExpectationResult(
            e.name, True, f"{device} set {hit.state or '(no state)'} at "
            f"{format_offset(hit.t_s, day_s)}"
        )  # fmt: skip
    seen = _listing([(d.t_s, d.state) for d in sets], day_s, "no command at all")
    return ExpectationResult(
        e.name, False, f"expected {device} set {wanted or ''} {_span(e, day_s)}; seen: {seen}"
    )


def _device_problem(
    e: TimedExpectation, robot: RobotObserver, fleet: FleetFacts, day_s: float
) -> ExpectationResult:
    device, problem = e.expectation.device_problem, e.expectation.problem or ""
    reports = [r for r in robot.device_reports if r.device == device and _inside(e, r.t_s)]
    hit = next((r for r in reports if problem in r.problems), None)
    delivered = device in fleet.device_reports
    if hit is not None and delivered:
        return ExpectationResult(
            e.name, True, f"{device}: {problem} reported at {format_offset(hit.t_s, day_s)}, "
            "and the fleet has its health"
        )  # fmt: skip
    seen = _listing(
        [(r.t_s, ", ".join(sorted(r.problems)) or "ok") for r in reports], day_s, "no report"
    )
    fleet_side = "the fleet has its health" if delivered else "the fleet has no report of it"
    return ExpectationResult(
        e.name, False, f"expected {device}: {problem} {_span(e, day_s)}; the robot sent: {seen}; "
        f"{fleet_side}"
    )  # fmt: skip


def _no_fall_event(
    e: TimedExpectation, robot: RobotObserver, fleet: FleetFacts, day_s: float
) -> ExpectationResult:
    hits = [(f.t_s, f"{f.phase} ({f.confidence:.2f})") for f in robot.falls if _inside(e, f.t_s)]
    if not hits:
        return ExpectationResult(e.name, True, f"no fall events {_span(e, day_s)}")
    return ExpectationResult(e.name, False, f"unexpected fall events: {_listing(hits, day_s, '')}")


_CHECKS: dict[str, Check] = {
    "incident": _incident,
    "no_incident": _no_incident,
    "reminder": _reminder,
    "robot_says": _robot_says,
    "fall_event": _fall_event,
    "no_fall_event": _no_fall_event,
    "device_set": _device_set,
    "device_problem": _device_problem,
}
