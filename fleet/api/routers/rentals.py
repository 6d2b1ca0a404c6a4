"""(being written) rentals routes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["rentals"])
