"""(being written) The dashboard: server-rendered pages behind login."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
