"""Small catalogs built in code for the benefits tests (helpers only, no tests here)."""

from __future__ import annotations

import copy
from typing import Any

from benefits.catalog import Catalog, catalog_from_data

TEXT = {"ru": "т", "en": "t"}
SOURCE = {"url": "https://example.org/src", "checked_on": "2026-11-23"}


def agency(agency_id: str = "a") -> dict[str, Any]:
    return {"id": agency_id, "name": TEXT, "kind": "mfc", "does": TEXT}


def measure(rule: object, measure_id: str = "m.x", **extra: object) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": measure_id,
        "title": TEXT,
        "summary": TEXT,
        "type": "payment",
        "level": "federal",
        "agency": "a",
        "legal_basis": [{"act": {"ru": "Закон", "en": "Law"}}],
        "how_to_apply": {"automatic": False, "channels": ["mfc"]},
        "eligibility": rule,
    }
    item.update(extra)
    return item


def document(
    rule: object,
    rules: dict[str, object] | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "agencies": [agency()],
        "parameters": copy.deepcopy(parameters or []),
        "rules": copy.deepcopy(rules or {}),
        "measures": [measure(copy.deepcopy(rule))],
    }


def catalog_of(
    rule: object,
    rules: dict[str, object] | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> Catalog:
    return catalog_from_data(document(rule, rules, parameters))


def criterion(fact: str, op: str, value: object) -> dict[str, object]:
    return {"fact": fact, "op": op, "value": value}
