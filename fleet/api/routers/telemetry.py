"""A robot's telemetry series: raw readings, and downsampled buckets for older times."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from fleet.api.deps import Context, CurrentUser, Db
from fleet.api.schemas import NOT_FOUND, SIGNED_IN
from fleet.api.timestamps import Moment, iso_utc
from fleet.protocol import ID_PATTERN
from fleet.store.telemetry import TelemetryPoint, robot_in_agency, telemetry_points

router = APIRouter(
    prefix="/robots/{rid}/telemetry", tags=["telemetry"], responses={**SIGNED_IN, **NOT_FOUND}
)

DEFAULT_WINDOW_S = 24 * 3600.0
MAX_POINTS = 10_000


class Point(BaseModel):
    ts: str = Field(description="ISO 8601 UTC; for a bucket, its start.")
    epoch: float = Field(description="The same moment in seconds since the epoch.")
    battery_pct: float | None
    charging: bool | None
    cpu_temp_c: float | None
    uptime_s: float | None
    downsampled: bool = Field(description="A bucket of older readings, not one reading.")
    samples: int = Field(description="Readings this point stands for (1 for a raw one).")
    battery_min: float | None = Field(description="Lowest battery in a bucket; null if raw.")


class Series(BaseModel):
    robot_id: str
    since: str
    until: str | None
    points: list[Point]
    next_since: float | None = Field(
        description="More points exist: ask again with this `since` (epoch seconds)."
    )


RobotId = Annotated[str, Path(pattern=ID_PATTERN, description="The robot's id.")]


@router.get("", summary="A robot's telemetry, oldest first")
def robot_telemetry(
    rid: RobotId,
    *,
    user: CurrentUser,
    context: Context,
    db: Db,
    since: Annotated[
        Moment | None,
        Query(description="From (inclusive): ISO 8601 or epoch seconds; default 24 h ago."),
    ] = None,
    until: Annotated[
        Moment | None, Query(description="Up to (exclusive): ISO 8601 or epoch seconds.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_POINTS)] = 1000,
) -> Series:
    if not robot_in_agency(db, rid, user.agency_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"robot {rid} not found")
    start = since if since is not None else context.now() - DEFAULT_WINDOW_S
    if until is not None and until <= start:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail="`until` must be later than `since`"
        )
    points = telemetry_points(db, rid, since=start, until=until, limit=limit + 1)
    more = len(points) > limit
    return Series(
        robot_id=rid,
        since=iso_utc(start),
        until=iso_utc(until) if until is not None else None,
        points=[_point(point) for point in points[:limit]],
        next_since=points[limit].ts if more else None,
    )


def _point(point: TelemetryPoint) -> Point:
    return Point(
        ts=iso_utc(point.ts),
        epoch=point.ts,
        battery_pct=point.battery_pct,
        charging=point.charging,
        cpu_temp_c=point.cpu_temp_c,
        uptime_s=point.uptime_s,
        downsampled=point.downsampled,
        samples=point.samples,
        battery_min=point.battery_min,
    )
