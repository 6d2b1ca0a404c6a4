"""The safety chain end to end in the demo: a fall on video -> voice check -> alert ->
incident at the fleet -> acknowledged by a person."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from tests.integration.test_cli import HOMECARE, dashboard_login
from tests.support import wait_until


def test_a_fall_on_camera_becomes_an_incident_an_operator_acknowledges(clips: Path) -> None:
    process = subprocess.Popen(
        [*HOMECARE, "demo", "--headless", "--duration", "45",
         "--camera", str(clips / "fall-01-cam0.mp4"), "--camera-crop", "320,0,320,240"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "300", "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        login = dashboard_login(process)
        client = httpx.Client(base_url=login["url"], timeout=10)
        form = {"username": login["email"], "password": login["password"]}
        token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"

        def critical() -> list[dict[str, object]]:
            items = client.get("/api/v1/incidents").json()["items"]
            return [i for i in items if i["severity"] == "critical"]

        # The guardian waits its 30 s confirmation window for an answer that never comes.
        wait_until(lambda: bool(critical()), timeout=60, what="the fall's incident")
        incident = critical()[0]
        assert incident["kind"] in {"fall", "no_response"}
        acked = client.post(f"/api/v1/incidents/{incident['id']}/ack")
        assert acked.status_code == 200, acked.text
        assert acked.json()["status"] == "acknowledged"
    finally:
        stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "down" in stdout and "ALERT" in stdout
