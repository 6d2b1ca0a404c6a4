"""video_camera: a camera that plays a video file on /camera/image_raw (sensor_msgs/Image rgb8).

Frames go out at the clip's rate (or `fps`) on the runtime's clock, so an
accelerated simulation plays the clip faster and a manual clock steps it. A
file that cannot be read is logged as an error and the node goes quiet: a
broken camera must not stop the robot (the fall detector's watchdog reports
the silence).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, Field

from homecare.errors import HomecareError
from robot.runtime import SENSOR_DATA, Runtime, Timer, load_params
from robot.runtime.stamps import header
from robot.vision.frames import Frame, array_to_image_fields


class VideoCameraParams(BaseModel):
    path: str = ""
    # "X,Y,W,H" in pixels, empty for the whole frame.
    crop: str = ""
    # Frames per second; 0 plays at the clip's own rate.
    fps: float = Field(default=0.0, ge=0)
    loop: bool = False
    # Keep showing the last frame after the clip ends (the person stays where they fell),
    # as a real camera would, instead of going silent.
    hold_last: bool = False


class VideoCameraNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = load_params(rt, VideoCameraParams)
        self.publisher = rt.publisher(
            "/camera/image_raw", rt.types.get("sensor_msgs/msg/Image"), SENSOR_DATA
        )
        self.sent = 0
        self._last: Frame | None = None
        self._frames: Iterator[tuple[float, Frame]] | None = None
        self._timer: Timer | None = None
        try:
            self._frames = self._open()
            rate = self.params.fps or _clip_fps(Path(self.params.path))
        except HomecareError as error:
            rt.log.error("camera video unusable", reason=str(error))
            return
        self._timer = rt.timer(1.0 / rate, self.tick)

    def _open(self) -> Iterator[tuple[float, Frame]]:
        from robot.vision.video import Crop, read_frames

        if not self.params.path:
            raise HomecareError("parameter path is empty: name a video file")
        crop = Crop.parse(self.params.crop) if self.params.crop else None
        return read_frames(Path(self.params.path), crop)

    def tick(self) -> None:
        frame = self._next_frame()
        if frame is None and self.params.hold_last:
            frame = self._last
        if frame is None:
            return
        self._last = frame
        encoding = "rgb8" if frame.ndim == 3 else "mono8"
        self.publisher.publish(
            self.rt.types.get("sensor_msgs/msg/Image")(
                header=header(self.rt, "camera"), **array_to_image_fields(frame, encoding)
            )
        )
        self.sent += 1

    def _next_frame(self) -> Frame | None:
        try:
            if self._frames is not None:
                return next(self._frames)[1]
        except StopIteration:
            pass
        except HomecareError as error:
            self.rt.log.error("camera video unreadable", reason=str(error))
        if self.params.loop and self.sent > 0:
            self._frames = self._open()
            return self._next_frame_once()
        if not (self.params.hold_last and self._last is not None):
            self._stop()
        self._frames = None
        return None

    def _next_frame_once(self) -> Frame | None:
        try:
            return next(self._frames)[1] if self._frames is not None else None
        except (StopIteration, HomecareError):
            self._stop()
            return None

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self.rt.log.info("camera video ended", frames=self.sent)
        self._frames = None


def _clip_fps(path: Path) -> float:
    from robot.vision.video import clip_fps

    return clip_fps(path)
