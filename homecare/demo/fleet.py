"""The demo's fleet: a fresh fleet service with its embedded broker, and the demo robot in it.

The robot is provisioned the way an agency does it, through the HTTP API: an
admin signs in, registers the robot (getting its MQTT password), adds the
resident and hands the robot over in a rental.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from homecare.clock import Clock, SystemClock
from homecare.errors import HomecareError
from homecare.settings import Settings

DEMO_ADMIN_EMAIL = "demo@homecare.example"


@dataclass(frozen=True)
class DemoRobot:
    id: str
    broker_url: str  # with the robot's credentials, as fleet_link takes it
    resident_id: int = 0  # the resident it is rented to


@dataclass(frozen=True)
class DemoLogin:
    url: str
    email: str
    password: str


class DemoFleet:
    """Start with `start()`, stop with `stop()`; everything lives under `folder`."""

    def __init__(
        self, settings: Settings, folder: Path, lang: str, clock: Clock | None = None
    ) -> None:
        self.settings, self.folder, self.lang = settings, folder, lang
        # A simulation runs the fleet on its own simulated clock, like the robot.
        self.clock: Clock = clock or SystemClock()
        # 20 URL-safe characters: strong by our rules without needing every character class.
        self.password = secrets.token_urlsafe(15)
        self._service: Any = None

    def start(
        self, reminders: dict[str, Any] | None = None, devices: dict[str, Any] | None = None
    ) -> tuple[DemoLogin, DemoRobot]:
        """`reminders`: the resident's schedule; `devices`: the home's device registry
        (`cfg/devices`); both set through the API, so the robot gets them."""
        from fleet.service import FleetService
        from fleet.setup import init_fleet

        # A fresh fleet each run, so the printed login always works.
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        fleet_settings = self.settings.fleet.model_copy(
            update={
                "db_path": self.folder / "fleet.db",
                "port": _free_port_or(self.settings.fleet.host, self.settings.fleet.port),
                "embedded_mqtt_port": 0,
                "mqtt_url": None,
                # The demo robot reports every 30 simulated s: 0.5 s of wall time at 60x.
                "heartbeat_s": 30.0,
            }
            # On a simulated clock an hour passes in seconds: let a dashboard login last
            # a simulated week, so a person can watch the run.
            | ({} if isinstance(self.clock, SystemClock) else {"token_ttl_minutes": 7 * 24 * 60})
        )
        clock = self.clock
        init_fleet(
            fleet_settings.db_path,
            clock,
            admin_email=DEMO_ADMIN_EMAIL,
            admin_password=self.password,
            agency_name="Perm social services (demo)",
            admin_name="Demo administrator",
        )
        service = FleetService(fleet_settings, clock)
        service.start()
        self._service = service
        service.serve_in_background()
        login = DemoLogin(service.url, DEMO_ADMIN_EMAIL, self.password)
        return login, self._provision(service, reminders, devices)

    def stop(self) -> None:
        if self._service is not None:
            self._service.stop()
            self._service = None

    def _provision(
        self, service: Any, reminders: dict[str, Any] | None, devices: dict[str, Any] | None
    ) -> DemoRobot:
        api = _Api(service.url)
        api.sign_in(DEMO_ADMIN_EMAIL, self.password)
        robot = api.post("/robots", {"serial": "HC-DEMO-0001", "model": "homecare-sim"})
        resident = api.post(
            "/residents",
            {
                "full_name": "Мария Ивановна Петрова" if self.lang == "ru" else "Maria Petrova",
                "address": "Пермь, ул. Ленина, 1" if self.lang == "ru" else "Perm, Lenina st. 1",
                "language": self.lang,
                "birth_date": "1941-03-08",
                "disability_group": 2,
            },
        )
        if reminders is not None:
            api.put(f"/residents/{resident['id']}/reminders", reminders)
        if devices is not None:
            api.put(f"/residents/{resident['id']}/devices", devices)
        self._add_specialist(api)
        rental = api.post(
            "/rentals",
            {"robot_id": robot["id"], "resident_id": resident["id"], "starts_on": self._today()},
        )
        api.post(f"/rentals/{rental['id']}/handover", {})
        broker = service.broker_address
        user = urllib.parse.quote(robot["mqtt_username"], safe="")
        password = urllib.parse.quote(robot["mqtt_password"], safe="")
        url = f"mqtt://{user}:{password}@{broker.host}:{broker.port}"
        return DemoRobot(id=robot["id"], broker_url=url, resident_id=int(resident["id"]))

    def _today(self) -> str:
        zone = ZoneInfo(self.settings.robot.timezone)
        return self.clock.now().astimezone(zone).date().isoformat()

    def _add_specialist(self, api: _Api) -> None:
        """A social worker with free times from tomorrow on, for booking by voice."""
        ru = self.lang == "ru"
        specialist = api.post(
            "/specialists",
            {
                "name": "Ольга Сергеевна Попова" if ru else "Olga Popova",
                "role": "социальный работник" if ru else "social worker",
            },
        )
        zone = ZoneInfo(self.settings.robot.timezone)
        tomorrow = self.clock.now().astimezone(zone).date() + timedelta(days=1)
        for hour in (10, 11):
            start = datetime.combine(tomorrow, time(hour), tzinfo=zone)
            api.post(
                f"/specialists/{specialist['id']}/slots",
                {"starts_at": start.isoformat(), "duration_min": 30, "weeks": 4,
                 "place": "Пермь, ул. Ленина, 10, каб. 5" if ru else "Perm, Lenina st. 10"},
            )  # fmt: skip


class _Api:
    """A few calls to the fleet's HTTP API with the standard library (no client extra)."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url + "/api/v1"
        self.token = ""

    def sign_in(self, email: str, password: str) -> None:
        form = urllib.parse.urlencode({"username": email, "password": password}).encode()
        answer = self._send("/auth/token", form, "application/x-www-form-urlencoded")
        self.token = answer["access_token"]

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._send(path, json.dumps(body).encode(), "application/json")

    def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._send(path, json.dumps(body).encode(), "application/json", method="PUT")

    def _send(
        self, path: str, data: bytes, content_type: str, method: str = "POST"
    ) -> dict[str, Any]:
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", content_type)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer: dict[str, Any] = json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise HomecareError(
                f"demo fleet: {method} {path} answered {error.code}: {detail}"
            ) from None
        return answer


def _free_port_or(host: str, preferred: int) -> int:
    """`preferred` if free (the documented URL), else any free port (a second demo running)."""
    with socket.socket() as probe:
        try:
            probe.bind((host, preferred))
            return preferred
        except OSError:
            probe.bind((host, 0))
            return int(probe.getsockname()[1])
