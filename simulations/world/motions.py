"""The resident's movements as poses over time: pure functions, no pybullet.

A `Motion` is a stretch of time with a pose and a posture for every moment
of it. Speeds are an older adult's: walking 0.6-1.0 m/s, sitting down and
getting up in 1.5-3 s, lying down on a bed in several seconds. A fall is a
plunge of 0.5-1.0 s from the first stumble to the floor, accelerating as a
toppling body does, and ends lying flat.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import pairwise

from simulations.world.body import LYING_PELVIS, STANDING_PELVIS, Pose, lerp_pose

Point = tuple[float, float]
Ease = Callable[[float], float]


def smooth(u: float) -> float:
    return u * u * (3 - 2 * u)


def linear(u: float) -> float:
    return u


def accelerate(u: float) -> float:
    """Falling: slow at first, fastest at impact."""
    return u * u


@dataclass(frozen=True)
class Key:
    t: float  # seconds from the motion's start
    pose: Pose
    posture: str  # the posture from this key on
    ease: Ease = smooth  # how the segment ending at this key is travelled


@dataclass(frozen=True)
class Motion:
    action: str
    start: float
    duration: float
    pose_at: Callable[[float], Pose]  # seconds since the start -> pose
    posture_at: Callable[[float], str]
    end_posture: str

    @property
    def end(self) -> float:
        return self.start + self.duration

    @property
    def end_pose(self) -> Pose:
        return self.pose_at(self.duration)


def keyframed(action: str, start: float, keys: list[Key]) -> Motion:
    """A motion through `keys` (the first at t=0)."""

    def segment(t: float) -> int:
        for i in range(1, len(keys)):
            if t < keys[i].t:
                return i
        return len(keys) - 1

    def pose_at(t: float) -> Pose:
        if t <= 0:
            return keys[0].pose
        if t >= keys[-1].t:
            return keys[-1].pose
        i = segment(t)
        a, b = keys[i - 1], keys[i]
        return lerp_pose(a.pose, b.pose, b.ease((t - a.t) / (b.t - a.t)))

    def posture_at(t: float) -> str:
        current = keys[0].posture
        for key in keys:
            if key.t <= t:
                current = key.posture
        return current

    return Motion(action, start, keys[-1].t, pose_at, posture_at, keys[-1].posture)


def then(motions: list[Motion]) -> Motion:
    """Motions one after another as one (e.g. walking to the bed, then lying down)."""
    first = motions[0]
    offsets = []
    total = 0.0
    for motion in motions:
        offsets.append(total)
        total += motion.duration

    def find(t: float) -> tuple[Motion, float]:
        for motion, offset in zip(motions, offsets, strict=True):
            if t < offset + motion.duration:
                return motion, t - offset
        return motions[-1], t - offsets[-1]

    return Motion(
        motions[-1].action,
        first.start,
        total,
        lambda t: find(t)[0].pose_at(find(t)[1]),
        lambda t: find(t)[0].posture_at(find(t)[1]),
        motions[-1].end_posture,
    )


def heading(a: Point, b: Point) -> float:
    return math.atan2(b[1] - a[1], b[0] - a[0])


# --- poses -------------------------------------------------------------------------------------


def standing(x: float, y: float, yaw: float) -> Pose:
    return Pose(x=x, y=y, z=STANDING_PELVIS, yaw=yaw)


def sitting(x: float, y: float, yaw: float, seat_height: float) -> Pose:
    # Thighs level on the seat, shins down to the floor (the lower seat, the more bent).
    knee = 1.55 if seat_height < 0.48 else 1.3
    return Pose(
        x=x, y=y, z=seat_height + 0.08, yaw=yaw, trunk=-0.1, hip_l=1.5, hip_r=1.5,
        knee_l=knee, knee_r=knee, shoulder_l=0.5, shoulder_r=0.5, elbow_l=0.9, elbow_r=0.9,
    )  # fmt: skip


def squatting(x: float, y: float, yaw: float) -> Pose:
    """Bent down to pick something off the floor: knees bent, trunk forward, arms down."""
    back = 0.12  # the pelvis goes back to keep the feet under the body
    return Pose(
        x=x - back * math.cos(yaw), y=y - back * math.sin(yaw), z=0.64, yaw=yaw, trunk=0.75,
        hip_l=1.0, hip_r=1.0, knee_l=1.6, knee_r=1.6, shoulder_l=0.7, shoulder_r=0.7,
        elbow_l=0.2, elbow_r=0.2,
    )  # fmt: skip


def lying_face_up(x: float, y: float, head: float, z: float) -> Pose:
    """Lying on the back with the head towards the world angle `head`."""
    return Pose(
        x=x, y=y, z=z, yaw=head + math.pi, pitch=-math.pi / 2, spread_l=0.35, spread_r=0.35,
        elbow_l=0.2, elbow_r=0.2,
    )  # fmt: skip


# --- actions -----------------------------------------------------------------------------------


def walk(start: float, path: list[Point], from_pose: Pose, speed: float) -> Motion:
    """Walking along `path` at `speed` m/s with a stepping gait (turning on the spot first)."""
    legs = [(a, b, math.dist(a, b)) for a, b in pairwise(path)]
    legs = [leg for leg in legs if leg[2] > 1e-6]
    length = sum(leg[2] for leg in legs)
    first_yaw = heading(legs[0][0], legs[0][1]) if legs else from_pose.yaw
    turn = min(0.8, abs(math.remainder(first_yaw - from_pose.yaw, 2 * math.pi)) / 2.5)
    walking = length / speed
    stride = 1.1 * speed  # a step of about half a stride a second

    def pose_at(t: float) -> Pose:
        if t < turn:
            return lerp_pose(from_pose, replace(from_pose, yaw=first_yaw), smooth(t / turn))
        t = min(t - turn, walking)
        travelled = t * speed
        for a, b, d in legs:
            if travelled <= d or (a, b, d) == legs[-1]:
                u = min(travelled / d, 1.0)
                x, y = a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u
                yaw = heading(a, b)
                break
            travelled -= d
        else:
            x, y, yaw = from_pose.x, from_pose.y, first_yaw
        # The gait fades in and out over the first and last half second.
        fade = min(1.0, t / 0.5, (walking - t) / 0.5) if walking > 0 else 0.0
        phase = 2 * math.pi * t * speed / stride
        swing = 0.35 * math.sin(phase) * fade
        return Pose(
            x=x, y=y, z=STANDING_PELVIS - 0.02 * abs(math.sin(phase)) * fade, yaw=yaw,
            trunk=0.05 * fade, hip_l=swing, hip_r=-swing,
            knee_l=(0.1 + 0.5 * max(0.0, -math.sin(phase))) * fade,
            knee_r=(0.1 + 0.5 * max(0.0, math.sin(phase))) * fade,
            shoulder_l=-0.6 * swing, shoulder_r=0.6 * swing, elbow_l=0.25, elbow_r=0.25,
        )  # fmt: skip

    return Motion(
        "walk_to",
        start,
        turn + walking,
        pose_at,
        lambda t: "walking" if t < turn + walking else "standing",
        "standing",
    )


def turn(start: float, stand: Pose, yaw: float) -> Motion:
    """Turning on the spot to face `yaw` (about 1 s for half a turn)."""
    angle = abs(math.remainder(yaw - stand.yaw, 2 * math.pi))
    duration = max(0.2, angle / 2.5)
    return keyframed(
        "walk_to",
        start,
        [Key(0.0, stand, "walking"), Key(duration, replace(stand, yaw=yaw), "standing")],
    )


def sit_down(start: float, stand: Pose, seat: Point, seat_height: float, yaw: float) -> Motion:
    """From standing near a seat: turn its way round, then lower onto it (about 2 s)."""
    turned = replace(stand, yaw=yaw)
    end = sitting(seat[0], seat[1], yaw, seat_height)
    mid = replace(lerp_pose(turned, end, 0.5), trunk=0.45, z=0.72)
    return keyframed(
        "sit_down",
        start,
        [
            Key(0.0, stand, "standing"),
            Key(0.6, turned, "standing"),
            Key(1.5, mid, "sitting"),
            Key(2.4, end, "sitting"),
        ],
    )


def stand_up(start: float, seated: Pose, stand: Pose) -> Motion:
    """From a seat to standing beside it: lean forward, push up (about 2 s)."""
    lean = replace(seated, trunk=0.55)
    mid = replace(lerp_pose(seated, stand, 0.5), trunk=0.45, z=0.72)
    return keyframed(
        "stand_up",
        start,
        [
            Key(0.0, seated, "sitting"),
            Key(0.7, lean, "sitting"),
            Key(1.5, mid, "standing"),
            Key(2.3, stand, "standing"),
        ],
    )


def lie_down(start: float, edge: Pose, lying: Pose) -> Motion:
    """From sitting on the bed's edge to lying on it: slowly (about 4 s)."""
    half = lerp_pose(edge, lying, 0.5)
    mid = replace(half, hip_l=1.2, hip_r=1.2, knee_l=1.0, knee_r=1.0, trunk=-0.2)
    return keyframed(
        "lie_down",
        start,
        [Key(0.0, edge, "sitting"), Key(2.0, mid, "sitting"), Key(4.0, lying, "lying")],
    )


