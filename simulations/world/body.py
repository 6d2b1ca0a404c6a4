"""The resident's body: a pose (a few joint angles) and where each body part then is.

Pure geometry, no pybullet. A kinematic humanoid about 1.66 m tall, built from
capsules and boxes, is posed from its pelvis: the pelvis position, the body's
heading and tilt, the trunk's bend and the limbs' angles. Body frame: x
forward, y left, z up; angles in radians.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]
Shape = Literal["box", "capsule", "sphere"]

# Segment lengths (m): a resident of 1.66 m with the hips at 0.90 m.
THIGH = 0.44
SHIN = 0.46  # knee to sole
UPPER_ARM = 0.30
FOREARM = 0.30
SPINE = 0.52  # pelvis (hip joints) to the shoulder line
HEAD_RADIUS = 0.11
NECK = 0.12
HIP_WIDTH = 0.10  # each hip joint from the middle
SHOULDER_WIDTH = 0.20
STANDING_PELVIS = THIGH + SHIN  # 0.90 m
LYING_PELVIS = 0.12  # the pelvis' height lying on a floor (half the body's thickness)

SHIRT = (0.72, 0.10, 0.10, 1.0)  # dark red: contrasts with cream walls and wooden floors
TROUSERS = (0.10, 0.12, 0.35, 1.0)
SKIN = (0.85, 0.64, 0.50, 1.0)
HAIR = (0.25, 0.20, 0.15, 1.0)
SHOES = (0.08, 0.08, 0.08, 1.0)


@dataclass(frozen=True)
class Pose:
    """The whole body's posture; every field interpolates linearly between key poses."""

    x: float = 0.0  # pelvis (midpoint of the hip joints), world metres
    y: float = 0.0
    z: float = STANDING_PELVIS
    yaw: float = 0.0  # heading of the body's front (world radians)
    pitch: float = 0.0  # whole-body tilt, positive forward (pi/2: lying face down)
    roll: float = 0.0  # whole-body tilt, positive to the right (pi/2: lying on the right side)
    trunk: float = 0.0  # trunk bent forward at the hips
    hip_l: float = 0.0  # thigh raised forward
    hip_r: float = 0.0
    knee_l: float = 0.0  # knee bent (shin backwards)
    knee_r: float = 0.0
    shoulder_l: float = 0.0  # arm raised forward
    shoulder_r: float = 0.0
    spread_l: float = 0.08  # arm raised sideways
    spread_r: float = 0.08
    elbow_l: float = 0.1  # forearm bent forward
    elbow_r: float = 0.1


@dataclass(frozen=True)
class PartShape:
    name: str
    shape: Shape
    size: tuple[float, ...]  # box: half extents; capsule: radius, length; sphere: radius
    colour: tuple[float, float, float, float]


@dataclass(frozen=True)
class PartPlacement:
    name: str
    position: tuple[float, float, float]
    orientation: tuple[float, float, float, float]  # quaternion x, y, z, w


PARTS: tuple[PartShape, ...] = (
    PartShape("pelvis", "box", (0.11, 0.17, 0.10), TROUSERS),
    PartShape("torso", "box", (0.11, 0.18, 0.25), SHIRT),
    PartShape("head", "sphere", (HEAD_RADIUS,), SKIN),
    PartShape("hair", "sphere", (HEAD_RADIUS * 0.9,), HAIR),
    PartShape("thigh_l", "capsule", (0.075, THIGH - 0.1), TROUSERS),
    PartShape("thigh_r", "capsule", (0.075, THIGH - 0.1), TROUSERS),
    PartShape("shin_l", "capsule", (0.06, SHIN - 0.14), TROUSERS),
    PartShape("shin_r", "capsule", (0.06, SHIN - 0.14), TROUSERS),
    PartShape("foot_l", "box", (0.12, 0.05, 0.04), SHOES),
    PartShape("foot_r", "box", (0.12, 0.05, 0.04), SHOES),
    PartShape("upper_arm_l", "capsule", (0.05, UPPER_ARM - 0.08), SHIRT),
    PartShape("upper_arm_r", "capsule", (0.05, UPPER_ARM - 0.08), SHIRT),
    PartShape("forearm_l", "capsule", (0.04, FOREARM - 0.06), SKIN),
    PartShape("forearm_r", "capsule", (0.04, FOREARM - 0.06), SKIN),
)


