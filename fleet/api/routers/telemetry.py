"""(being written) telemetry routes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["telemetry"])
