"""Synthetic camera scenes for the fall detector's tests: a room and a box-shaped person.

Drawn in the test, never read from files, so they carry no licence and no people.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
WIDTH, HEIGHT, FPS = 320, 240, 30.0
FLOOR_Y = 220  # where the person's feet are
STANDING = (36, 120)  # width, height in pixels
LYING = (120, 36)


def room(brightness: float = 1.0) -> Frame:
    """A lit room: a wall gradient, a floor and a few pieces of furniture."""
    y = np.linspace(150, 200, HEIGHT, dtype=np.float32)[:, None]
    x = np.linspace(0, 30, WIDTH, dtype=np.float32)[None, :]
    grey = y + x
    grey[FLOOR_Y - 60 :, :] -= 60  # the floor is darker than the wall
    grey[120:200, 20:70] = 90  # a cupboard
    grey[150:200, 230:310] = 120  # a bed
    image = np.clip(grey * brightness, 0, 255).astype(np.uint8)
    return np.repeat(image[:, :, None], 3, axis=2)


def draw(frame: Frame, centre_x: float, size: tuple[float, float], shade: int = 40) -> Frame:
    """`frame` with a person-box of `size` (w, h) standing on the floor at `centre_x`."""
    out = frame.copy()
    width, height = size
    left, right = round(centre_x - width / 2), round(centre_x + width / 2)
    top = round(FLOOR_Y - height)
    out[max(top, 0) : FLOOR_Y, max(left, 0) : min(right, WIDTH)] = (shade, shade + 20, shade + 40)
    return out


def _lerp(a: tuple[float, float], b: tuple[float, float], k: float) -> tuple[float, float]:
    return (a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k)


def scene(
    steps: list[tuple[float, float, tuple[float, float]]],
    empty_s: float = 1.0,
    brightness: float = 1.0,
) -> Iterator[tuple[float, Frame]]:
    """(t, frame) for an empty room, then the person moving through keyframes.

    `steps` are (duration_s, centre_x, size) keyframes reached by linear motion.
    """
    background = room(brightness)
    t, frame_index = 0.0, 0
    while t < empty_s:
        yield t, background
        frame_index += 1
        t = frame_index / FPS
    position, size = steps[0][1], steps[0][2]
    for duration, target_x, target_size in steps:
        count = max(1, round(duration * FPS))
        start_x, start_size = position, size
        for i in range(1, count + 1):
            k = i / count
            position = start_x + (target_x - start_x) * k
            size = _lerp(start_size, target_size, k)
            yield t, draw(background, position, size)
            frame_index += 1
            t = frame_index / FPS


def walk_in_then(
    *steps: tuple[float, float, tuple[float, float]],
) -> list[tuple[float, float, tuple[float, float]]]:
    """Walk in from the left edge to the middle, stand a moment, then `steps`."""
    return [(0.01, 20.0, STANDING), (1.5, 150.0, STANDING), (0.7, 150.0, STANDING), *steps]
