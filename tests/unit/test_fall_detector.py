"""The fall detector's core on synthetic scenes drawn in the test (no clips, no people)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from robot.vision.fall_detector import FallDetection, FallDetector, FallDetectorParams, FallPhase
from robot.vision.frames import FrameError, array_to_image_fields, check_frame, image_to_array
from tests.vision_scenes import LYING, STANDING, Frame, draw, room, scene, walk_in_then

LANDS_AT_S = 1.0 + 0.01 + 1.5 + 0.7 + 0.4  # empty room, walk in, stand, fall (walk_in_then)


def run(
    frames: Iterator[tuple[float, Frame]], params: FallDetectorParams | None = None
) -> list[FallDetection]:
    detector = FallDetector(params)
    events: list[FallDetection] = []
    for t, frame in frames:
        events.extend(detector.process(frame, t))
    return events


def test_a_fast_drop_to_lying_is_falling_then_down_soon_after_landing() -> None:
    events = run(scene(walk_in_then((0.4, 150.0, LYING), (3.0, 150.0, LYING))))
    assert [e.phase for e in events] == [FallPhase.FALLING, FallPhase.DOWN]
    assert all(0.5 <= e.confidence <= 1.0 for e in events)
    assert events[1].t - LANDS_AT_S <= 1.5


def test_getting_up_after_a_fall_is_recovered() -> None:
    steps = walk_in_then(
        (0.4, 150.0, LYING), (2.0, 150.0, LYING), (0.8, 150.0, STANDING), (3.0, 150.0, STANDING)
    )
    phases = [e.phase for e in run(scene(steps))]
    assert phases == [FallPhase.FALLING, FallPhase.DOWN, FallPhase.RECOVERED]


def test_a_fall_next_to_the_ghost_of_where_the_person_stood_at_start_up_is_found() -> None:
    # In view from the first frame, the person is learnt into the background: when
    # they step aside, their ghost stays "foreground" and touches their blob, which
    # would hold the blob's top up and hide the fall. Ghosts are told apart by their
    # outline: its edges are in the background model, not in the frame.
    steps = [
        (0.01, 150.0, STANDING),
        (1.5, 150.0, STANDING),
        (0.5, 190.0, STANDING),  # a step aside: the ghost at 150 touches them
        (0.3, 190.0, STANDING),
        (0.4, 230.0, LYING),
        (2.0, 230.0, LYING),
    ]
    lands_at_s = 0.01 + 1.5 + 0.5 + 0.3 + 0.4
    events = run(scene(steps, empty_s=0.0))
    assert [e.phase for e in events] == [FallPhase.FALLING, FallPhase.DOWN]
    assert events[0].t - lands_at_s <= 0.5


def test_lying_down_slowly_is_not_a_fall() -> None:
    assert run(scene(walk_in_then((3.0, 150.0, LYING), (3.0, 150.0, LYING)))) == []


def test_a_fall_inside_an_ignore_region_is_not_reported() -> None:
    def fall() -> Iterator[tuple[float, Frame]]:
        return scene(walk_in_then((0.4, 150.0, LYING), (3.0, 150.0, LYING)))

    # The person lies around x = 150 of 320, y = 200 of 240: the region covers that spot.
    assert run(fall(), FallDetectorParams(ignore_regions=[0.3, 0.5, 0.4, 0.5])) == []
    assert run(fall(), FallDetectorParams(ignore_regions=[0.0, 0.0, 0.2, 0.2])) != []


def test_crouching_quickly_is_not_a_fall() -> None:
    crouched = (50.0, 70.0)
    assert run(scene(walk_in_then((0.4, 150.0, crouched), (2.0, 150.0, crouched)))) == []


def test_sitting_down_hard_and_picking_something_up_are_not_falls() -> None:
    seated, bent = (48.0, 80.0), (70.0, 75.0)
    assert run(scene(walk_in_then((0.25, 150.0, seated), (2.0, 150.0, seated)))) == []
    picking_up = walk_in_then((0.4, 150.0, bent), (0.5, 150.0, bent), (0.6, 150.0, STANDING))
    assert run(scene([*picking_up, (1.0, 150.0, STANDING)])) == []


def test_a_global_brightness_jump_is_relearnt_not_reported() -> None:
    def lights_on() -> Iterator[tuple[float, Frame]]:
        for t, frame in scene(walk_in_then((3.0, 150.0, STANDING))):
            # At 3 s a lamp doubles the light on everything at once.
            yield (
                t,
                (
                    np.clip(frame.astype(np.int32) * 2, 0, 255).astype(np.uint8)
                    if t >= 3.0
                    else frame
                ),
            )

    assert run(lights_on()) == []


def test_camera_start_up_frames_never_fire() -> None:
    # Exposure settling: the first frames swing from dark to bright.
    def start_up() -> Iterator[tuple[float, Frame]]:
        for i, brightness in enumerate((0.2, 0.5, 0.9, 1.3, 1.0, 1.0)):
            yield i / 30.0, draw(room(brightness), 150.0, LYING)

    assert run(start_up()) == []


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (None, "frame is None"),
        (np.zeros((0, 0, 3), np.uint8), "empty"),
        (np.zeros((240, 320, 3), np.float32), "dtype is float32"),
        (np.zeros((240, 320, 4), np.uint8), "shape"),
        (np.zeros((8, 8), np.uint8), "smaller than"),
        ([[1, 2], [3, 4]], "not a numpy array"),
    ],
)
def test_bad_frames_raise_a_frame_error_naming_the_problem(frame: object, message: str) -> None:
    detector = FallDetector()
    with pytest.raises(FrameError, match=message):
        detector.process(frame, 0.0)  # type: ignore[arg-type]
    with pytest.raises(FrameError, match=message):
        check_frame(frame)


class _Image:
    """Stands in for a sensor_msgs/Image (same field names)."""

    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)


def test_image_messages_convert_both_ways_and_bad_ones_are_named() -> None:
    frame = draw(room(), 150.0, STANDING)
    for encoding in ("rgb8", "bgr8"):
        back = image_to_array(_Image(**array_to_image_fields(frame, encoding)))
        assert np.array_equal(back, frame)
    grey = frame[:, :, 0].copy()
    assert np.array_equal(image_to_array(_Image(**array_to_image_fields(grey, "mono8"))), grey)
    fields = array_to_image_fields(frame)
    with pytest.raises(FrameError, match="encoding 'yuv422'"):
        image_to_array(_Image(**{**fields, "encoding": "yuv422"}))
    with pytest.raises(FrameError, match="bytes"):
        image_to_array(_Image(**{**fields, "data": fields["data"][:100]}))
    with pytest.raises(FrameError, match="empty"):
        image_to_array(_Image(**{**fields, "height": 0}))


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="4 numbers"):
        FallDetectorParams(ignore_regions=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="fractions"):
        FallDetectorParams(ignore_regions=[0.1, 0.2, 0.3, 2.0])
