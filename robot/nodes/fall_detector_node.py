"""fall_detector: /camera/image_raw -> FallEvent on /safety/fall, and a camera watchdog.

Bad frames are logged (rate-limited) and counted, never raised: the guardian
must keep running whatever the camera sends. A camera silent for longer than
`camera_timeout_s` raises one `camera_offline` warning on /safety/alert; the
next one only after frames came back and stopped again. The watchdog arms on
the first usable frame, so a robot without a camera (the demo) stays quiet.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from robot.runtime import EVENTS, SENSOR_DATA, Runtime, load_params
from robot.runtime.stamps import header, new_id, to_datetime
from robot.vision.fall_detector import FallDetection, FallDetector, FallDetectorParams
from robot.vision.frames import FrameError, image_to_array

# At most one bad-frame log line per this many seconds (a broken camera sends 30 a second).
BAD_FRAME_LOG_PERIOD_S = 10.0


class FallDetectorNodeParams(FallDetectorParams):
    camera_timeout_s: float = Field(default=10.0, gt=0)


class FallDetectorNode:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.params = load_params(rt, FallDetectorNodeParams)
        self.detector = FallDetector(self.params)
        self.frames = 0
        self.bad_frames = 0
        self._last_bad_log = float("-inf")
        self._last_frame: float | None = None  # clock.monotonic() of the last usable frame
        self._offline_reported = False
        types = rt.types
        self.falls = rt.publisher("/safety/fall", types.FallEvent, EVENTS)
        self.alerts = rt.publisher("/safety/alert", types.Alert, EVENTS)
        rt.subscribe(
            "/camera/image_raw", types.get("sensor_msgs/msg/Image"), self.on_image, SENSOR_DATA
        )
        rt.timer(min(1.0, self.params.camera_timeout_s / 2), self.check_camera)

    def on_image(self, image: Any) -> None:
        try:
            t = _frame_time(image, self.rt.clock.monotonic())
            events = self.detector.process(image_to_array(image), t)
        except FrameError as error:
            self._bad_frame(str(error))
            return
        except (AttributeError, TypeError, ValueError) as error:  # a malformed message
            self._bad_frame(f"malformed image message: {error}")
            return
        self.frames += 1
        self._last_frame = self.rt.clock.monotonic()
        self._offline_reported = False
        for event in events:
            self._publish(event, image.header.stamp)

    def _publish(self, event: FallDetection, stamp: Any) -> None:
        types = self.rt.types
        event_header = types.get("std_msgs/msg/Header")(stamp=stamp, frame_id="camera")
        self.falls.publish(
            types.FallEvent(
                header=event_header, phase=event.phase.value, confidence=event.confidence
            )
        )
        self.rt.log.info("fall event", phase=event.phase.value, confidence=event.confidence)

    def _bad_frame(self, reason: str) -> None:
        self.bad_frames += 1
        now = self.rt.clock.monotonic()
        if now - self._last_bad_log >= BAD_FRAME_LOG_PERIOD_S:
            self._last_bad_log = now
            self.rt.log.warning("bad camera frame", reason=reason, bad_frames=self.bad_frames)

    def check_camera(self) -> None:
        if self._last_frame is None or self._offline_reported:
            return
        silent = self.rt.clock.monotonic() - self._last_frame
        if silent <= self.params.camera_timeout_s:
            return
        self._offline_reported = True
        types = self.rt.types
        self.alerts.publish(
            types.Alert(
                header=header(self.rt),
                alert_id=new_id(),
                kind="camera_offline",
                severity=types.Alert.SEVERITY_WARNING,
                details_json=json.dumps(
                    {"silent_s": round(silent, 1), "bad_frames": self.bad_frames}
                ),
            )
        )
        self.rt.log.warning("camera offline", silent_s=round(silent, 1))


def _frame_time(image: Any, fallback: float) -> float:
    """Seconds of the frame's own stamp (camera time); the node's clock when unstamped."""
    stamp = image.header.stamp
    if stamp.sec == 0 and stamp.nanosec == 0:
        return fallback
    return to_datetime(stamp).timestamp()


def main(args: list[str] | None = None) -> None:
    from robot.runtime.ros import run_node

    run_node(FallDetectorNode, "fall_detector", args)
