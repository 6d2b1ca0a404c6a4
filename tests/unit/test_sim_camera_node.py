"""The simulated camera: full rate while the resident moves, a slow idle rate otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest

from homecare.clock import ManualClock
from robot.runtime import SENSOR_DATA, LocalRuntime
from robot.runtime.stamps import to_datetime
from simulations.home import load_home, resolve_home
from simulations.nodes.sim_camera_node import SimCameraNode
from simulations.world import SimWorld


@pytest.fixture
def world() -> Iterator[SimWorld]:
    with SimWorld(load_home(resolve_home("two_room_flat")), seed=1, room="kitchen") as sim:
        yield sim


def test_frames_are_evenly_stamped_and_only_rendered_when_something_moves(
    world: SimWorld,
) -> None:
    clock = ManualClock()
    parameters = {"sim_camera": {"hold_s": 2.0, "startup_s": 1.0, "idle_period_s": 5.0}}
    rt = LocalRuntime(clock=clock, parameters=parameters)
    camera: Any = rt.add_node("sim_camera", lambda node: SimCameraNode(node, world))
    stamps: list[float] = []
    probe = rt.node("probe")
    probe.subscribe(
        "/camera/image_raw",
        rt.types.get("sensor_msgs/msg/Image"),
        lambda image: stamps.append(to_datetime(image.header.stamp).timestamp()),
        SENSOR_DATA,
    )

    rt.run_for(30.0)  # quiet: full rate for the start-up second, then one frame per 5 s
    quiet_rendered, quiet_sent = camera.rendered, camera.sent
    assert not camera.full_rate
    assert 15 <= quiet_sent <= 25 and quiet_rendered <= 16

    walk = world.perform("sit_down", clock.monotonic(), furniture="chair")
    camera.wake()
    rt.run_for(walk + 1.0)
    assert camera.full_rate
    frames = camera.sent - quiet_sent
    assert frames == pytest.approx((walk + 1.0) * 15, abs=2)
    gaps = [b - a for a, b in pairwise(stamps[-frames:])]
    assert all(gap == pytest.approx(1 / 15, abs=1e-3) for gap in gaps)

    rt.run_for(5.0)  # the hold ends: back to the idle rate
    assert not camera.full_rate
    assert world.resident.posture == "sitting"


def test_frames_are_rgb_images_of_the_configured_size(world: SimWorld) -> None:
    rt = LocalRuntime(clock=ManualClock())
    seen: list[Any] = []
    rt.add_node("sim_camera", lambda node: SimCameraNode(node, world))
    rt.node("probe").subscribe(
        "/camera/image_raw", rt.types.get("sensor_msgs/msg/Image"), seen.append, SENSOR_DATA
    )
    rt.run_for(0.2)
    assert seen and seen[0].encoding == "rgb8"
    assert (seen[0].height, seen[0].width) == (240, 320)
    assert len(seen[0].data) == 240 * 320 * 3
