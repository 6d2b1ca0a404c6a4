"""Loading and checking a catalog: the document plus its compiled, cross-checked rules.

`load_catalog(path)` reads one YAML/JSON file or every such file in a folder
(their lists are joined), checks the shape (pydantic), then the references:
unique ids, known agencies, parameters without overlapping periods, and every
rule compiled against the vocabulary. Any problem is one `CatalogError` naming
the file, the measure (or rule, agency, parameter) and the path inside it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import ValidationError

from benefits.errors import CatalogError
from benefits.facts import RU_REGIONS
from benefits.model import Agency, CatalogDocument, Measure, Parameter, ParameterValue
from benefits.rules import AllOf, Criterion, Rule, RuleCompiler

DEFAULT_CATALOG = Path(__file__).parent / "data"
CATALOG_SUFFIXES = (".yaml", ".yml", ".json")
LIST_SECTIONS = ("agencies", "parameters", "measures")
MAX_FILE_BYTES = 5_000_000

T = TypeVar("T", Agency, Parameter, Measure)


@dataclass(frozen=True)
class Catalog:
    """A checked catalog, ready for the engine."""

    document: CatalogDocument
    agencies: Mapping[str, Agency]
    parameters: Mapping[str, Parameter]
    measures: Mapping[str, Measure]
    # Compiled eligibility of each measure, by measure id.
    rules: Mapping[str, Rule]

    def measure(self, measure_id: str) -> Measure:
        try:
            return self.measures[measure_id]
        except KeyError:
            raise CatalogError(
                f"unknown measure {measure_id!r} (known: {', '.join(self.measures)})"
            ) from None

    def parameter_value(self, name: str, on: date, region: str | None) -> ParameterValue | None:
        """The value of a parameter in force on a date (in a region, for a regional one)."""
        parameter = self.parameters[name]
        current = [
            item
            for item in parameter.values
            if (not parameter.regional or item.region == region)
            and item.valid_from <= on
            and (item.valid_to is None or on <= item.valid_to)
        ]
        return max(current, key=lambda item: item.valid_from, default=None)


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and check a catalog file, or a folder of them (default: the shipped seed)."""
    path = DEFAULT_CATALOG if path is None else path
    if path.is_dir():
        files = sorted(item for item in path.iterdir() if item.suffix in CATALOG_SUFFIXES)
        if not files:
            raise CatalogError(f"{path}: no catalog files (*.yaml, *.yml, *.json) in the folder")
    elif path.is_file():
        files = [path]
    else:
        raise CatalogError(f"{path}: no such file or folder")
    merged: dict[str, object] = {}
    for file in files:
        _merge(merged, read_data_file(file, CatalogError), file)
    return catalog_from_data(merged, str(path))


