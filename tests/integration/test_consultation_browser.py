"""A video consultation end to end: a real headless Chromium is the specialist.

The fleet service runs for real (HTTP, WebSocket signalling, its embedded broker);
the robot runs its consultation nodes (fleet_link, dialog, tts, telepresence) with
the simulated home's camera and a simulated resident who answers "accept?" by voice.
Chromium is driven with Playwright using the system browser (never a downloaded
one), with fake camera and microphone devices.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from fleet.store.consultations import consultation_events, get_consultation
from homecare.demo.consultation import ConsultationDemo, ConsultationDemoOptions
from homecare.demo.fleet import DemoLogin
from homecare.settings import RobotSettings, Settings
from tests.support import wait_until

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
CALL_TIMEOUT_S = 60.0
FRAMES = 20

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
    ),
]

StartDemo = Callable[..., tuple[ConsultationDemo, DemoLogin]]


@pytest.fixture
def start_demo(tmp_path: Path) -> Iterator[StartDemo]:
    demos: list[ConsultationDemo] = []

    def start(**options: Any) -> tuple[ConsultationDemo, DemoLogin]:
        settings = Settings(data_dir=tmp_path, robot=RobotSettings(language="ru"))
        demo = ConsultationDemo(settings, tmp_path / "demo", ConsultationDemoOptions(**options))
        demos.append(demo)
        return demo, demo.start()

    yield start
    for demo in demos:
        demo.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FAKE_MEDIA)
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(browser: Any, login: DemoLogin) -> Any:
    page = browser.new_page()
    page.goto(f"{login.url}/login")
    page.fill("#email", login.email)
    page.fill("#password", login.password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def call_resident(page: Any, login: DemoLogin, demo: ConsultationDemo) -> int:
    """Press "Video call" on the resident's page; returns the consultation id."""
    page.goto(f"{login.url}/residents/{demo.resident_id}")
    page.click("[data-action=video-call]")
    page.wait_for_url("**/consultations/*")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def wait_for_page_state(page: Any, *states: str, timeout_s: float = CALL_TIMEOUT_S) -> str:
    page.wait_for_function(
        "states => states.includes(document.querySelector('#call[data-state]').dataset.state)",
        arg=list(states),
        timeout=timeout_s * 1000,
    )
    return str(page.eval_on_selector("#call[data-state]", "e => e.dataset.state"))


def frames_decoded(page: Any) -> int:
    # framesDecoded() reads the connection's stats: a promise, which evaluate awaits.
    return int(page.evaluate("() => window.homecareCall.framesDecoded()"))


def fleet_call(demo: ConsultationDemo, consultation_id: int) -> Any:
    from fleet.store import connect_database

    db = connect_database(demo.fleet.folder / "fleet.db")
    try:
        return get_consultation(db, 1, consultation_id)
    finally:
        db.conn.close()


def fleet_events(demo: ConsultationDemo, consultation_id: int) -> list[Any]:
    from fleet.store import connect_database

    db = connect_database(demo.fleet.folder / "fleet.db")
    try:
        return consultation_events(db, 1, consultation_id)
    finally:
        db.conn.close()


def listen_to_the_robot(demo: ConsultationDemo) -> list[str]:
    """What the robot says from now on (a tap on /speech/say, added on its executor)."""
    heard: list[str] = []

    def tap(topic: str, msgtype: str, message: Any, qos: Any) -> None:
        if topic == "/speech/say":
            heard.append(str(message.text))

    runtime = demo.runtime
    assert runtime is not None
    runtime.call_soon_threadsafe(lambda: runtime.add_tap(tap))
    return heard


def robot_idle(demo: ConsultationDemo) -> bool:
    node = demo.node("telepresence")
    return node.peer is None and str(node.core.state) == "idle"


def test_the_specialist_and_the_resident_see_each_other_and_either_can_hang_up(
    start_demo: StartDemo, browser: Any
) -> None:
    demo, login = start_demo()
    page = sign_in(browser, login)
    telepresence = demo.node("telepresence")

    # Call 1: the resident says yes; video flows both ways; the specialist hangs up.
    first = call_resident(page, login, demo)
    wait_for_page_state(page, "connected")
    wait_until(lambda: frames_decoded(page) >= FRAMES, CALL_TIMEOUT_S, "robot video in Chromium")
    wait_until(
        lambda: telepresence.remote_video_frames >= FRAMES,
        CALL_TIMEOUT_S,
        "the specialist's video at the robot",
    )
    assert demo.node("sim_camera").sent > FRAMES  # the picture is the simulated living room
    # The call's history on the page grew as the call went on, without a reload.
    assert page.locator("#call-history li[data-state=connected]").count() == 1
    page.click("[data-action=hang-up]")
    wait_until(lambda: robot_idle(demo), 30, "the robot to end the call")
    assert wait_for_page_state(page, "ended") == "ended"
    call = fleet_call(demo, first)
    assert (call.state, call.reason) == ("ended", "the specialist hung up")
    assert call.connected_at is not None

    # Call 2: the resident ends it by voice.
    page.click("[data-action=call-again]")
    page.wait_for_url(lambda url: not url.endswith(f"/consultations/{first}"))
    second = int(page.url.rstrip("/").rsplit("/", 1)[1])
    wait_for_page_state(page, "connected")
    wait_until(lambda: frames_decoded(page) >= FRAMES, CALL_TIMEOUT_S, "robot video, call 2")
    demo.resident_says("закончить")
    assert wait_for_page_state(page, "ended") == "ended"
    wait_until(lambda: robot_idle(demo), 30, "the robot to be ready again")
    call = fleet_call(demo, second)
    assert (call.state, call.reason) == ("ended", "the resident ended the call")