def get_up_from_bed(start: float, lying: Pose, edge: Pose) -> Motion:
    half = lerp_pose(lying, edge, 0.5)
    mid = replace(half, hip_l=1.2, hip_r=1.2, knee_l=1.0, knee_r=1.0, trunk=0.2)
    return keyframed(
        "get_up",
        start,
        [Key(0.0, lying, "lying"), Key(2.0, mid, "sitting"), Key(4.0, edge, "sitting")],
    )


def get_up_from_floor(start: float, fallen: Pose, stand: Pose) -> Motion:
    """Slowly: roll to kneeling, then push up to standing (about 5 s)."""
    kneel = Pose(
        x=(fallen.x + stand.x) / 2, y=(fallen.y + stand.y) / 2, z=0.45, yaw=stand.yaw,
        trunk=0.5, hip_l=1.2, hip_r=0.6, knee_l=1.5, knee_r=1.9, shoulder_l=0.8,
        shoulder_r=0.8,
    )  # fmt: skip
    return keyframed(
        "get_up",
        start,
        [
            Key(0.0, fallen, "fallen"),
            Key(2.5, kneel, "bending"),
            Key(5.0, stand, "standing"),
        ],
    )


def pick_up(start: float, stand: Pose, down_s: float) -> Motion:
    """Bending down to the floor and back up (about 3 s)."""
    low = squatting(stand.x, stand.y, stand.yaw)
    return keyframed(
        "pick_up",
        start,
        [
            Key(0.0, stand, "standing"),
            Key(0.1, stand, "bending"),
            Key(down_s, low, "bending"),
            Key(down_s + 0.6, low, "bending"),
            Key(2 * down_s + 0.6, stand, "standing"),
        ],
    )


