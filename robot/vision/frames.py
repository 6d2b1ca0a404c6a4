"""Checking camera frames and converting `sensor_msgs/Image` messages to numpy.

A bad frame (None, empty, wrong shape or type) raises `FrameError` saying what
was wrong, so a node can log and count it instead of crashing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from homecare.errors import HomecareError

Frame = npt.NDArray[np.uint8]
"""An image as the detector takes it: H x W (grey) or H x W x 3 (colour, any channel order)."""

# The detector needs a person-sized blob to measure; smaller images carry no usable shape.
MIN_SIDE = 16
_CHANNELS = {"rgb8": 3, "bgr8": 3, "mono8": 1}


class FrameError(HomecareError):
    """A frame the detector cannot use; the message names what was wrong."""


def check_frame(frame: object) -> Frame:
    """`frame` as a uint8 image, or `FrameError` naming the problem."""
    if frame is None:
        raise FrameError("frame is None")
    if not isinstance(frame, np.ndarray):
        raise FrameError(f"frame is a {type(frame).__name__}, not a numpy array")
    if frame.size == 0:
        raise FrameError(f"frame is empty (shape {frame.shape})")
    if frame.dtype != np.uint8:
        raise FrameError(f"frame dtype is {frame.dtype}, expected uint8")
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] not in (1, 3)):
        raise FrameError(f"frame shape is {frame.shape}, expected HxW or HxWx3")
    if min(frame.shape[0], frame.shape[1]) < MIN_SIDE:
        raise FrameError(f"frame {frame.shape[1]}x{frame.shape[0]} is smaller than {MIN_SIDE} px")
    return frame


def image_to_array(message: Any) -> Frame:
    """The pixels of a `sensor_msgs/Image` (rgb8, bgr8 or mono8) as an H x W (x 3) array.

    Colour frames come back in OpenCV's BGR order whatever the message's encoding:
    the detector's grey conversion weighs red and blue differently.
    """
    encoding = str(message.encoding).lower()
    channels = _CHANNELS.get(encoding)
    if channels is None:
        raise FrameError(f"image encoding {message.encoding!r} is not one of rgb8, bgr8, mono8")
    height, width, step = int(message.height), int(message.width), int(message.step)
    if height <= 0 or width <= 0:
        raise FrameError(f"image is empty ({width}x{height})")
    if step < width * channels:
        raise FrameError(f"image step {step} is shorter than a row ({width * channels} bytes)")
    data = (
        np.frombuffer(bytes(message.data), dtype=np.uint8)
        if not isinstance(message.data, np.ndarray)
        else message.data.astype(np.uint8, copy=False).reshape(-1)
    )
    if data.size < step * height:
        raise FrameError(f"image has {data.size} bytes, expected {step * height}")
    rows = data[: step * height].reshape(height, step)[:, : width * channels]
    image = rows.reshape(height, width, channels) if channels == 3 else rows.reshape(height, width)
    if encoding == "rgb8":
        image = image[:, :, ::-1]
    return check_frame(image)


def array_to_image_fields(frame: Frame, encoding: str = "rgb8") -> dict[str, Any]:
    """The fields of a `sensor_msgs/Image` holding `frame` (BGR, as OpenCV reads it) in
    `encoding` (for cameras and tests)."""
    frame = check_frame(frame)
    if encoding == "rgb8" and frame.ndim == 3:
        frame = frame[:, :, ::-1]
    channels = 1 if frame.ndim == 2 else frame.shape[2]
    if _CHANNELS.get(encoding) != channels:
        raise FrameError(f"a {channels}-channel frame cannot be sent as {encoding}")
    contiguous = np.ascontiguousarray(frame)
    return {
        "height": contiguous.shape[0],
        "width": contiguous.shape[1],
        "encoding": encoding,
        "is_bigendian": 0,
        "step": contiguous.shape[1] * channels,
        "data": contiguous.reshape(-1),
    }
