"""The demo: a simulated robot in a simulated home, with a live timeline.

Later parts plug in here (fleet service, dialog, reminders, fall chain), so
this stays the one command that shows the whole system.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from homecare.clock import AcceleratedClock, SystemClock
from homecare.demo.fleet import DemoFleet, DemoLogin
from homecare.demo.timeline import Timeline, local_morning, local_zone
from homecare.errors import UsageError
from homecare.logs import configure_logging
from homecare.settings import Settings
from robot.local_launch import local_state_parameters, robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.runtime.local import LocalRuntime
from robot.runtime.recorder import record_runtime
from simulations.nodes import SIMULATED_NODES


@dataclass(frozen=True)
class DemoOptions:
    headless: bool
    duration_s: float | None
    speed: float
    record: Path | None
    fleet: bool = True
    # A video played as the robot's camera (a fall to detect), and its crop "X,Y,W,H".
    camera: Path | None = None
    camera_crop: str = ""


@dataclass(frozen=True)
class DemoResult:
    simulated_s: float
    timeline: list[str]
    callback_errors: dict[str, int]
    recorded: dict[str, int]


def simulated_nodes(options: DemoOptions) -> dict[str, str]:
    nodes = dict(SIMULATED_NODES)
    if options.camera:
        nodes["video_camera"] = "simulations.nodes.video_camera_node:VideoCameraNode"
    return nodes


def camera_parameters(options: DemoOptions) -> dict[str, dict[str, Any]]:
    if not options.camera:
        return {}
    if not options.camera.is_file():
        raise UsageError(f"--camera {options.camera}: no such video file")
    return {
        "video_camera": {
            "path": str(options.camera), "crop": options.camera_crop, "hold_last": True
        }
    }  # fmt: skip


def demo_story(lang: str, morning: datetime) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The demo scenario's lines and reminders (`simulations/scenarios/demo*.yaml`), for a
    robot without the simulated home: (node parameters, the resident's `ReminderSchedule`).

    The morning pill at 08:05 is acknowledged; the vitamin at 08:20 is not (the
    resident says nothing), so it is re-prompted and reported missed at 08:35.
    """
    from homecare.demo.simulated_home import DEMO_SCENARIOS
    from simulations.scenario.loader import load_scenario, resolve_scenario
    from simulations.scenario.setup import reminder_schedule, resident_lines

    loaded = load_scenario(resolve_scenario(DEMO_SCENARIOS[lang]))
    schedule = reminder_schedule(loaded, morning.date()) or {}
    parameters: dict[str, dict[str, Any]] = {
        # The battery starts nearly low, so the low-battery path shows within seconds.
        "battery_sim": {"initial_pct": 20.5, "dock_below_pct": 20.0, "travel_to_dock_s": 120.0},
        "resident_speech": {"lines": resident_lines(loaded)},
    }
    return parameters, schedule


def speech_parameters(options: DemoOptions, folder: Path) -> dict[str, dict[str, Any]]:
    """The robot's voice goes to WAV files (no speaker needed); its state stays in `folder`."""
    return local_state_parameters(folder, (options.record or folder) / "speech")


def run_demo(settings: Settings, options: DemoOptions, console: Console) -> DemoResult:
    if not 0 < options.speed < float("inf"):
        raise UsageError(f"--speed must be a positive number, got {options.speed:g}")
    if options.duration_s is not None and options.duration_s <= 0:
        raise UsageError(f"--duration must be positive, got {options.duration_s}")
    zone = local_zone(settings.robot.timezone)
    morning = local_morning(zone, SystemClock())
    clock = AcceleratedClock(options.speed, start=morning, paused=True)
    lang = settings.robot.language
    folder = settings.data_dir / "demo"
    story, schedule = demo_story(lang, morning)
    schedule["timezone"] = settings.robot.timezone
    overrides = story | camera_parameters(options) | speech_parameters(options, folder)
    demo_fleet = DemoFleet(settings, folder, lang)
    login: DemoLogin | None = None
    robot_nodes = dict(ROBOT_NODES)
    if not speech_model_installed(lang):
        del robot_nodes["asr"]  # the simulated resident speaks text on /speech/heard instead
    try:
        if options.fleet:
            login, robot = demo_fleet.start(reminders=schedule)
            overrides["fleet_link"] = {
                "robot_id": robot.id,
                "broker_url": robot.broker_url,
                "outbox_path": str(demo_fleet.folder / "outbox.db"),
            }
        else:
            del robot_nodes["fleet_link"]
            overrides["reminders"]["schedule_file"] = str(write_fresh_schedule(folder, schedule))
        return _run(
            settings,
            options,
            console,
            clock=clock,
            overrides=overrides,
            login=login,
            robot_nodes=robot_nodes,
        )
    finally:
        demo_fleet.stop()


