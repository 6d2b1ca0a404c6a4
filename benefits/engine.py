"""The eligibility engine: three-valued (Kleene) logic over a profile, with reasons.

Each measure comes out `eligible`, `not_eligible` or `unknown`. `unknown` lists
only the facts whose absence decides it: when one branch already settles the
answer (a failed part of an `all`, a held part of an `any`), the facts of the
other branches are not asked for. A missing parameter value (no subsistence
minimum for that year or region in the catalog) also gives `unknown`, never a
guess, and says so.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from benefits import wording
from benefits.catalog import Catalog
from benefits.errors import ProfileError
from benefits.facts import FACTS, Between, FactValue, Profile, source_fact
from benefits.model import Agency, Measure, Parameter, ParameterValue
from benefits.rules import AllOf, AnyOf, Criterion, Named, Not, Rule

Status = Literal["eligible", "not_eligible", "unknown"]
STATUS_OF: dict[bool | None, Status] = {True: "eligible", False: "not_eligible", None: "unknown"}
MAX_QUESTIONS = 7


@dataclass(frozen=True)
class Reason:
    """Why one condition held, failed, or could not be checked, in both languages."""

    holds: bool | None
    ru: str
    en: str
    fact: str | None = None

    def text(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.en


@dataclass(frozen=True)
class Outcome:
    """The Kleene value of a rule, the facts that would settle it, and why."""

    value: bool | None
    missing: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class MeasureResult:
    measure: Measure
    agency: Agency
    status: Status
    missing: tuple[str, ...]
    reasons: tuple[Reason, ...]
    on: date

    def reason_lines(self, lang: str) -> list[str]:
        """The condition lines, the legal basis, and the agency-decides disclaimer."""
        lines = [reason.text(lang) for reason in self.reasons]
        acts = [
            f"{item.act.get(lang)}{', ' + item.article.get(lang) if item.article else ''}"
            for item in self.measure.legal_basis
        ]
        lines.append(wording.legal_basis_line(acts, lang))
        lines.append(wording.DISCLAIMER.get(lang))
        return lines

    def as_dict(self, lang: str) -> dict[str, object]:
        """The JSON shape of `homecare benefits check --json` (one item of `results`)."""
        measure = self.measure
        amount = measure.amount_on(self.on)
        return {
            "id": measure.id,
            "title": measure.title.get(lang),
            "summary": measure.summary.get(lang),
            "type": measure.type,
            "level": measure.level,
            "region": measure.region,
            "status": self.status,
            "status_text": wording.STATUS_WORDS[self.status].get(lang),
            "reasons": self.reason_lines(lang),
            "missing": list(self.missing),
            "missing_text": [FACTS[fact].label(lang) for fact in self.missing],
            "agency": self.agency.contacts(lang),
            "amount": None
            if amount is None
            else {
                "amount_rub": None if amount.amount_rub is None else float(amount.amount_rub),
                "description": amount.description.get(lang) if amount.description else None,
                "valid_from": amount.valid_from.isoformat(),
                "source": str(amount.source.url),
                "checked_on": amount.source.checked_on.isoformat(),
                "verified": amount.source.verified,
            },
            "how_to_apply": {
                "automatic": measure.how_to_apply.automatic,
                "channels": list(measure.how_to_apply.channels),
                "documents": [item.get(lang) for item in measure.how_to_apply.documents],
            },
            "legal_basis": [
                {
                    "act": item.act.get(lang),
                    "article": item.article.get(lang) if item.article else None,
                    "url": str(item.url) if item.url else None,
                }
                for item in measure.legal_basis
            ],
            "disclaimer": wording.DISCLAIMER.get(lang),
        }


def check_measure(catalog: Catalog, measure_id: str, profile: Profile, on: date) -> MeasureResult:
    """Decide one measure for one profile on a date."""
    _check_profile_date(profile, on)
    measure = catalog.measure(measure_id)
    agency = catalog.agencies[measure.agency]
    if not measure.in_force(on):
        reason = Reason(False, wording.not_in_force(on, "ru"), wording.not_in_force(on, "en"))
        return MeasureResult(measure, agency, "not_eligible", (), (reason,), on)
    outcome = evaluate(catalog.rules[measure_id], profile, on, catalog)
    return MeasureResult(
        measure, agency, STATUS_OF[outcome.value], outcome.missing, outcome.reasons, on
    )


def check_all(catalog: Catalog, profile: Profile, on: date) -> list[MeasureResult]:
    """Every measure of the catalog, in catalog order."""
    return [check_measure(catalog, measure_id, profile, on) for measure_id in catalog.measures]


def questions_to_ask(
    catalog: Catalog, profile: Profile, on: date, limit: int = MAX_QUESTIONS
) -> list[str]:
    """The missing facts worth asking for, those that would settle the most `unknown`s first."""
    counts: Counter[str] = Counter()
    for result in check_all(catalog, profile, on):
        counts.update(result.missing)
    order = list(FACTS)
    ranked = sorted(counts, key=lambda fact: (-counts[fact], order.index(fact)))
    return ranked[:limit]


def thresholds(catalog: Catalog, fact: str, profile: Profile, on: date) -> list[Decimal]:
    """The values `fact` is compared with on a date (for this profile's region), sorted.

    The interview makes its income bands around them, so that a band decides a
    condition whenever it can.
    """
    found: set[Decimal] = set()
    for measure_id, rule in catalog.rules.items():
        if not catalog.measures[measure_id].in_force(on):
            continue
        for criterion in _criteria(rule):
            if criterion.fact != fact:
                continue
            threshold, missing, problem = _threshold(criterion, profile, on, catalog)
            if threshold is not None and not missing and problem is None:
                values = (
                    threshold.value if isinstance(threshold.value, tuple) else (threshold.value,)
                )
                found.update(Decimal(v) for v in values if isinstance(v, int | Decimal))
    return sorted(found)


def _criteria(rule: Rule) -> list[Criterion]:
    match rule:
        case Criterion():
            return [rule]
        case AllOf() | AnyOf():
            return [item for part in rule.parts for item in _criteria(part)]
        case Not():
            return _criteria(rule.part)
        case Named():
            return _criteria(rule.rule)


def evaluate(rule: Rule, profile: Profile, on: date, catalog: Catalog) -> Outcome:
    """The Kleene value of a rule for a profile on a date."""
    match rule:
        case Criterion():
            return _criterion(rule, profile, on, catalog)
        case Named():
            return evaluate(rule.rule, profile, on, catalog)
        case Not():
            inner = evaluate(rule.part, profile, on, catalog)
            value = None if inner.value is None else not inner.value
            return Outcome(value, inner.missing, tuple(map(_negated, inner.reasons)))
        case AllOf():
            return _combine([evaluate(part, profile, on, catalog) for part in rule.parts], False)
        case AnyOf():
            return _combine([evaluate(part, profile, on, catalog) for part in rule.parts], True)


def _combine(outcomes: list[Outcome], decisive: bool) -> Outcome:
    # `decisive` is the value that settles the whole: False for `all`, True for `any`.
    settled = [item for item in outcomes if item.value is decisive]
    if settled:
        return Outcome(decisive, (), _reasons(settled))
    open_ = [item for item in outcomes if item.value is None]
    if not open_:
        return Outcome(not decisive, (), _reasons(outcomes))
    missing = tuple(dict.fromkeys(fact for item in open_ for fact in item.missing))
    return Outcome(None, missing, _reasons(outcomes))


def _negated(reason: Reason) -> Reason:
    # Under `not`, a condition that holds counts against: say it is an exclusion.
    holds = None if reason.holds is None else not reason.holds
    return Reason(holds, f"исключение: {reason.ru}", f"exclusion: {reason.en}", reason.fact)


def _reasons(outcomes: list[Outcome]) -> tuple[Reason, ...]:
    return tuple(dict.fromkeys(reason for item in outcomes for reason in item.reasons))


@dataclass(frozen=True)
class _Threshold:
    value: FactValue | tuple[FactValue, ...]
    ru: str
    en: str


def _criterion(rule: Criterion, profile: Profile, on: date, catalog: Catalog) -> Outcome:
    threshold, missing, problem = _threshold(rule, profile, on, catalog)
    if not profile.knows(rule.fact):
        missing = (source_fact(rule.fact), *missing)
    if problem is not None or missing or threshold is None:
        return _open(rule, threshold, missing, problem)
    value = profile.value(rule.fact, on)
    holds = _holds(rule.op, value, threshold.value)
    if holds is None:
        return _straddles(rule, threshold, value)
    texts = {
        lang: wording.criterion_text(
            wording.condition(rule.fact, rule.op, getattr(threshold, lang), rule.value, lang),
            holds,
            wording.shown(rule.fact, value, lang),
            None,
            lang,
        )
        for lang in wording.LANGS
    }
    return Outcome(holds, (), (Reason(holds, texts["ru"], texts["en"], rule.fact),))


def _straddles(rule: Criterion, threshold: _Threshold, value: FactValue) -> Outcome:
    """A range (a birth year, an income band) on both sides of the threshold: not known."""
    texts = {
        lang: wording.criterion_text(
            wording.condition(rule.fact, rule.op, getattr(threshold, lang), rule.value, lang),
            None,
            wording.shown(rule.fact, value, lang),
            wording.labels([source_fact(rule.fact)], lang),
            lang,
        )
        for lang in wording.LANGS
    }
    reason = Reason(None, texts["ru"], texts["en"], rule.fact)
    return Outcome(None, (source_fact(rule.fact),), (reason,))


def _open(
    rule: Criterion, threshold: _Threshold | None, missing: tuple[str, ...], problem: Reason | None
) -> Outcome:
    if problem is not None and not missing:
        return Outcome(None, (), (problem,))
    texts = {}
    # Name what is needed only where it is not the criterion's own fact ("age" needs birth date).
    others = tuple(fact for fact in missing if fact != rule.fact)
    for lang in wording.LANGS:
        said = getattr(threshold, lang) if threshold else "…"
        condition = wording.condition(rule.fact, rule.op, said, rule.value, lang)
        texts[lang] = wording.criterion_text(
            condition, None, None, wording.labels(others, lang) or None, lang
        )
    reasons = (Reason(None, texts["ru"], texts["en"], rule.fact),)
    return Outcome(None, missing, reasons if problem is None else (*reasons, problem))


def _threshold(
    rule: Criterion, profile: Profile, on: date, catalog: Catalog
) -> tuple[_Threshold | None, tuple[str, ...], Reason | None]:
    """The value to compare with, what is missing to know it, or why the catalog cannot say."""
    if rule.param is None:
        said = ("", "") if rule.op == "is_null" else _both(wording.shown, rule.fact, rule.value)
        return _Threshold(rule.value, *said), (), None
    names = [rule.param.name]
    if isinstance(rule.param.times, str):
        names.append(rule.param.times)
    if any(catalog.parameters[name].regional for name in names) and not profile.knows("region"):
        return None, ("region",), None
    region = profile.facts.get("region")
    region = region if isinstance(region, str) else None
    found: list[tuple[Parameter, ParameterValue]] = []
    for name in names:
        parameter = catalog.parameters[name]
        value = catalog.parameter_value(name, on, region)
        if value is None:
            scope = region if parameter.regional else None
            ru, en = (
                wording.no_parameter_value(parameter.title.get(lang), scope, on, lang)
                for lang in wording.LANGS
            )
            return None, (), Reason(None, ru, en)
        found.append((parameter, value))
    return _scaled(rule, found), (), None


def _scaled(rule: Criterion, found: list[tuple[Parameter, ParameterValue]]) -> _Threshold:
    """base x factor, said with the parameter's name, region, start date and source."""
    assert rule.param is not None
    (base_parameter, base), *ratio = found
    factor = ratio[0][1].value if ratio else rule.param.times
    assert factor is None or isinstance(factor, Decimal)
    total = base.value if factor is None else base.value * factor
    said = []
    for lang in wording.LANGS:
        scope = f", {base.region}" if base.region else ""
        since, source = ("с", "источник") if lang == "ru" else ("from", "source")
        text = (
            f"{base_parameter.title.get(lang)}{scope} {since} {base.valid_from.isoformat()}: "
            f"{wording.shown(rule.fact, _as_fact_value(rule.fact, base.value), lang)}"
        )
        if factor is not None:
            ratio_name = f" ({ratio[0][0].title.get(lang)})" if ratio else ""
            text = f"{wording.number(factor, lang)}{ratio_name} × {text}"
        shown_total = wording.shown(rule.fact, _as_fact_value(rule.fact, total), lang)
        said.append(f"{shown_total} [{text}; {source}: {base.source.url}]")
    return _Threshold(_as_fact_value(rule.fact, total), said[0], said[1])


def _both(
    say: Callable[[str, FactValue | tuple[FactValue, ...], str], str],
    fact: str,
    value: FactValue | tuple[FactValue, ...],
) -> tuple[str, str]:
    return say(fact, value, "ru"), say(fact, value, "en")


def _as_fact_value(fact: str, value: Decimal) -> FactValue:
    return int(value) if FACTS[fact].kind == "age" and value == int(value) else value


_ORDERED: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gte": operator.ge,
    "lte": operator.le,
    "gt": operator.gt,
    "lt": operator.lt,
}


