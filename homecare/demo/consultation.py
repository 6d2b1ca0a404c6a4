"""The consultation demo: a video call between the simulated home's robot and your browser.

A fresh fleet service (embedded broker, the demo's agency, robot and resident), and
the robot's consultation path on a real-time clock: fleet_link, dialog, tts (WAV
files), telepresence, the physics world's camera, and a simulated resident who
answers the call's "accept?" by voice. Open the printed dashboard URL, sign in,
and call the resident from their page; the robot's camera shows the simulated
living room, and your browser's camera and microphone go to the robot.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homecare.clock import SystemClock
from homecare.demo.fleet import DemoFleet, DemoLogin
from homecare.errors import HomecareError
from homecare.settings import Settings
from robot.local_launch import close_nodes, local_state_parameters, robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.runtime.local import LocalRuntime

CONSULTATION_NODES = ("fleet_link", "dialog", "tts", "telepresence")
HOME = "two_room_flat"
ROOM = "living_room"
ANSWERS = {"ru": "да", "en": "yes"}


@dataclass(frozen=True)
class ConsultationDemoOptions:
    answer: str | None = None  # what the resident says to "accept?"; None: yes in their language
    camera_fps: float = 15.0


class ConsultationDemo:
    """`start()` returns the dashboard login; the robot runs on its own thread until `stop()`."""

    def __init__(
        self, settings: Settings, folder: Path, options: ConsultationDemoOptions | None = None
    ) -> None:
        self.settings, self.folder = settings, folder
        self.options = options or ConsultationDemoOptions()
        self.lang = settings.robot.language
        self.clock = SystemClock()  # WebRTC and a person at a browser live in real time
        self.fleet = DemoFleet(settings, folder / "fleet", self.lang, self.clock)
        self.runtime: LocalRuntime | None = None
        self.robot_id = ""
        self.resident_id = 0
        self._spinner: threading.Thread | None = None

    def start(self) -> DemoLogin:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        login, robot = self.fleet.start()
        self.robot_id, self.resident_id = robot.id, robot.resident_id
        try:
            self.runtime = self._robot(robot.broker_url, robot.id)
        except BaseException:
            self.fleet.stop()
            raise
        self._spinner = threading.Thread(target=self.runtime.spin, name="robot", daemon=True)
        self._spinner.start()
        return login

    def wait(self, duration_s: float | None) -> None:
        """Until `duration_s` wall seconds have passed (None: until Ctrl+C)."""
        stopped = threading.Event()
        stopped.wait(duration_s)

    def resident_says(self, text: str) -> None:
        """The simulated resident speaks (e.g. "закончить" to end the call)."""
        runtime = self._running()
        answerer: Any = runtime.instances["call_answerer"]
        runtime.call_soon_threadsafe(lambda: answerer.say(text))

    def node(self, name: str) -> Any:
        return self._running().instances[name]

    def stop(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()
            if self._spinner is not None:
                self._spinner.join(timeout=20)
            close_nodes(self.runtime)  # the executor has stopped: nothing runs beside this
            self.runtime = None
        self.fleet.stop()

    def _running(self) -> LocalRuntime:
        if self.runtime is None:
            raise HomecareError("the consultation demo is not running: start() first")
        return self.runtime

    def _robot(self, broker_url: str, robot_id: str) -> LocalRuntime:
        from simulations.home import load_home, resolve_home
        from simulations.nodes.call_answerer_node import CallAnswererNode
        from simulations.nodes.sim_camera_node import SimCameraNode
        from simulations.scenario.runner import import_world_quietly

        robot_dir = self.folder / "robot"
        answer = ANSWERS[self.lang] if self.options.answer is None else self.options.answer
        parameters = local_state_parameters(robot_dir, self.folder / "speech") | {
            "fleet_link": {
                "robot_id": robot_id,
                "broker_url": broker_url,
                "outbox_path": str(robot_dir / "outbox.db"),
                "resident_dir": str(robot_dir / "resident"),
            },
            # A call needs a steady picture: the camera renders at full rate all the time.
            "sim_camera": {
                "fps": self.options.camera_fps,
                "idle_period_s": 1.0 / self.options.camera_fps,
            },
            "call_answerer": {"answer": answer, "lang": self.lang},
        }
        runtime = robot_runtime(
            self.clock, self.settings.robot.parameters_file, self.lang, overrides=parameters
        )
        start_nodes(runtime, {name: ROBOT_NODES[name] for name in CONSULTATION_NODES})
        world = import_world_quietly()(load_home(resolve_home(HOME)), seed=1, room=ROOM)
        runtime.add_node("sim_camera", lambda rt: SimCameraNode(rt, world))
        runtime.add_node("call_answerer", CallAnswererNode)
        return runtime
