"""The robots list (online state, battery, who has it) and one robot's page (with the
devices of the home it is in that need attention)."""

from __future__ import annotations

import sqlite_utils
from fastapi import APIRouter, Request
from starlette.responses import Response

from fleet.store.devices import DeviceHealth, resident_devices, robots_with_issues
from fleet.store.incidents import list_incidents
from fleet.store.robots import ROBOT_STATUSES, get_robot, list_robots
from fleet.store.telemetry import telemetry_points
from fleet.web.lookups import residents_by_id
from fleet.web.paging import PAGE_SIZE, page_number, pager
from fleet.web.render import render
from fleet.web.routing import PageRoute
from fleet.web.session import Session, context_of

router = APIRouter(route_class=PageRoute)

# The robot page shows the last readings of this window (about 120 at a 30 s heartbeat).
TELEMETRY_WINDOW_S = 3600.0
TELEMETRY_ROWS = 20
RECENT_INCIDENTS = 10
_ONLINE_FILTER = {"yes": True, "no": False}


@router.get("/robots")
def robots_page(
    request: Request, session: Session, status: str = "", online: str = "", page: str = "1"
) -> Response:
    context = context_of(request)
    db, agency = context.db(), session.agency_id
    number = page_number(page)
    result = list_robots(
        db,
        agency,
        now=context.now(),
        policy=context.presence,
        status=status if status in ROBOT_STATUSES else None,
        online=_ONLINE_FILTER.get(online),
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    values = {
        "robots": result.items,
        "residents": residents_by_id(db, agency, (r.resident_id for r in result.items)),
        "statuses": ROBOT_STATUSES,
        "status": status,
        "online": online,
        "pager": pager(request, number, result.total),
        # The maintenance badge: a device of the robot's home offline, low or in trouble.
        "device_trouble": robots_with_issues(db, (r.id for r in result.items)),
    }
    return render(request, "robots.html", values, session=session)


@router.get("/robots/{robot_id}")
def robot_page(request: Request, robot_id: str, session: Session) -> Response:
    context = context_of(request)
    db, agency, now = context.db(), session.agency_id, context.now()
    robot = get_robot(db, agency, robot_id, now=now, policy=context.presence)  # 404 if not ours
    points = telemetry_points(db, robot.id, since=now - TELEMETRY_WINDOW_S)
    values = {
        "robot": robot,
        "resident": residents_by_id(db, agency, [robot.resident_id]).get(robot.resident_id or 0),
        "telemetry": list(reversed(points[-TELEMETRY_ROWS:])),
        "incidents": list_incidents(db, agency, robot_id=robot.id, limit=RECENT_INCIDENTS).items,
        "device_trouble": _device_trouble(db, agency, robot.id, robot.resident_id),
    }
    return render(request, "robot.html", values, session=session)


def _device_trouble(
    db: sqlite_utils.Database, agency_id: int, robot_id: str, resident_id: int | None
) -> list[DeviceHealth] | None:
    """The home's devices in trouble, as this robot reports them; None: not at a home."""
    if resident_id is None:
        return None
    found = resident_devices(db, agency_id, resident_id)
    return found.with_issues if found.robot_id == robot_id else None