# The body's tilt and the side the pelvis lands on, per direction of a fall.
_FALLS: dict[str, tuple[str, float]] = {
    "forward": ("pitch", 1.0),
    "backward": ("pitch", -1.0),
    "right": ("roll", 1.0),
    "left": ("roll", -1.0),
}


def _tilted(base: Pose, direction: str, angle: float, reach: float, z: float) -> Pose:
    """`base` tipped `angle` towards `direction`, the pelvis moved `reach` that way."""
    axis, sign = _FALLS[direction]
    ahead = (math.cos(base.yaw), math.sin(base.yaw))
    if axis == "pitch":
        step = (sign * ahead[0], sign * ahead[1])
        return replace(base, pitch=sign * angle, x=base.x + reach * step[0],
                       y=base.y + reach * step[1], z=z)  # fmt: skip
    right = (ahead[1], -ahead[0])
    return replace(base, roll=sign * angle, x=base.x + sign * reach * right[0],
                   y=base.y + sign * reach * right[1], z=z)  # fmt: skip


def fall(start: float, stand: Pose, direction: str, plunge_s: float) -> Motion:
    """Stumble (0.2 s), topple about the feet in `plunge_s`, land flat and settle."""
    arms = {"forward": (2.4, 0.3), "backward": (0.9, 1.1), "left": (1.2, 0.9), "right": (1.2, 0.9)}
    shoulder, spread = arms[direction]
    buckle = replace(
        stand, z=STANDING_PELVIS - 0.05, knee_l=0.35, knee_r=0.25, hip_l=0.15, hip_r=0.1,
        shoulder_l=0.5, shoulder_r=0.5, spread_l=0.3, spread_r=0.3,
    )  # fmt: skip
    buckle = _tilted(buckle, direction, 0.12, 0.1, STANDING_PELVIS - 0.06)
    limbs = replace(
        stand, knee_l=0.25, knee_r=0.1, hip_l=0.1, hip_r=0.0, shoulder_l=shoulder,
        shoulder_r=shoulder, spread_l=spread, spread_r=spread, elbow_l=0.3, elbow_r=0.3,
    )  # fmt: skip
    tipping = _tilted(limbs, direction, 0.9, 0.75, 0.62)
    down = _tilted(limbs, direction, math.pi / 2, 1.0, LYING_PELVIS)
    rest = replace(down, knee_l=0.5, hip_l=0.3, elbow_l=0.6)
    return keyframed(
        "fall",
        start,
        [
            Key(0.0, stand, "falling"),
            Key(0.2, buckle, "falling"),
            Key(0.2 + 0.6 * plunge_s, tipping, "falling", accelerate),
            Key(0.2 + plunge_s, down, "fallen", linear),
            Key(0.6 + plunge_s, rest, "fallen"),
        ],
    )


