"""Run a scenario end to end: the real robot nodes, the fleet service and its broker, the world.

One simulated clock (`PacedClock`) drives the robot's runtime and the fleet,
so every time in the fleet's records is simulated time. It runs at
`quiet_speed` while nothing happens, at `active_speed` around the resident's
lines, and as fast as rendering allows while the camera is busy. The robot
reaches the broker through a cuttable proxy (the timeline's `uplink: down`).

The run folder gets the MCAP recording (`bag/`), the robot's speech as WAV
(`speech/`), the fleet's and robot's state, and `report.html`.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

from fleet.protocol import DevicesConfig
from homecare.clock import PacedClock, SystemClock
from homecare.demo.fleet import DemoFleet, DemoLogin
from homecare.demo.timeline import Timeline
from homecare.errors import HomecareError
from homecare.logs import configure_logging
from homecare.settings import Settings
from robot.devices.home_broker import HomeBroker
from robot.fleet_link.mqtt import parse_broker_url
from robot.local_launch import close_nodes, local_state_parameters, robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.runtime.local import LocalRuntime
from robot.runtime.recorder import BagRecorder, record_runtime
from simulations.nodes import SIMULATED_NODES
from simulations.nodes.sim_camera_node import SimCameraNode
from simulations.report import RunRecord, write_report
from simulations.scenario.expectations import evaluate
from simulations.scenario.fleet_facts import read_fleet_facts
from simulations.scenario.loader import LoadedScenario, ScenarioError, TimedEntry
from simulations.scenario.model import Scenario, TimelineEntry
from simulations.scenario.observer import RobotObserver
from simulations.scenario.setup import reminder_schedule, resident_lines
from simulations.uplink import CuttableProxy
from simulations.zigbee import SimZigbee

# Around each line the resident says, the dialog runs on speech engine time: go slow.
SPEECH_WINDOW_S = (20.0, 40.0)
# While the robot's link is down, its MQTT client retries on the wall clock (1 s, 2 s, ...
# up to 30 s apart): a slow clock keeps a reconnect within a minute or so of simulated time.
LINK_DOWN_SPEED = 10.0
# After the scenario's end: at most this long (wall) for the fleet to store what is in flight.
SETTLE_WALL_S = 15.0
CAMERA_RECORD_EVERY = 15  # one camera frame in 15 goes into the recording
CAMERA_IDLE_PERIOD_S = 60.0  # a still scene: one frame a minute
# Polling periods relaxed for simulated days (the robot's defaults poll 10-20 times a
# second): each costs a callback per period, which caps how fast a quiet day can run.
# They only add a fraction of a second of latency to what the nodes hand on.
RELAXED_POLLING: dict[str, dict[str, Any]] = {
    "tts": {"pump_period_s": 0.25},
    "fleet_link": {"pump_period_s": 0.5},
    "device_link": {"pump_period_s": 0.5},
    "battery_sim": {"publish_period_s": 5.0},
}


@dataclass(frozen=True)
class RunOptions:
    out: Path  # the run folder: new or empty
    quiet_speed: float = 2000.0
    active_speed: float = 30.0
    record: bool = True
    bag: Path | None = None  # where the recording goes (default: out/bag)
    # Print a live timeline of the robot's topics here (None: run silently).
    live: Console | None = None
    # Stop after this much wall time (the demo's --duration); Ctrl+C also stops early.
    wall_limit_s: float | None = None
    # Told the dashboard's address and login once the fleet is up (the demo prints them).
    on_fleet_ready: Callable[[DemoLogin], None] | None = None
    # Log from this level to robot.log in the run folder (None: leave logging alone).
    log_level: str | None = None
    # The home's broker for Zigbee2MQTT and the device link (None: an embedded one).
    home_broker_url: str | None = None


@dataclass(frozen=True)
class RunResult:
    record: RunRecord
    report: Path
    folder: Path
    interrupted: bool = False  # stopped before the scenario's end (wall limit, Ctrl+C)
    callback_errors: dict[str, int] = field(default_factory=dict)  # node callbacks that raised

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.record.scenario,
            "passed": self.record.passed,
            "expectations": [
                {"name": e.name, "passed": e.passed, "detail": e.detail}
                for e in self.record.expectations
            ],
            "sim_seconds": round(self.record.sim_seconds, 1),
            "wall_seconds": round(self.record.wall_seconds, 1),
            "interrupted": self.interrupted,
            "callback_errors": self.callback_errors,
            "run_folder": str(self.folder),
            "report": str(self.report),
        }


def run_scenario(loaded: LoadedScenario, settings: Settings, options: RunOptions) -> RunResult:
    folder = _new_folder(options.out)
    if options.log_level is not None:
        configure_logging(options.log_level, file=folder / "robot.log")
    scenario = loaded.scenario
    zone = ZoneInfo(scenario.timezone)
    start = _start_moment(loaded, zone)
    clock = PacedClock(options.active_speed, start=start)
    local = settings.model_copy(
        update={
            "robot": settings.robot.model_copy(
                update={"timezone": scenario.timezone, "language": scenario.language}
            )
        }
    )
    wall_started = time.monotonic()
    run = _Run(loaded, local, options, folder, clock)
    try:
        run.start()
        run.play()
        run.settle()
    finally:
        run.stop()
    record = RunRecord(
        scenario=loaded.name,
        home=loaded.home.name,
        start=start,
        timeline=sorted(run.observer.timeline, key=lambda entry: entry.t_s),
        battery=run.observer.battery,
        detector=[(f.t_s, f.phase, f.confidence) for f in run.observer.falls],
        expectations=evaluate(
            loaded.expectations,
            run.observer,
            read_fleet_facts(folder / "fleet" / "fleet.db", start.timestamp()),
            loaded.start_of_day_s,
        ),
        sim_seconds=run.sim_seconds,
        wall_seconds=time.monotonic() - wall_started,
        speech_files=sorted((folder / "speech").glob("*.wav")),
        bag=run.bag_folder if options.record else None,
    )
    errors = dict(run.runtime.callback_errors) if run.runtime is not None else {}
    return RunResult(record, write_report(folder, record), folder, run.interrupted, errors)


class _Run:
    """The parts of one run, started and stopped together."""

    def __init__(
        self,
        loaded: LoadedScenario,
        settings: Settings,
        options: RunOptions,
        folder: Path,
        clock: PacedClock,
    ) -> None:
        self.loaded, self.settings, self.options = loaded, settings, options
        self.folder, self.clock = folder, clock
        self.observer = RobotObserver(clock)
        self.fleet = DemoFleet(settings, folder / "fleet", loaded.scenario.language, clock)
        self.proxy: CuttableProxy | None = None
        self.home_broker: HomeBroker | None = None
        self.zigbee: SimZigbee | None = None
        self.world: Any = None
        self.runtime: LocalRuntime | None = None
        self.camera: SimCameraNode | None = None
        self.recorder: BagRecorder | None = None
        self.sim_seconds = 0.0
        self.bag_folder = options.bag or folder / "bag"
        self.interrupted = False
        self.live: Timeline | None = None

    def start(self) -> None:
        SimWorld = import_world_quietly()  # noqa: N806 - a class

        scenario = self.loaded.scenario
        day = self.clock.now().astimezone(ZoneInfo(scenario.timezone)).date()
        login, robot = self.fleet.start(
            reminders=reminder_schedule(self.loaded, day), devices=device_registry(scenario)
        )
        home_url = self._home_broker_url()
        if scenario.devices:
            home = parse_broker_url(home_url)
            roles = {name: spec.role for name, spec in scenario.devices.items()}
            self.zigbee = SimZigbee(home.host, home.port, roles)
            self.zigbee.start()
        if self.options.on_fleet_ready is not None:
            self.options.on_fleet_ready(login)
        broker = urllib.parse.urlsplit(robot.broker_url)
        self.proxy = CuttableProxy(broker.hostname or "127.0.0.1", broker.port or 1883)
        self.proxy.start()
        self.world = SimWorld(self.loaded.home, seed=scenario.seed, room=scenario.resident.room)
        self.runtime = runtime = robot_runtime(
            self.clock,
            self.settings.robot.parameters_file,
            scenario.language,
            overrides=self._parameters(
                _via_proxy(robot.broker_url, self.proxy.port), robot.id, home_url
            ),
        )
        if self.options.record:
            self.recorder = record_runtime(
                runtime, self.bag_folder, every={"/camera/image_raw": CAMERA_RECORD_EVERY}
            )
        runtime.add_tap(self.observer)
        if self.options.live is not None:
            self.live = Timeline(self.options.live, self.clock, ZoneInfo(scenario.timezone))
            runtime.add_tap(self.live)
        nodes = {name: target for name, target in ROBOT_NODES.items() if name != "asr"}
        start_nodes(runtime, nodes | SIMULATED_NODES)
        world = self.world
        self.camera = runtime.add_node("sim_camera", lambda rt: SimCameraNode(rt, world))  # type: ignore[assignment]

    def _home_broker_url(self) -> str:
        """Where the simulated Zigbee2MQTT bridge and the robot's device link meet."""
        if self.options.home_broker_url:
            return self.options.home_broker_url
        self.home_broker = HomeBroker(port=0)
        self.home_broker.start()
        return self.home_broker.url

    def _parameters(
        self, broker_url: str, robot_id: str, home_broker_url: str
    ) -> dict[str, dict[str, Any]]:
        scenario, robot_dir = self.loaded.scenario, self.folder / "robot"
        parameters = local_state_parameters(robot_dir, self.folder / "speech")
        return _merge(
            _merge(parameters, RELAXED_POLLING),
            {
                "fleet_link": {
                    "robot_id": robot_id,
                    "broker_url": broker_url,
                    "outbox_path": str(robot_dir / "outbox.db"),
                    "resident_dir": str(robot_dir / "resident"),
                },
                "device_link": {"broker_url": home_broker_url},
                "battery_sim": {"initial_pct": scenario.robot.battery},
                "sim_camera": {"fps": scenario.camera.fps, "idle_period_s": CAMERA_IDLE_PERIOD_S},
                # The simulated camera idles at one frame a minute while nothing moves.
                "fall_detector": {"camera_timeout_s": 2.5 * CAMERA_IDLE_PERIOD_S},
                "resident_speech": {"lines": resident_lines(self.loaded)},
            },
        )

    def play(self) -> None:
        try:
            self._play()
        except KeyboardInterrupt:
            self.interrupted = True
        self.sim_seconds = self.clock.monotonic()

    def _play(self) -> None:
        runtime, clock, loaded = self._runtime(), self.clock, self.loaded
        pending = list(loaded.timeline)
        speech = [t.offset_s for t in loaded.timeline if t.entry.say is not None]
        limit = self.options.wall_limit_s
        wall_end = time.monotonic() + limit if limit is not None else float("inf")
        while (now := clock.monotonic()) < loaded.duration_s:
            if time.monotonic() >= wall_end:
                self.interrupted = True
                return
            active = self._camera_busy() or any(
                -SPEECH_WINDOW_S[0] <= now - at <= SPEECH_WINDOW_S[1] for at in speech
            )
            speed = self.options.active_speed if active else self.options.quiet_speed
            clock.set_max_speed(min(speed, LINK_DOWN_SPEED) if self._link_down() else speed)
            step = 1.0 if active else 10.0
            until = min(loaded.duration_s, now + step, *(t.offset_s for t in pending[:1]))
            runtime.run_for(max(0.0, until - now))
            while pending and pending[0].offset_s <= clock.monotonic():
                self._apply(pending.pop(0))

    def _apply(self, timed: TimedEntry) -> None:
        from simulations.world import WorldError

        entry, now = timed.entry, self.clock.monotonic()
        if entry.action is not None:
            try:
                self.world.perform(
                    entry.action, now, room=entry.room, furniture=entry.furniture,
                    direction=entry.direction,
                )  # fmt: skip
            except WorldError as error:
                raise ScenarioError(f"{timed.where} {error}") from None
            if self.camera is not None:
                self.camera.wake()
            target = entry.room or entry.furniture or entry.direction or ""
            self._note(f"resident: {entry.action} {target}".strip())
        elif entry.uplink is not None and self.proxy is not None:
            (self.proxy.cut if entry.uplink == "down" else self.proxy.restore)()
            self._note(f"uplink {entry.uplink}")
        elif entry.device is not None and self.zigbee is not None:
            self._send_device(entry, self.zigbee)

    def _send_device(self, entry: TimelineEntry, zigbee: SimZigbee) -> None:
        device, times = entry.device or "", entry.repeat or 1
        for _ in range(times):
            if entry.state is not None:
                zigbee.state(device, entry.state)
            elif entry.raw is not None:
                zigbee.raw(device, entry.raw)
            else:
                zigbee.availability(device, entry.availability == "online")
        what = entry.state or entry.availability or f"raw {entry.raw!r}"
        self._note(f"{device}: {what}" + (f" x{times}" if times > 1 else ""))

    def _note(self, text: str) -> None:
        self.observer.note("sim", text)
        if self.live is not None:
            self.live.emit("sim", "dim", text)

    def _link_down(self) -> bool:
        link: Any = self._runtime().instances.get("fleet_link")
        return link is not None and not link.connection.connected.is_set()

    def _camera_busy(self) -> bool:
        return self.camera is not None and self.camera.full_rate

    def settle(self) -> None:
        """Let what the robot sent reach the fleet: alerts acknowledged, outcomes stored."""
        runtime = self._runtime()
        link: Any = runtime.instances.get("fleet_link")
        if link is None or not self._uplink_up():
            return
        self.clock.set_max_speed(1.0)
        fleet_db = self.folder / "fleet" / "fleet.db"

        def delivered() -> bool:
            if link.outbox.stats().pending:
                return False
            facts = read_fleet_facts(fleet_db, 0.0)  # only counted: no time base needed
            return len(facts.outcomes) >= len({(r, o) for _, r, o in self.observer.outcomes})

        deadline = time.monotonic() + SETTLE_WALL_S
        while not delivered() and time.monotonic() < deadline:
            runtime.run_for(0.2)

    def _uplink_up(self) -> bool:
        ups = [t for t in self.loaded.timeline if t.entry.uplink is not None]
        return not ups or ups[-1].entry.uplink == "up"

    def stop(self) -> None:
        if self.runtime is not None:
            close_nodes(self.runtime)
        if self.recorder is not None:
            self.recorder.close()
        if self.world is not None:
            self.world.close()
        self.fleet.stop()
        if self.proxy is not None:
            self.proxy.stop()
        if self.zigbee is not None:
            self.zigbee.stop()
        if self.home_broker is not None:
            self.home_broker.stop()

    def _runtime(self) -> LocalRuntime:
        if self.runtime is None:
            raise HomecareError("the run has not started")
        return self.runtime