def speech_model_installed(lang: str) -> bool:
    """With a vosk model for the language (and a microphone) you can talk to the demo robot."""
    from speech.asr.errors import AsrError
    from speech.asr.models import model_path

    try:
        model_path(lang)
    except AsrError:
        return False
    return True


def write_fresh_schedule(folder: Path, schedule: dict[str, Any]) -> Path:
    """Without a fleet, the robot reads its schedule from a file (and starts with no history)."""
    folder.mkdir(parents=True, exist_ok=True)
    stale_files = ("reminders.db", "reminders.db-wal", "reminders.db-shm", "voice_profile.json",
                   "benefits.json", "appointments.json")  # fmt: skip
    for stale in stale_files:
        (folder / stale).unlink(missing_ok=True)
    path = folder / "schedule.json"
    path.write_text(json.dumps(schedule, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _run(
    settings: Settings,
    options: DemoOptions,
    console: Console,
    *,
    clock: AcceleratedClock,
    overrides: dict[str, dict[str, Any]],
    login: DemoLogin | None,
    robot_nodes: dict[str, str],
) -> DemoResult:
    zone = local_zone(settings.robot.timezone)
    runtime = robot_runtime(
        clock, settings.robot.parameters_file, settings.robot.language, overrides=overrides
    )
    recorder = record_runtime(runtime, options.record) if options.record else None
    configure_logging(
        settings.log_level if recorder else "WARNING",
        file=options.record / "robot.log" if options.record else None,
    )
    timeline = Timeline(console, clock, zone)
    runtime.add_tap(timeline)
    start_nodes(runtime, robot_nodes)
    start_nodes(runtime, simulated_nodes(options))
    _print_banner(console, options, login)
    started = clock.monotonic()
    clock.resume()
    try:
        if options.duration_s is None:
            runtime.spin()
        else:
            _run_with_progress(runtime, options.duration_s, options.speed, console)
    except KeyboardInterrupt:
        console.print("[dim]stopped[/dim]")
    finally:
        if recorder:
            recorder.close()
    simulated = clock.monotonic() - started
    if recorder and options.record:
        console.print(f"recording: {options.record} ({sum(recorder.counts.values())} messages)")
    return DemoResult(
        simulated_s=simulated,
        timeline=timeline.lines,
        callback_errors=dict(runtime.callback_errors),
        recorded=dict(recorder.counts) if recorder else {},
    )


def _run_with_progress(
    runtime: LocalRuntime, duration_s: float, speed: float, console: Console
) -> None:
    """Run for `duration_s` wall seconds in short slices, with a progress bar on a terminal."""
    slice_s = 0.5
    with Progress(
        TextColumn("[dim]simulating[/dim]"),
        BarColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("demo", total=duration_s)
        end = runtime.clock.monotonic() + duration_s * speed
        while (left := end - runtime.clock.monotonic()) > 0:
            runtime.run_for(min(left, slice_s * speed))
            remaining = max(0.0, end - runtime.clock.monotonic())
            progress.update(task, completed=duration_s - remaining / speed)


def _print_banner(console: Console, options: DemoOptions, login: DemoLogin | None) -> None:
    length = "until Ctrl+C" if options.duration_s is None else f"for {options.duration_s:g} s"
    console.print(
        f"[bold]homecare demo[/bold]: a simulated robot at home, {options.speed:g}x real time, "
        f"{length}."
    )
    if login:
        console.print(
            f"fleet dashboard: [bold]{login.url}[/bold]  login [bold]{login.email}[/bold] "
            f"password [bold]{login.password}[/bold]  (API docs {login.url}/api/v1/docs)",
            soft_wrap=True,
        )
