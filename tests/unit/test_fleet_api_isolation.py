"""Tenant isolation: every API route that names an object answers 404 for another agency's.

The routes are read from the app itself, so a route added later is covered without
touching this file, unless it names a kind of object the test does not know: then the
test fails and says which (add the kind to `_make_objects` and `_PARAMS`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from fleet.calls import CallHub
from fleet.mqtt_passwords import hash_mqtt_password
from fleet.protocol import AlertPayload
from fleet.store import record_alert
from fleet.store.rentals import create_rental, get_rental
from fleet.store.residents import create_resident, get_resident
from fleet.store.robots import create_robot, get_robot
from fleet.store.staff import add_user
from tests.fleet_api import Fleet, password_hash
from tests.unit.test_fleet_api_appointments import make_appointment_objects
from tests.unit.test_fleet_api_benefits import make_benefit_objects

API = "/api/v1"
_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
# Path parameter -> kind of object it names (the keys of `_make_objects`' answer).
_PARAMS = {
    "rid": "robot",
    "robot_id": "robot",
    "resident_id": "resident",
    "rental_id": "rental",
    "incident_id": "incident",
    "user_id": "user",
    "measure_id": "measure",
    "benefits_agency_id": "benefits_agency",
    "parameter_id": "parameter",
    "specialist_id": "specialist",
    "slot_id": "slot",
    "appointment_id": "appointment",
    "complaint_id": "complaint",
    "consultation_id": "consultation",
}
# Ids that exist in no agency, to compare "another agency's" with "missing".
_MISSING = {"robot": "r-missing000", "resident": "987654", "rental": "987654",
            "incident": "987654", "user": "987654", "measure": "test.missing",
            "benefits_agency": "test.missing", "parameter": "test.missing",
            "specialist": "987654", "slot": "987654", "appointment": "987654",
            "complaint": "987654", "consultation": "987654"}  # fmt: skip
# A request body the schema-derived sample cannot make valid: (method, path) -> body.
_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    # A chain needs one step (the schema's sample would send none).
    ("PUT", f"{API}/residents/{{resident_id}}/escalation"): {
        "steps": [{"who": "operator_on_duty", "channel": "webhook", "deadline_s": 60}]
    },
}
# A request body that names another object of the same set: (method, path) -> body maker.
_OBJECT_BODIES: dict[tuple[str, str], Callable[[dict[str, str]], dict[str, Any]]] = {
    # Booking names a free slot of the agency (the sample would name slot 1).
    ("POST", f"{API}/residents/{{resident_id}}/appointments"): lambda objects: {
        "slot_id": int(objects.get("slot", "987654"))
    },
}
_serials = itertools.count(1)


@pytest.fixture(autouse=True)
def _calls_reach_robots(fleet: Fleet) -> None:
    """The call routes need the fleet's broker: a hub whose messages go nowhere."""
    fleet.context.calls = CallHub(fleet.context.settings.telepresence, _nowhere, lambda: True)


def _nowhere(topic: str, payload: bytes, qos: int, retain: bool) -> None:
    pass


def _api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every API route, however this FastAPI version nests routers."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    routes: list[Any] = list(iterate(app.routes)) if iterate else list(app.routes)
    found: set[tuple[str, str]] = set()
    for route in routes:
        original = getattr(route, "original_route", route)
        path = getattr(route, "path", "")
        if isinstance(original, APIRoute) and path.startswith(API + "/"):
            found.update((method, path) for method in route.methods or ())
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert documented <= found, f"routes the enumeration missed: {documented - found}"
    return sorted(found)


def _object_routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = [(m, p) for m, p in _api_routes(app) if _PARAM.search(p) and m != "HEAD"]
    unknown = {(m, p) for m, p in routes if set(_PARAM.findall(p)) - set(_PARAMS)}
    assert not unknown, (
        f"routes with path parameters this isolation test does not know: {sorted(unknown)}; "
        "teach _PARAMS and _make_objects which object they name"
    )
    return routes


def _make_objects(fleet: Fleet, agency_id: int) -> dict[str, str]:
    """One robot, resident, rental (planned) and incident of `agency_id`, as path values."""
    db, now = fleet.context.db(), fleet.context.now()
    serial = f"ISO-{next(_serials)}"
    robot_id = create_robot(
        db, agency_id, serial=serial, model="HC2", password_hash=hash_mqtt_password("x"),
        user_id=None, now=now,
    )  # fmt: skip
    resident_id = create_resident(db, agency_id, {"full_name": "Анна"}, user_id=None, now=now)
    rental_id = create_rental(
        db, agency_id, robot_id=robot_id, resident_id=resident_id, starts_on="2026-12-01",
        user_id=None, now=now,
    )  # fmt: skip
    alert = AlertPayload(alert_id=f"iso-{serial}", kind="fall", severity="critical", ts=now)
    incident_id = record_alert(db, robot_id, alert, now).incident_id
    user_id = add_user(
        db, agency_id, email=f"staff-{serial}@example.org", password_hash=password_hash(),
        full_name="Staff", role="caregiver", by_user_id=None, now=now,
    )  # fmt: skip
    # A resident's request to be called back (as the MQTT ingest stores one).
    consultation_id = db.execute(
        "INSERT INTO consultations (agency_id, resident_id, robot_id, origin, state, created_at,"
        " updated_at) VALUES (?, ?, ?, 'voice', 'requested', ?, ?)",
        (agency_id, resident_id, robot_id, now, now),
    ).lastrowid
    db.conn.commit()
    return {
        "user": str(user_id),
        "consultation": str(consultation_id),
        "robot": robot_id,
        "resident": str(resident_id),
        "rental": str(rental_id),
        "incident": str(incident_id),
        **make_benefit_objects(db, agency_id, now),
        **make_appointment_objects(db, agency_id, resident_id, now),
    }


