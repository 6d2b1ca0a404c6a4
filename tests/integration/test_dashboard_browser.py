"""The dashboard in a real browser: headless Chromium against the app served by uvicorn.

Chromium is driven over the DevTools protocol with the `websockets` library (no
Playwright or Selenium: they download their own browsers). The test signs in through
the form, then an alert is stored the way the MQTT ingest stores it, and the incident
must appear on the open page without a reload: the live path, end to end.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from fleet.api.security import hash_password
from fleet.app import create_app
from fleet.context import FleetContext
from fleet.protocol import AlertPayload, Telemetry
from fleet.store import open_database, record_alert, record_telemetry
from fleet.store.accounts import create_agency, create_user, signing_key
from fleet.store.rentals import create_rental, hand_over
from fleet.store.residents import create_resident
from fleet.store.robots import create_robot
from homecare.clock import SystemClock
from homecare.settings import FleetSettings
from tests.support import wait_until

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EMAIL = "operator@a.example"
PASSWORD = "Correct-Horse-42"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
    ),
]


# the app, served for real


@dataclass
class LiveFleet:
    url: str
    context: FleetContext
    robot_id: str


@pytest.fixture
def live_fleet(tmp_path: Path) -> Iterator[LiveFleet]:
    """The fleet app on a free loopback port, with one agency, robot, resident and rental."""
    context = _context(tmp_path)
    robot_id = _add_rented_robot(context)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(create_app(context), log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=15, what="uvicorn to start")
        yield LiveFleet(f"http://127.0.0.1:{port}", context, robot_id)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        listener.close()


def _context(tmp_path: Path) -> FleetContext:
    clock = SystemClock()
    db_path = tmp_path / "fleet.db"
    db = open_database(db_path, clock)
    now = clock.now().timestamp()
    agency = create_agency(db, "Agency A", "RU-PER", now)
    create_user(
        db,
        agency,
        email=EMAIL,
        password_hash=hash_password(PASSWORD),
        full_name="Ольга Операторова",
        role="operator",
        now=now,
    )
    key = signing_key(db, now)
    db.conn.close()
    settings = FleetSettings(db_path=db_path)
    return FleetContext(db_path=db_path, clock=clock, settings=settings, signing_key=key)


def _add_rented_robot(context: FleetContext) -> str:
    db, now, agency = context.db(), context.now(), 1
    robot_id = create_robot(
        db,
        agency,
        serial="SN-2026-PERM-000000000001",  # long values must wrap, not widen the page
        model="HomeCare Assistant HC-1 (tablet stand edition)",
        password_hash="not-used-here",
        user_id=None,
        now=now,
    )
    resident_id = create_resident(
        db,
        agency,
        {"full_name": "Мария Ивановна Петрова-Водкина", "address": "Пермь, ул. Ленина, 1"},
        user_id=None,
        now=now,
    )
    rental_id = create_rental(
        db,
        agency,
        robot_id=robot_id,
        resident_id=resident_id,
        starts_on="2026-11-01",
        ends_on="2027-05-01",
        user_id=None,
        now=now,
    )
    hand_over(db, agency, rental_id, user_id=None, now=now)
    reading = Telemetry(ts=now, battery_pct=64.0, charging=True, cpu_temp_c=45.0, uptime_s=600)
    record_telemetry(db, [(robot_id, reading)], now)
    return robot_id


# Chromium over the DevTools protocol


@dataclass
class DevTools:
    """A DevTools connection to the browser, attached to one page (flat sessions)."""

    socket: Connection
    session_id: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    _next_id: int = 0

    def call(self, method: str, timeout: float = 15.0, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session_id:
            message["sessionId"] = self.session_id
        self.socket.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"DevTools did not answer {method} within {timeout} s")
            reply = json.loads(self.socket.recv(timeout=remaining))
            if reply.get("id") != self._next_id:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise AssertionError(f"DevTools {method} failed: {reply['error']}")
            result: dict[str, Any] = reply.get("result", {})
            return result

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} raised {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        path = "/" + url.split("/", 3)[3]
        self.call("Page.navigate", url=url)
        self.wait_for_page(path)

    def wait_for_page(self, path: str) -> None:
        wait_until(
            lambda: (
                self.evaluate("location.pathname + location.search + ' ' + document.readyState")
                == f"{path} complete"
            ),
            timeout=15,
            what=f"the page {path} to load",
        )

    def problems(self) -> list[str]:
        """Script exceptions and console/log errors (a CSP violation shows up here)."""
        found = []
        for event in self.events:
            params = event.get("params", {})
            if event.get("method") == "Runtime.exceptionThrown":
                found.append(str(params.get("exceptionDetails")))
            if event.get("method") == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(str(params["entry"]))
            if event.get("method") == "Runtime.consoleAPICalled" and params["type"] == "error":
                found.append(str(params["args"]))
        return found


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    assert CHROMIUM is not None
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--remote-debugging-port=0",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--window-size=1280,900",
            "about:blank",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its helper processes end with it
    )
    try:
        url = _devtools_url(process, timeout=30)
        with connect(url, max_size=None, open_timeout=15) as socket_:
            tools = DevTools(socket_)
            target = tools.call("Target.createTarget", url="about:blank")["targetId"]
            attached = tools.call("Target.attachToTarget", targetId=target, flatten=True)
            tools.session_id = attached["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                tools.call(f"{domain}.enable")
            yield tools
    finally:
        _stop(process)


def _devtools_url(process: subprocess.Popen[str], timeout: float) -> str:
    """The browser's DevTools address, which Chromium prints on stderr once it listens."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:  # keeps draining stderr, so Chromium never blocks on a full pipe
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        seen.append(line)
        if "DevTools listening on " in line:
            return line.split("DevTools listening on ", 1)[1].strip()
    raise AssertionError(f"Chromium did not start within {timeout} s:\n{''.join(seen)}")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# the test