def fall_from_chair(start: float, seated: Pose, towards: float, plunge_s: float) -> Motion:
    """Slumping off a seat towards the world angle `towards`: slow slide, then a plunge."""
    ahead = (math.cos(towards), math.sin(towards))
    slump = replace(seated, trunk=0.5, shoulder_l=0.3, shoulder_r=0.3, elbow_l=0.2, elbow_r=0.2)
    base = replace(seated, yaw=towards, trunk=0.0)
    tipping = replace(
        base, x=seated.x + 0.3 * ahead[0], y=seated.y + 0.3 * ahead[1], z=0.38, pitch=0.8,
        hip_l=0.9, hip_r=0.9, knee_l=1.1, knee_r=1.1, shoulder_l=1.4, shoulder_r=1.4,
    )  # fmt: skip
    down = replace(
        base, x=seated.x + 0.55 * ahead[0], y=seated.y + 0.55 * ahead[1], z=LYING_PELVIS,
        pitch=math.pi / 2, hip_l=0.3, hip_r=0.1, knee_l=0.6, knee_r=0.3, shoulder_l=2.4,
        shoulder_r=2.4, spread_l=0.4, spread_r=0.4,
    )  # fmt: skip
    return keyframed(
        "fall",
        start,
        [
            Key(0.0, seated, "sitting"),
            Key(0.5, slump, "falling"),
            Key(0.5 + 0.5 * plunge_s, tipping, "falling", accelerate),
            Key(0.5 + plunge_s, down, "fallen", linear),
            Key(0.9 + plunge_s, replace(down, elbow_l=0.6), "fallen"),
        ],
    )