def test_when_the_link_drops_the_robot_offers_again_and_the_browser_reconnects(
    start_demo: StartDemo, browser: Any
) -> None:
    demo, login = start_demo()
    page = sign_in(browser, login)
    telepresence = demo.node("telepresence")
    consultation_id = call_resident(page, login, demo)
    wait_for_page_state(page, "connected")
    wait_until(lambda: frames_decoded(page) >= FRAMES, CALL_TIMEOUT_S, "robot video in Chromium")
    peer = telepresence.peer
    assert peer.generation == 1

    async def drop_the_link() -> None:  # as a dead network ends it: no goodbye to the far side
        await peer.connection.close()

    telepresence.media.submit(drop_the_link()).result(timeout=10)
    wait_until(lambda: peer.generation == 2, CALL_TIMEOUT_S, "the robot to renegotiate")

    def states() -> list[str]:
        return [event.state for event in fleet_events(demo, consultation_id)]

    wait_until(
        lambda: states()[-2:] == ["reconnecting", "connected"],
        CALL_TIMEOUT_S,
        "the fleet to see the call reconnect",
    )
    assert wait_for_page_state(page, "connected") == "connected"
    # The robot's new connection is up, so the page answered the new offer; video goes on.
    wait_until(
        lambda: frames_decoded(page) >= FRAMES, CALL_TIMEOUT_S, "robot video on the new connection"
    )
    assert peer.state == "connected" and peer.generation == 2
    page.click("[data-action=hang-up]")
    wait_until(lambda: robot_idle(demo), 30, "the robot to end the call")


def test_the_resident_asks_for_a_call_by_voice_and_the_specialist_calls_back(
    start_demo: StartDemo, browser: Any
) -> None:
    demo, login = start_demo()
    page = sign_in(browser, login)
    page.goto(f"{login.url}/consultations")
    badge = page.locator("#calls-badge")
    assert badge.is_hidden()

    robot_says = listen_to_the_robot(demo)
    demo.resident_says("Позвони социальному работнику")
    wait_until(lambda: any("Позвать" in text for text in robot_says), 30, "the robot to confirm")
    demo.resident_says("да")
    badge.wait_for(state="visible", timeout=CALL_TIMEOUT_S * 1000)  # live, no reload
    assert badge.inner_text() == "1"
    page.reload()
    page.click("[id^=call-back-]")
    page.wait_for_url("**/consultations/*")
    assert wait_for_page_state(page, "connected") == "connected"
    page.click("[data-action=hang-up]")
    wait_until(lambda: robot_idle(demo), 30, "the robot to end the call")
    assert page.locator("#calls-badge").is_hidden()  # nobody is waiting any more


def test_without_the_residents_yes_no_media_flows_and_the_refusal_is_recorded(
    start_demo: StartDemo, browser: Any
) -> None:
    demo, login = start_demo(answer="нет")
    page = sign_in(browser, login)
    telepresence = demo.node("telepresence")
    consultation_id = call_resident(page, login, demo)

    assert wait_for_page_state(page, "declined") == "declined"
    call = fleet_call(demo, consultation_id)
    assert (call.state, call.reason, call.connected_at) == (
        "declined", "the resident said no", None,
    )  # fmt: skip
    assert telepresence.peers_made == 0  # no connection was even made: nothing could flow
    assert telepresence.remote_video_frames == 0
    assert frames_decoded(page) == 0


def test_bad_signalling_input_is_refused_with_a_reason_and_the_robot_takes_the_next_call(
    start_demo: StartDemo, browser: Any
) -> None:
    demo, login = start_demo()
    api = httpx.Client(base_url=login.url, timeout=10)
    form = {"username": login.email, "password": login.password}
    api.headers["Authorization"] = (
        "Bearer " + api.post("/api/v1/auth/token", data=form).json()["access_token"]
    )
    started = api.post("/api/v1/consultations", json={"resident_id": demo.resident_id})
    assert started.status_code == 201, started.text
    call = started.json()
    socket_url = login.url.replace("http://", "ws://") + call["signal_path"]

    forged = call["token"][:-4] + ("AAAA" if not call["token"].endswith("AAAA") else "BBBB")
    with ws_connect(socket_url) as socket:
        socket.send(json.dumps({"type": "hello", "token": forged}))
        assert "signature" in json.loads(socket.recv(timeout=10))["reason"]
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401

    with ws_connect(socket_url) as socket:
        socket.send(json.dumps({"type": "hello", "token": call["token"]}))
        messages = received_until(socket, "offer")  # the resident said yes: the robot offers
        assert messages[0]["type"] == "joined"
        socket.send(json.dumps({"type": "answer", "sdp": "v=0 this is not a session"}))
        error = received_until(socket, "error")[-1]
        assert "answer" in error["reason"] or "SDP" in error["reason"], error
        socket.send(json.dumps({"type": "hangup"}))
        assert received_until(socket, "state", "ended")[-1]["reason"] == "the specialist hung up"
    wait_until(lambda: robot_idle(demo), 30, "the robot to be ready again")

    page = sign_in(browser, login)
    call_resident(page, login, demo)
    assert wait_for_page_state(page, "connected") == "connected"
    page.click("[data-action=hang-up]")
    wait_until(lambda: robot_idle(demo), 30, "the robot to end the good call")


def received_until(socket: Any, kind: str, state: str = "") -> list[dict[str, Any]]:
    """Messages up to the first of `kind` (and `state`), within the call deadline."""
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + CALL_TIMEOUT_S
    while time.monotonic() < deadline:
        message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        messages.append(message)
        if message["type"] == kind and (not state or message.get("state") == state):
            return messages
    raise AssertionError(f"no {kind} {state} within {CALL_TIMEOUT_S} s; got {messages}")
