"""Eligibility rules as data, and their compiler.

A rule is JSON an agency can edit without code:

    {"all": [rule, ...]}          every part holds
    {"any": [rule, ...]}          at least one part holds
    {"not": rule}                 the part does not hold
    {"rule": "name"}              a shared named rule of the catalog
    {"fact": "age", "op": "gte", "value": 80}
    {"fact": "per_capita_income_rub", "op": "lte",
     "param": "subsistence_minimum_pensioner", "times": "ru.home_services_income_multiplier"}

`times` is a number or the id of a `ratio` parameter. Compiling checks every
name against the fact vocabulary, the operators, the parameters and the shared
rules (with cycles), and every constant against its fact's type; an error names
the measure (or shared rule) and the path inside the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, get_args

from benefits.errors import CatalogError, ProfileError
from benefits.facts import FACTS, FactValue, check_fact_value
from benefits.model import Parameter

Op = Literal["eq", "ne", "in", "gte", "lte", "gt", "lt", "contains", "is_null"]
OPS: tuple[str, ...] = get_args(Op)
ORDER_OPS = frozenset({"gte", "lte", "gt", "lt"})
# Which operators suit which kind of fact.
OPS_FOR_KIND: dict[str, frozenset[str]] = {
    "date": frozenset({"eq", "ne", "in", *ORDER_OPS}),
    "age": frozenset({"eq", "ne", "in", *ORDER_OPS}),
    "group": frozenset({"eq", "ne", "in", *ORDER_OPS, "is_null"}),
    "money": frozenset({"eq", "ne", *ORDER_OPS}),
    "region": frozenset({"eq", "ne", "in"}),
    "bool": frozenset({"eq", "ne"}),
    "titles": frozenset({"contains"}),
}
# A parameter may stand for the value of these kinds only, in this unit.
PARAM_UNIT_FOR_KIND = {"money": "rub", "age": "years"}
MAX_DEPTH = 30

_Fail = Callable[[str], CatalogError]


@dataclass(frozen=True)
class ParamRef:
    """A threshold taken from a dated parameter, optionally scaled."""

    name: str
    times: Decimal | str | None = None  # a number, or the id of a ratio parameter


@dataclass(frozen=True)
class Criterion:
    fact: str
    op: Op
    value: FactValue | tuple[FactValue, ...] = None
    param: ParamRef | None = None
    path: str = ""


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Rule, ...]
    path: str = ""


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Rule, ...]
    path: str = ""


@dataclass(frozen=True)
class Not:
    part: Rule
    path: str = ""


@dataclass(frozen=True)
class Named:
    """A reference to a shared rule, kept so explanations can name it."""

    name: str
    rule: Rule
    path: str = ""


Rule = Criterion | AllOf | AnyOf | Not | Named


class RuleCompiler:
    """Compiles raw rules of one catalog; shared rules are compiled once, cycles refused."""

    def __init__(self, shared: Mapping[str, object], parameters: Mapping[str, Parameter]) -> None:
        self._shared = shared
        self._parameters = parameters
        self._done: dict[str, Rule] = {}
        self._visiting: list[str] = []

    def shared_rule(self, name: str) -> Rule:
        """The compiled shared rule `name` (raises CatalogError if it or a part is wrong)."""
        if name in self._done:
            return self._done[name]
        if name in self._visiting:
            cycle = " -> ".join([*self._visiting[self._visiting.index(name) :], name])
            raise CatalogError(f"rule {self._visiting[0]}: rules refer to each other in a cycle: "
                               f"{cycle}")  # fmt: skip
        self._visiting.append(name)
        try:
            compiled = self._node(self._shared[name], f"rule {name}", "", 0)
        finally:
            self._visiting.pop()
        self._done[name] = compiled
        return compiled

    def compile(self, raw: object, owner: str, path: str = "eligibility") -> Rule:
        """Compile one rule; `owner` names where it lives ("measure ru.nsu") for errors."""
        return self._node(raw, owner, path, 0)

    def _node(self, raw: object, owner: str, path: str, depth: int) -> Rule:
        def fail(message: str) -> CatalogError:
            return CatalogError(f"{owner}: {path or 'rule'}: {message}")

        if depth > MAX_DEPTH:
            raise fail(f"rule is nested deeper than {MAX_DEPTH} levels")
        if not isinstance(raw, Mapping):
            raise fail(f"expected a rule (a mapping), got {type(raw).__name__}")
        kinds = [key for key in ("all", "any", "not", "rule", "fact") if key in raw]
        if len(kinds) != 1:
            raise fail(
                "a rule has exactly one of all, any, not, rule, fact "
                f"(found {', '.join(map(str, raw)) or 'nothing'})"
            )
        kind = kinds[0]
        if kind == "fact":
            return self._criterion(raw, owner, path, fail)
        extra = set(map(str, raw)) - {kind}
        if extra:
            raise fail(f"unexpected key {sorted(extra)[0]!r} next to {kind!r}")
        body = raw[kind]
        if kind == "not":
            return Not(self._node(body, owner, _join(path, "not"), depth + 1), path)
        if kind == "rule":
            if not isinstance(body, str) or body not in self._shared:
                known = ", ".join(sorted(self._shared)) or "none"
                raise fail(f"unknown shared rule {body!r} (known: {known})")
            return Named(body, self.shared_rule(body), path)
        if not isinstance(body, list) or not body:
            raise fail(f"{kind!r} needs a non-empty list of rules")
        parts = tuple(
            self._node(item, owner, f"{_join(path, kind)}[{index}]", depth + 1)
            for index, item in enumerate(body)
        )
        return AllOf(parts, path) if kind == "all" else AnyOf(parts, path)

    def _criterion(
        self, raw: Mapping[object, object], owner: str, path: str, fail: _Fail
    ) -> Criterion:
        extra = set(map(str, raw)) - {"fact", "op", "value", "param", "times"}
        if extra:
            raise fail(f"unexpected key {sorted(extra)[0]!r} in a criterion")
        fact, op = raw.get("fact"), raw.get("op")
        if not isinstance(fact, str) or fact not in FACTS:
            raise fail(f"unknown fact {fact!r} (known: {', '.join(FACTS)})")
        if not isinstance(op, str) or op not in OPS:
            raise fail(f"unknown operator {op!r} (known: {', '.join(OPS)})")
        kind = FACTS[fact].kind
        if op not in OPS_FOR_KIND[kind]:
            allowed = ", ".join(sorted(OPS_FOR_KIND[kind]))
            raise fail(f"operator {op!r} does not suit fact {fact!r} (use {allowed})")
        checked_op: Op = op  # type: ignore[assignment]  # checked against OPS above
        if "param" in raw:
            if "value" in raw:
                raise fail("give either value or param, not both")
            param = self._param_ref(raw, fact, op, fail)
            return Criterion(fact, checked_op, None, param, path)
        if "times" in raw:
            raise fail("times only goes with param")
        if op == "is_null":
            flag = raw.get("value", True)
            if not isinstance(flag, bool):
                raise fail(f"value of is_null is true or false, got {flag!r}")
            return Criterion(fact, checked_op, flag, None, path)
        if "value" not in raw:
            raise fail("a criterion needs a value or a param")
        value = self._constant(raw["value"], fact, op, f"{owner}: {path}.value", fail)
        return Criterion(fact, checked_op, value, None, path)

    @staticmethod
    def _constant(
        value: object, fact: str, op: str, where: str, fail: _Fail
    ) -> FactValue | tuple[FactValue, ...]:
        """A rule's constant, checked as a value of its fact (a list of them for `in`)."""
        try:
            if op == "in":
                if not isinstance(value, list) or not value:
                    raise fail("value of 'in' is a non-empty list")
                return tuple(
                    check_fact_value(fact, item, f"{where}[{i}]") for i, item in enumerate(value)
                )
            if op == "contains":
                title = check_fact_value(fact, [value], where)
                assert isinstance(title, tuple)
                return title[0]
            return check_fact_value(fact, value, where)
        except ProfileError as error:
            raise CatalogError(str(error)) from None

    def _param_ref(self, raw: Mapping[object, object], fact: str, op: str, fail: _Fail) -> ParamRef:
        name = raw["param"]
        kind = FACTS[fact].kind
        unit = PARAM_UNIT_FOR_KIND.get(kind)
        if unit is None or op not in ORDER_OPS | {"eq", "ne"}:
            raise fail(f"a parameter cannot stand for the value of {fact!r} with {op!r}")
        parameter = self._parameters.get(name) if isinstance(name, str) else None
        if parameter is None:
            known = ", ".join(sorted(self._parameters)) or "none"
            raise fail(f"unknown parameter {name!r} (known: {known})")
        if parameter.unit != unit:
            raise fail(f"parameter {name!r} is in {parameter.unit}, but {fact!r} needs {unit}")
        times = raw.get("times")
        if times is None:
            return ParamRef(parameter.id)
        if isinstance(times, str):
            ratio = self._parameters.get(times)
            if ratio is None or ratio.unit != "ratio":
                raise fail(f"times {times!r} is neither a number nor a ratio parameter")
            return ParamRef(parameter.id, times)
        if isinstance(times, bool) or not isinstance(times, int | float) or times <= 0:
            raise fail(f"times must be a positive number or a ratio parameter, got {times!r}")
        return ParamRef(parameter.id, Decimal(str(times)))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def facts_used(rule: Rule) -> set[str]:
    """Every fact a rule looks at (through shared rules too)."""
    match rule:
        case Criterion():
            return {rule.fact}
        case AllOf() | AnyOf():
            return set().union(*(facts_used(part) for part in rule.parts))
        case Not():
            return facts_used(rule.part)
        case Named():
            return facts_used(rule.rule)
