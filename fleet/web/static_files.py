"""The dashboard's own CSS and JS, served by the app itself (no CDN: sites may be offline)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from fleet.web.errors import PageNotFoundError
from fleet.web.routing import PageRoute

router = APIRouter(route_class=PageRoute)

STATIC_DIR = Path(__file__).parent / "static"
# Only these names are served: a path from the URL never reaches the file system.
_FILES = {
    "dashboard.css": "text/css",
    "dashboard.js": "text/javascript",
    "consultation.js": "text/javascript",
}


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    media_type = _FILES.get(name)
    if media_type is None:
        raise PageNotFoundError()
    # Pages link `?v=<version>`, so a new release is fetched anew; revalidate otherwise.
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=headers)