def test_sign_in_then_a_new_incident_appears_live_and_tablet_width_fits(
    live_fleet: LiveFleet, browser: DevTools
) -> None:
    browser.open(f"{live_fleet.url}/login")
    browser.evaluate(
        f"document.getElementById('email').value = {json.dumps(EMAIL)};"
        f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
        "document.querySelector('form[action=\"/login\"] button').click();"
    )
    browser.wait_for_page("/incidents")
    wait_until(
        lambda: browser.evaluate("document.getElementById('live-status').dataset.state") == "on",
        timeout=15,
        what="the live stream to connect",
    )
    browser.evaluate("window.sameDocument = true")  # gone if the page reloads

    incident_id = _raise_fall(live_fleet)
    card = f"document.querySelector('[data-incident-id=\"{incident_id}\"]')"
    wait_until(
        lambda: browser.evaluate(f"{card} !== null"),
        timeout=15,
        what="the new incident to appear without a reload",
    )
    assert browser.evaluate("window.sameDocument") is True
    assert browser.evaluate(f"{card}.closest('ol').id") == "incidents-open"
    assert browser.evaluate(f"{card}.classList.contains('flash')")
    assert "Мария Ивановна" in browser.evaluate(f"{card}.innerText")
    assert browser.evaluate("document.getElementById('incident-alert').hidden") is False
    wait_until(
        lambda: str(browser.evaluate("document.title")).startswith("(1) "),
        timeout=15,
        what="the title to count the open incident",
    )

    # Acknowledge in the browser: a real form POST with its CSRF token.
    browser.evaluate(f"{card}.querySelector('.ack-button').click()")
    wait_until(
        lambda: browser.evaluate(f"{card} && {card}.dataset.status") == "acknowledged",
        timeout=15,
        what="the incident to be acknowledged",
    )

    for width in (768, 1280):
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=1024,
            deviceScaleFactor=1,
            mobile=False,
        )
        for path in ("/incidents", "/robots", f"/robots/{live_fleet.robot_id}", "/rentals"):
            browser.open(f"{live_fleet.url}{path}")
            overflow = browser.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} is {overflow} px too wide at {width} px"
    assert browser.problems() == []


def _raise_fall(live_fleet: LiveFleet) -> int:
    """Store an alert as the MQTT ingest does (its own connection, committed on return)."""
    context = live_fleet.context
    now = context.now()
    alert = AlertPayload(ts=now, alert_id="fall-0001", kind="fall", severity="critical")
    return record_alert(context.db(), live_fleet.robot_id, alert, now).incident_id


# Counts the tones the page makes (the Web Audio API's oscillators): headless Chromium
# has no speakers to listen to.
_COUNT_TONES = (
    "window.tones = 0;"
    "const make = AudioContext.prototype.createOscillator;"
    "AudioContext.prototype.createOscillator = function () { window.tones++;"
    " return make.call(this); };"
)


def test_the_sound_toggle_is_remembered_and_a_new_critical_incident_beeps(
    live_fleet: LiveFleet, browser: DevTools
) -> None:
    browser.open(f"{live_fleet.url}/login")
    browser.evaluate(
        f"document.getElementById('email').value = {json.dumps(EMAIL)};"
        f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
        "document.querySelector('form[action=\"/login\"] button').click();"
    )
    browser.wait_for_page("/incidents")
    toggle = "document.getElementById('sound-toggle')"
    assert browser.evaluate(f"{toggle}.hidden") is False
    assert browser.evaluate(f"{toggle}.getAttribute('aria-pressed')") == "false"
    browser.evaluate(_COUNT_TONES)
    browser.evaluate(f"{toggle}.click()")  # a click: the browser lets the page play sound
    assert browser.evaluate(f"{toggle}.getAttribute('aria-pressed')") == "true"
    assert browser.evaluate("window.tones") == 3  # a sample beep, so the operator knows it

    browser.open(f"{live_fleet.url}/incidents")  # a new page remembers the choice
    assert browser.evaluate(f"{toggle}.getAttribute('aria-pressed')") == "true"
    browser.evaluate(_COUNT_TONES)
    wait_until(
        lambda: browser.evaluate("document.getElementById('live-status').dataset.state") == "on",
        timeout=15,
        what="the live stream to connect",
    )
    _raise_fall(live_fleet)
    wait_until(lambda: browser.evaluate("window.tones") == 3, timeout=15, what="the alarm beep")
    assert browser.problems() == []