def _holds(op: str, value: FactValue, threshold: FactValue | tuple[FactValue, ...]) -> bool | None:
    """Whether the condition holds; None when a range of values lies on both sides."""
    if isinstance(value, Between):
        return _range_holds(op, value, threshold)
    if op == "is_null":
        return (value is None) is bool(threshold)
    if op == "contains":
        return isinstance(value, tuple) and threshold in value
    if value is None:  # a known "no disability group": no comparison holds but "not equal"
        return op == "ne"
    if op == "in":
        return isinstance(threshold, tuple) and value in threshold
    return bool(_ORDERED[op](value, threshold))


_OPPOSITE = {"lte": "gt", "gt": "lte", "lt": "gte", "gte": "lt", "eq": "ne", "ne": "eq"}


def _range_holds(
    op: str, value: Between, threshold: FactValue | tuple[FactValue, ...]
) -> bool | None:
    if op == "in":
        assert isinstance(threshold, tuple)
        if not any(_within(value, item) for item in threshold):
            return False
        return None  # a range is never exactly one listed value
    if op not in _OPPOSITE:
        return None
    if _all_hold(op, value, threshold):
        return True
    if _all_hold(_OPPOSITE[op], value, threshold):
        return False
    return None


def _all_hold(op: str, value: Between, threshold: Any) -> bool:
    """Whether `op threshold` holds for every value of the range."""
    low, high = value.low, value.high
    if op == "lte":
        return high is not None and high <= threshold
    if op == "lt":
        return high is not None and (
            high < threshold or (high == threshold and not value.high_inclusive)
        )
    if op == "gte":
        return low is not None and low >= threshold
    if op == "gt":
        return low is not None and (
            low > threshold or (low == threshold and not value.low_inclusive)
        )
    if op == "ne":
        return not _within(value, threshold)
    return False  # eq: a range of more than one value is never all equal to one


def _within(value: Between, item: Any) -> bool:
    low, high = value.low, value.high
    above = low is None or low < item or (value.low_inclusive and low == item)
    below = high is None or item < high or (value.high_inclusive and item == high)
    return bool(above and below)


def _check_profile_date(profile: Profile, on: date) -> None:
    birth = profile.facts.get("birth_date")
    if isinstance(birth, Between):
        birth = birth.low
    if isinstance(birth, date) and birth > on:
        raise ProfileError(
            f"profile: birth_date: {birth.isoformat()} is after the check date {on.isoformat()}"
        )
