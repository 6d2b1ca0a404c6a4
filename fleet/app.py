"""The fleet's web application: the API under /api/v1 and the dashboard."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from fleet import web
from fleet.api.limits import BodySizeLimit
from fleet.api.routers import (
    appointments,
    audit,
    auth,
    benefits,
    consultations,
    devices,
    escalation,
    incidents,
    metrics,
    reminders,
    rentals,
    residents,
    robots,
    telemetry,
    users,
)
from fleet.context import FleetContext
from homecare import __version__

API_PREFIX = "/api/v1"


def create_app(context: FleetContext) -> FastAPI:
    app = FastAPI(
        title="homecare fleet",
        version=__version__,
        description="Agencies manage their rented home-care robots, residents, rentals, "
        "telemetry and incidents. Every object belongs to one agency; a user sees only "
        "their agency's objects (others answer 404).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.context = context
    for module in (
        auth, users, robots, residents, reminders, benefits, appointments, rentals, telemetry,
        incidents, escalation, metrics, audit, consultations, devices,
    ):  # fmt: skip
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(web.router)
    app.add_middleware(BodySizeLimit)
    app.add_exception_handler(RequestValidationError, _validation_error)
    return app


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    """422 naming each wrong field; 400 when the body is not JSON at all."""
    assert isinstance(error, RequestValidationError)
    errors: list[dict[str, Any]] = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in error.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return JSONResponse(
            status_code=status.HTTP_400_BAD_REQUEST,
            content={"detail": "the request body is not valid JSON"},
        )
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content=jsonable_encoder({"detail": errors}),
    )