def rot_x(a: float) -> Matrix:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(a: float) -> Matrix:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(a: float) -> Matrix:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def quaternion(m: Matrix) -> tuple[float, float, float, float]:
    """A rotation matrix as a quaternion (x, y, z, w)."""
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0:
        s = 2.0 * math.sqrt(trace + 1.0)
        w, x = 0.25 * s, (m[2, 1] - m[1, 2]) / s
        y, z = (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = 2.0 * math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2])
        w, x = (m[2, 1] - m[1, 2]) / s, 0.25 * s
        y, z = (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s
    elif m[1, 1] > m[2, 2]:
        s = 2.0 * math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2])
        w, x = (m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s
        y, z = 0.25 * s, (m[1, 2] + m[2, 1]) / s
    else:
        s = 2.0 * math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1])
        w, x = (m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s
        y, z = (m[1, 2] + m[2, 1]) / s, 0.25 * s
    return float(x), float(y), float(z), float(w)


def _place(name: str, position: Matrix, rotation: Matrix) -> PartPlacement:
    x, y, z = (float(v) for v in position)
    return PartPlacement(name, (x, y, z), quaternion(rotation))


_DOWN = np.array([0.0, 0.0, -1.0])


def place_parts(pose: Pose) -> list[PartPlacement]:
    """Where every part of `PARTS` is for `pose` (same order)."""
    body = rot_z(pose.yaw) @ rot_y(pose.pitch) @ rot_x(pose.roll)
    pelvis = np.array([pose.x, pose.y, pose.z])
    trunk = body @ rot_y(pose.trunk)
    shoulders = pelvis + trunk @ np.array([0.0, 0.0, SPINE])
    head = shoulders + trunk @ np.array([0.0, 0.0, NECK + HEAD_RADIUS - 0.02])
    placed = [
        _place("pelvis", pelvis + body @ np.array([0.0, 0.0, 0.02]), body),
        _place("torso", pelvis + trunk @ np.array([0.0, 0.0, SPINE / 2 + 0.02]), trunk),
        _place("head", head, trunk),
        _place("hair", head + trunk @ np.array([-0.03, 0.0, 0.03]), trunk),
    ]
    legs: list[PartPlacement] = []
    arms: list[PartPlacement] = []
    for side, sign in (("l", 1.0), ("r", -1.0)):
        hip = pelvis + body @ np.array([0.0, sign * HIP_WIDTH, 0.0])
        thigh = body @ rot_y(-getattr(pose, f"hip_{side}"))
        knee = hip + thigh @ (_DOWN * THIGH)
        shin = thigh @ rot_y(getattr(pose, f"knee_{side}"))
        ankle = knee + shin @ (_DOWN * (SHIN - 0.06))
        legs += [
            _place(f"thigh_{side}", hip + thigh @ (_DOWN * THIGH / 2), thigh),
            _place(f"shin_{side}", knee + shin @ (_DOWN * (SHIN - 0.06) / 2), shin),
            _place(f"foot_{side}", ankle + shin @ np.array([0.06, 0.0, -0.02]), shin),
        ]
        shoulder = shoulders + trunk @ np.array([0.0, sign * SHOULDER_WIDTH, -0.03])
        spread = getattr(pose, f"spread_{side}")
        upper = trunk @ rot_x(sign * spread) @ rot_y(-getattr(pose, f"shoulder_{side}"))
        elbow = shoulder + upper @ (_DOWN * UPPER_ARM)
        fore = upper @ rot_y(-getattr(pose, f"elbow_{side}"))
        arms += [
            _place(f"upper_arm_{side}", shoulder + upper @ (_DOWN * UPPER_ARM / 2), upper),
            _place(f"forearm_{side}", elbow + fore @ (_DOWN * FOREARM / 2), fore),
        ]
    order = {part.name: i for i, part in enumerate(PARTS)}
    return sorted(placed + legs + arms, key=lambda part: order[part.name])


def lerp_pose(a: Pose, b: Pose, u: float) -> Pose:
    """The pose a fraction `u` (0..1) of the way from `a` to `b`; yaw turns the short way."""
    values: dict[str, float] = {}
    for field in fields(Pose):
        start, end = getattr(a, field.name), getattr(b, field.name)
        if field.name == "yaw":
            end = start + math.remainder(end - start, 2 * math.pi)
        values[field.name] = start + (end - start) * u
    return replace(a, **values)
