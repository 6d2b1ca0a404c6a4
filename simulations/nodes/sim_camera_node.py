"""sim_camera: the simulated home's camera on /camera/image_raw (sensor_msgs/Image rgb8).

Frames are rendered by the physics world at `fps` while the resident moves and
for `hold_s` after (a fall's aftermath: the detector must see the person lie
still). The rest of the time the scene does not change, so the last frame is
sent again every `idle_period_s` only: enough for the fall detector's camera
watchdog, and it lets a quiet simulated day run many times faster than real
time. Frames are stamped with the simulated clock, so they stay evenly spaced
however long rendering takes (the runtime's clock stands still in callbacks).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, Field

from robot.runtime import SENSOR_DATA, Runtime, Timer, load_params
from robot.runtime.stamps import header
from robot.vision.frames import array_to_image_fields


class RenderedWorld(Protocol):
    """What the camera needs of `simulations.world.SimWorld` (times in simulated seconds)."""

    def advance(self, t: float) -> None: ...

    def is_moving(self, t: float) -> bool: ...

    def render(self) -> np.ndarray: ...


class SimCameraParams(BaseModel):
    fps: float = Field(default=15.0, gt=0, le=60)
    hold_s: float = Field(default=6.0, ge=0)
    idle_period_s: float = Field(default=60.0, gt=0)
    # Full rate this long at start-up: the detector learns the room's background.
    startup_s: float = Field(default=3.0, ge=0)


class SimCameraNode:
    def __init__(self, rt: Runtime, world: RenderedWorld) -> None:
        self.rt = rt
        self.world = world
        self.params = load_params(rt, SimCameraParams)
        self.image_type = rt.types.get("sensor_msgs/msg/Image")
        self.publisher = rt.publisher("/camera/image_raw", self.image_type, SENSOR_DATA)
        self.rendered = 0
        self.sent = 0
        self._frame: np.ndarray | None = None
        self._last_motion = rt.clock.monotonic() - self.params.hold_s + self.params.startup_s
        self._timer: Timer | None = None
        self._full_rate = False
        self._set_rate(full=True)

    @property
    def full_rate(self) -> bool:
        return self._full_rate

    def wake(self) -> None:
        """The world starts moving now: render at full rate again."""
        self._last_motion = self.rt.clock.monotonic()
        if not self._full_rate:
            self._set_rate(full=True)

    def tick(self) -> None:
        now = self.rt.clock.monotonic()
        self.world.advance(now)
        moving = self.world.is_moving(now)
        if moving:
            self._last_motion = now
        if moving or self._full_rate or self._frame is None:
            self._frame = self.world.render()
            self.rendered += 1
        self._send(self._frame)
        if self._full_rate and now - self._last_motion > self.params.hold_s:
            self._set_rate(full=False)

    def _send(self, frame: Any) -> None:
        image = self.image_type(
            # The world renders RGB; frames in this project are BGR (OpenCV's order).
            header=header(self.rt, "camera"),
            **array_to_image_fields(frame[:, :, ::-1], "rgb8"),
        )
        self.publisher.publish(image)
        self.sent += 1

    def _set_rate(self, *, full: bool) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._full_rate = full
        period = 1.0 / self.params.fps if full else self.params.idle_period_s
        self._timer = self.rt.timer(period, self.tick)