def read_data_file(path: Path, error: type[Exception]) -> object:
    """Parse a YAML or JSON file; a problem becomes `error` naming the file and line."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise error(f"{path}: file is larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{path}: cannot read: {problem}") from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as problem:
        raise error(f"{path}: not valid JSON: {problem}") from None
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise error(f"{path}: not valid YAML{where}: {problem}") from None


def _merge(merged: dict[str, object], data: object, file: Path) -> None:
    if data is None:
        return
    if not isinstance(data, dict):
        raise CatalogError(f"{file}: expected a mapping with agencies, parameters, rules, measures")
    for key, value in data.items():
        if key in LIST_SECTIONS and isinstance(value, list):
            existing = merged.setdefault(key, [])
            assert isinstance(existing, list)
            existing.extend(value)
        elif key == "rules" and isinstance(value, dict):
            rules = merged.setdefault("rules", {})
            assert isinstance(rules, dict)
            for name in value:
                if name in rules:
                    raise CatalogError(f"{file}: rules.{name}: the shared rule is defined twice")
            rules.update(value)
        elif key in merged:
            raise CatalogError(f"{file}: {key}: given in more than one file")
        else:
            merged[key] = value


def catalog_from_data(data: object, where: str = "catalog") -> Catalog:
    """Check a parsed catalog (a mapping, e.g. from YAML or the fleet's JSON)."""
    try:
        document = CatalogDocument.model_validate_json(json.dumps(data, default=_json_default))
    except ValidationError as error:
        raise CatalogError(f"{where}: {_describe(error, data)}") from None
    except (TypeError, ValueError) as error:  # json.dumps: something that is not data
        raise CatalogError(f"{where}: not plain data: {error}") from None
    try:
        return build_catalog(document)
    except CatalogError as error:
        raise CatalogError(f"{where}: {error}") from None


def build_catalog(document: CatalogDocument) -> Catalog:
    """Cross-check a document and compile its rules."""
    agencies = _unique("agency", document.agencies)
    parameters = _unique("parameter", document.parameters)
    measures = _unique("measure", document.measures)
    for parameter in parameters.values():
        _check_periods(parameter)
    for measure in measures.values():
        for agency_id in [measure.agency, *measure.other_agencies]:
            if agency_id not in agencies:
                raise CatalogError(
                    f"measure {measure.id}: unknown agency {agency_id!r} "
                    f"(known: {', '.join(agencies) or 'none'})"
                )
    compiler = RuleCompiler(document.rules, parameters)
    for name in document.rules:  # shared rules are checked even when nothing uses them
        compiler.shared_rule(name)
    rules = {measure.id: _measure_rule(compiler, measure) for measure in measures.values()}
    return Catalog(document, agencies, parameters, measures, rules)


def _measure_rule(compiler: RuleCompiler, measure: Measure) -> Rule:
    rule = compiler.compile(measure.eligibility, f"measure {measure.id}")
    if measure.region is None:
        return rule
    # A regional measure applies only in its region, whether or not its rule says so.
    if measure.region not in RU_REGIONS:
        raise CatalogError(f"measure {measure.id}: region: unknown region code {measure.region!r}")
    return AllOf((Criterion("region", "eq", measure.region, None, "region"), rule))


def _unique(what: str, items: list[T]) -> dict[str, T]:
    found: dict[str, T] = {}
    for item in items:
        if item.id in found:
            raise CatalogError(f"{what} {item.id}: the id is used twice")
        found[item.id] = item
    return found


def _check_periods(parameter: Parameter) -> None:
    # Two values in force on the same day would make the answer depend on file order.
    by_region: dict[str | None, list[ParameterValue]] = {}
    for item in parameter.values:
        by_region.setdefault(item.region, []).append(item)
    for region, values in by_region.items():
        ordered = sorted(values, key=lambda item: item.valid_from)
        for before, after in itertools.pairwise(ordered):
            if before.valid_from == after.valid_from or (
                before.valid_to is not None and before.valid_to >= after.valid_from
            ):
                scope = f" in {region}" if region else ""
                raise CatalogError(
                    f"parameter {parameter.id}: values from {before.valid_from} and "
                    f"{after.valid_from}{scope} overlap"
                )


def _describe(error: ValidationError, data: object) -> str:
    problems = []
    for item in error.errors()[:3]:
        location = _location(item["loc"], data)
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{location}: {message}" if location else message)
    more = error.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def _location(loc: tuple[int | str, ...], data: object) -> str:
    # "measures.3.amounts.0" -> "measure ru.nsu: amounts[0]" when the item has an id.
    parts: list[str] = []
    node: object = data
    for key in loc:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and key < len(node) else None
            item_id = node.get("id") if isinstance(node, dict) else None
            if len(parts) == 1 and parts[0] in LIST_SECTIONS and isinstance(item_id, str):
                singular = {"agencies": "agency", "parameters": "parameter", "measures": "measure"}
                parts = [f"{singular[parts[0]]} {item_id}:"]
            else:
                parts[-1] += f"[{key}]"
        else:
            node = node.get(key) if isinstance(node, dict) else None
            parts.append(str(key))
    text = ".".join(parts)
    return text.replace(":.", ": ").rstrip(":")


def _json_default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} {value!r}")
