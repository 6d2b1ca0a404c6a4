"""The room cameras: where they look, what they see, and rendering through pybullet.

The geometry (`CameraView`) is pure; `render` calls pybullet's CPU renderer
(`ER_TINY_RENDERER`) with one fixed light so brightness never jumps between
frames (the fall detector re-learns its background on such jumps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from simulations.home import Camera, Home

NEAR, FAR = 0.05, 30.0
LIGHT_DIRECTION = (0.3, 0.5, 1.0)  # from above, fixed for every frame

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class CameraView:
    camera: Camera
    width: int
    height: int

    @property
    def eye(self) -> tuple[float, float, float]:
        return self.camera.x, self.camera.y, self.camera.height

    @property
    def forward(self) -> tuple[float, float, float]:
        c = self.camera
        return (
            math.cos(c.pitch) * math.cos(c.yaw),
            math.cos(c.pitch) * math.sin(c.yaw),
            -math.sin(c.pitch),
        )

    @property
    def vertical_fov(self) -> float:
        """Radians; the home file gives the horizontal one."""
        return 2 * math.atan(math.tan(self.camera.fov / 2) * self.height / self.width)

    def sees(self, point: tuple[float, float, float], margin: float = 0.0) -> bool:
        """True when `point` projects inside the picture, `margin` (fraction) from its edges."""
        eye = np.array(self.eye)
        forward = np.array(self.forward)
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        v = np.array(point) - eye
        depth = float(v @ forward)
        if depth <= NEAR:
            return False
        limit = 1.0 - 2 * margin
        x = float(v @ right) / depth / math.tan(self.camera.fov / 2)
        y = float(v @ up) / depth / math.tan(self.vertical_fov / 2)
        return abs(x) <= limit and abs(y) <= limit


def hidden_by_furniture(
    home: Home, eye: tuple[float, float, float], point: tuple[float, float, float]
) -> bool:
    """True when furniture stands between the camera and `point` (slab test on its box)."""
    for item in home.furniture:
        x0, y0, x1, y1 = item.footprint()
        lo, hi = 0.0, 1.0
        for a, b, low, high in ((eye[0], point[0], x0, x1), (eye[1], point[1], y0, y1),
                                (eye[2], point[2], 0.0, item.size[2])):  # fmt: skip
            d = b - a
            if abs(d) < 1e-9:
                if not low <= a <= high:
                    break
                continue
            t0, t1 = sorted(((low - a) / d, (high - a) / d))
            lo, hi = max(lo, t0), min(hi, t1)
        else:
            if lo < hi:
                return True
    return False


def render(bullet: Any, client: int, view: CameraView) -> Image:
    """The camera's picture, RGB uint8 (height, width, 3)."""
    eye = view.eye
    forward = view.forward
    target = (eye[0] + forward[0], eye[1] + forward[1], eye[2] + forward[2])
    view_matrix = bullet.computeViewMatrix(eye, target, (0.0, 0.0, 1.0), physicsClientId=client)
    projection = bullet.computeProjectionMatrixFOV(
        math.degrees(view.vertical_fov),
        view.width / view.height,
        NEAR,
        FAR,
        physicsClientId=client,
    )
    _, _, rgba, _, _ = bullet.getCameraImage(
        view.width,
        view.height,
        view_matrix,
        projection,
        renderer=bullet.ER_TINY_RENDERER,
        flags=bullet.ER_NO_SEGMENTATION_MASK,
        shadow=0,
        lightDirection=LIGHT_DIRECTION,
        lightColor=(1.0, 1.0, 1.0),
        lightAmbientCoeff=0.6,
        lightDiffuseCoeff=0.4,
        lightSpecularCoeff=0.0,
        physicsClientId=client,
    )
    pixels = np.asarray(rgba, dtype=np.uint8).reshape(view.height, view.width, 4)
    return np.ascontiguousarray(pixels[:, :, :3])