def device_registry(scenario: Scenario) -> dict[str, Any] | None:
    """The scenario's devices as the fleet's registry for the resident (`cfg/devices`)."""
    if not scenario.devices:
        return None
    config = DevicesConfig(
        devices=scenario.devices,
        notify_caregiver_on_night_door=scenario.notify_caregiver_on_night_door,
    )
    return config.model_dump(mode="json")


def _merge(
    base: dict[str, dict[str, Any]], more: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Node parameters of `base` updated node by node with those of `more`."""
    return {node: base.get(node, {}) | more.get(node, {}) for node in base.keys() | more.keys()}


def import_world_quietly() -> Any:
    """`simulations.world.SimWorld`, imported without pybullet's banner.

    pybullet prints its build time from C when imported, which would break
    `homecare sim run --json` and the CLI's one-line errors.
    """
    if "pybullet" not in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        try:
            with Path(os.devnull).open("wb") as devnull:
                os.dup2(devnull.fileno(), 1)
                os.dup2(devnull.fileno(), 2)
                import pybullet  # noqa: F401
        finally:
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)
    from simulations.world import SimWorld

    return SimWorld


def _new_folder(folder: Path) -> Path:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise HomecareError(f"--out {folder}: the folder exists and is not empty; name a new one")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HomecareError(f"--out {folder}: cannot create it: {error.strerror}") from None
    return folder


def _start_moment(loaded: LoadedScenario, zone: ZoneInfo) -> datetime:
    day: date = loaded.scenario.date or SystemClock().now().astimezone(zone).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    return midnight + timedelta(seconds=loaded.start_of_day_s)


def _via_proxy(broker_url: str, port: int) -> str:
    parts = urllib.parse.urlsplit(broker_url)
    credentials = parts.netloc.rsplit("@", 1)[0]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{credentials}@127.0.0.1:{port}"))
