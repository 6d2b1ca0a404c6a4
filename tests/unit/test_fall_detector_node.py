"""The fall_detector node on a LocalRuntime with a manual clock: frames in, events out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from homecare.clock import ManualClock
from homecare.settings import PACKAGED_ROBOT_PARAMETERS
from robot.local_launch import robot_runtime, start_nodes
from robot.nodes import ROBOT_NODES
from robot.runtime import SENSOR_DATA, LocalRuntime
from robot.runtime.stamps import header
from robot.vision.frames import array_to_image_fields
from tests.vision_scenes import FPS, LYING, Frame, scene, walk_in_then

VIDEO_CAMERA = "simulations.nodes.video_camera_node:VideoCameraNode"


class Harness:
    def __init__(self, camera_timeout_s: float = 10.0, video: dict[str, Any] | None = None) -> None:
        self.clock = ManualClock()
        overrides: dict[str, dict[str, Any]] = {
            "fall_detector": {"camera_timeout_s": camera_timeout_s}
        }
        if video is not None:
            overrides["video_camera"] = video
        self.rt: LocalRuntime = robot_runtime(
            self.clock, PACKAGED_ROBOT_PARAMETERS, "en", overrides=overrides
        )
        start_nodes(self.rt, {"fall_detector": ROBOT_NODES["fall_detector"]})
        if video is not None:
            start_nodes(self.rt, {"video_camera": VIDEO_CAMERA})
        self.node: Any = self.rt.instances["fall_detector"]
        self.probe = self.rt.node("probe")
        self.image = self.probe.types.get("sensor_msgs/msg/Image")
        self.camera = self.probe.publisher("/camera/image_raw", self.image, SENSOR_DATA)
        self.falls: list[Any] = []
        self.alerts: list[Any] = []
        self.probe.subscribe("/safety/fall", self.probe.types.FallEvent, self.falls.append)
        self.probe.subscribe("/safety/alert", self.probe.types.Alert, self.alerts.append)

    def send(self, frame: Frame) -> None:
        fields = array_to_image_fields(frame[:, :, ::-1].copy(), "rgb8")
        self.camera.publish(self.image(header=header(self.probe, "camera"), **fields))
        self.rt.run_for(1.0 / FPS)


def test_frames_in_fall_events_out() -> None:
    harness = Harness()
    for _, frame in scene(walk_in_then((0.4, 150.0, LYING), (2.0, 150.0, LYING))):
        harness.send(frame)
    assert [event.phase for event in harness.falls] == ["falling", "down"]
    assert all(0.0 < event.confidence <= 1.0 for event in harness.falls)
    assert harness.alerts == [] and harness.rt.callback_errors == {}


def test_a_silent_camera_raises_exactly_one_camera_offline_warning() -> None:
    harness = Harness(camera_timeout_s=5.0)
    harness.rt.run_for(20.0)
    assert harness.alerts == []  # never started: a robot without a camera stays quiet
    for _, frame in scene([(1.0, 150.0, LYING)], empty_s=1.0):
        harness.send(frame)
    harness.rt.run_for(30.0)
    assert [alert.kind for alert in harness.alerts] == ["camera_offline"]
    alert = harness.alerts[0]
    assert alert.severity == "warning"
    assert json.loads(alert.details_json)["silent_s"] >= 5.0
    # Frames come back and stop again: a second alert, and only one.
    for _, frame in scene([(0.5, 150.0, LYING)], empty_s=0.5):
        harness.send(frame)
    harness.rt.run_for(30.0)
    assert [alert.kind for alert in harness.alerts] == ["camera_offline", "camera_offline"]


def test_bad_frames_are_counted_and_the_node_keeps_going() -> None:
    harness = Harness()
    good = next(iter(scene([(0.1, 150.0, LYING)])))[1]
    fields = array_to_image_fields(good[:, :, ::-1].copy(), "rgb8")
    bad_messages = [
        harness.image(header=header(harness.probe), **{**fields, "encoding": "yuv422"}),
        harness.image(header=header(harness.probe), **{**fields, "data": fields["data"][:10]}),
        harness.image(header=header(harness.probe), **{**fields, "height": 0, "width": 0}),
    ]
    for message in bad_messages:
        harness.camera.publish(message)
        harness.rt.run_for(0.1)
    assert harness.node.bad_frames == 3
    assert harness.rt.callback_errors == {}
    harness.send(good)
    assert harness.node.frames == 1


def write_clip(path: Path, frames: list[Frame]) -> None:
    """A synthetic clip laid out like the development set: camera image on the right half."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (640, 240))
    for frame in frames:
        writer.write(np.hstack([np.zeros_like(frame), frame]))
    writer.release()


def test_the_video_camera_plays_a_clip_into_the_fall_detector(tmp_path: Path) -> None:
    clip = tmp_path / "fall.avi"
    steps = walk_in_then((0.4, 150.0, LYING), (2.0, 150.0, LYING))
    frames = [frame for _, frame in scene(steps)]
    write_clip(clip, frames)
    harness = Harness(video={"path": str(clip), "crop": "320,0,320,240"})
    harness.rt.run_for(len(frames) / FPS + 1.0)
    assert harness.rt.instances["video_camera"].sent == len(frames)
    assert harness.node.frames == len(frames) and harness.node.bad_frames == 0
    assert [event.phase for event in harness.falls] == ["falling", "down"]
    assert harness.rt.callback_errors == {}


def test_an_unreadable_video_is_logged_and_the_robot_runs_on(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    harness = Harness(video={"path": str(broken)})
    harness.rt.run_for(5.0)
    assert harness.rt.instances["video_camera"].sent == 0
    assert harness.rt.callback_errors == {}