def _url(path: str, objects: dict[str, str]) -> str:
    return _PARAM.sub(lambda match: objects[_PARAMS[match.group(1)]], path)


def _sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A minimal value the JSON schema accepts (required fields only)."""
    schema = _resolve(schema, components)
    fixed = [schema[key] for key in ("const", "default") if key in schema]
    if fixed or "enum" in schema:
        return [*fixed, *schema.get("enum", [])][0]
    if schema.get("type") == "object":
        properties = schema.get("properties", {})
        return {name: _sample(properties[name], components) for name in schema.get("required", [])}
    simple = {"integer": 1, "number": 1.0, "boolean": False, "array": [], "null": None}
    if schema.get("type") in simple:
        return simple[schema["type"]]
    formats = {"date": "2026-12-02", "date-time": "2026-12-02T09:00:00Z"}
    return formats.get(schema.get("format", ""), "a" * max(1, schema.get("minLength", 1)))


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref`s and take the first non-null choice of anyOf/oneOf/allOf."""
    while True:
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
            continue
        choices = next((schema[k] for k in ("anyOf", "oneOf", "allOf") if k in schema), None)
        if choices is None:
            return schema
        schema = next((s for s in choices if s.get("type") != "null"), choices[0])


def _request_parts(app: FastAPI, method: str, path: str) -> dict[str, Any]:
    """A JSON body and query parameters that pass validation, so the answer is about the id."""
    schema = app.openapi()
    components = schema.get("components", {}).get("schemas", {})
    operation = schema["paths"].get(path, {}).get(method.lower(), {})
    parts: dict[str, Any] = {}
    query = {
        parameter["name"]: _sample(parameter.get("schema", {}), components)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and parameter.get("required")
    }
    if query:
        parts["params"] = query
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if (method, path) in _BODIES:
        parts["json"] = _BODIES[(method, path)]
    elif body is not None:
        parts["json"] = _sample(body["schema"], components)
    return parts


def _app(fleet: Fleet) -> FastAPI:
    app = fleet.client.app
    assert isinstance(app, FastAPI)
    return app


def _call(
    fleet: Fleet, headers: dict[str, str], method: str, path: str, objects: dict[str, str]
) -> httpx.Response:
    parts = _request_parts(_app(fleet), method, path)
    if (method, path) in _OBJECT_BODIES:
        parts["json"] = _OBJECT_BODIES[(method, path)](objects)
    response: httpx.Response = fleet.client.request(
        method, _url(path, objects), headers=headers, **parts
    )
    return response


def _same_words(detail: object, object_id: str) -> str:
    return re.sub(rf"(?<![\w-]){re.escape(object_id)}(?![\w-])", "<id>", str(detail))


def test_the_enumeration_finds_the_routes_of_every_kind(fleet: Fleet) -> None:
    routes = _object_routes(_app(fleet))
    paths = {path for _, path in routes}
    assert {f"{API}/robots/{{rid}}", f"{API}/residents/{{resident_id}}",
            f"{API}/rentals/{{rental_id}}/return"} <= paths  # fmt: skip
    assert ("DELETE", f"{API}/residents/{{resident_id}}") in routes


def test_another_agency_gets_404_on_every_route_naming_an_object(fleet: Fleet) -> None:
    a_objects = _make_objects(fleet, fleet.agency_a)
    _make_objects(fleet, fleet.agency_b)  # B has objects of its own: ids are not simply absent
    b_admin = fleet.headers("admin@b.example")
    failures = []
    for method, path in _object_routes(fleet.client.app):  # type: ignore[arg-type]
        foreign = _call(fleet, b_admin, method, path, a_objects)
        missing = _call(fleet, b_admin, method, path, _MISSING)
        kinds = [_PARAMS[name] for name in _PARAM.findall(path)]
        if foreign.status_code != 404:
            failures.append(f"{method} {path}: {foreign.status_code} {foreign.text[:200]}")
        elif _same_words(foreign.json(), a_objects[kinds[-1]]) != _same_words(
            missing.json(), _MISSING[kinds[-1]]
        ):
            failures.append(f"{method} {path}: {foreign.json()} differs from {missing.json()}")
    assert not failures, "\n".join(failures)
    _assert_untouched(fleet, a_objects)


def _assert_untouched(fleet: Fleet, objects: dict[str, str]) -> None:
    db, agency = fleet.context.db(), fleet.agency_a
    assert get_robot(db, agency, objects["robot"], now=fleet.context.now()).status == "in_stock"
    assert get_resident(db, agency, int(objects["resident"])).full_name == "Анна"
    assert get_rental(db, agency, int(objects["rental"])).status == "planned"


def test_the_owning_agency_is_not_refused_on_the_same_routes(fleet: Fleet) -> None:
    """The control: the same calls as A's admin find the objects (so the test above can fail)."""
    headers = fleet.headers("admin@a.example")
    failures = []
    for method, path in _object_routes(fleet.client.app):  # type: ignore[arg-type]
        objects = _make_objects(fleet, fleet.agency_a)  # fresh: an earlier call may erase one
        response = _call(fleet, headers, method, path, objects)
        if response.status_code == 404 or response.status_code >= 500:
            failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
        elif response.status_code == 422:
            failures.append(
                f"{method} {path}: 422 {response.text[:200]}; give a valid body in _BODIES"
            )
    assert not failures, "\n".join(failures)
