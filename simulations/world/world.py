"""`SimWorld`: a simulated home with its resident, posed over sim time and seen by the room cameras.

The timeline is a list of `Motion`s: `perform` appends one (checking that the
resident can do it from where the previous one left them), `advance` poses
the body for a moment of it, `render` draws the camera of the resident's
room. Seeded variation (walking speed, fall speed, exact spots, heading) comes
from `seed`, so the same seed and the same calls give the same frames.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from types import TracebackType

import pybullet

from simulations.home import Camera, Home
from simulations.world import motions
from simulations.world.body import LYING_PELVIS, Pose, place_parts
from simulations.world.camera import CameraView, Image, hidden_by_furniture, render
from simulations.world.errors import WorldError
from simulations.world.layout import SEAT_HEIGHT, SEATS, Item, Layout, Point
from simulations.world.motions import Motion
from simulations.world.scene import build_body, build_home, connect, pose_body

ACTIONS: frozenset[str] = frozenset(
    {"walk_to", "sit_down", "stand_up", "lie_down", "get_up", "pick_up", "fall"}
)
FALL_DIRECTIONS: frozenset[str] = frozenset({"forward", "backward", "left", "right", "from_chair"})
POSTURES = ("standing", "walking", "sitting", "lying", "bending", "falling", "fallen")


# Where the resident stands by default: within this distance of the room's camera.
NEAR_CAMERA_M = 3.5


@dataclass(frozen=True)
class ResidentState:
    room: str
    posture: str
    x: float
    y: float


@dataclass(frozen=True)
class _Request:
    action: str
    room: str | None
    furniture: str | None
    direction: str | None
    to: tuple[float, float] | None


@dataclass(frozen=True)
class _Rest:
    """Where the last motion left the resident, and on what."""

    pose: Pose
    posture: str
    item: Item | None  # the seat or bed they are on
    stand_spot: Point | None  # where they get up to from it


class SimWorld:
    def __init__(
        self,
        home: Home,
        *,
        seed: int = 0,
        room: str | None = None,
        width: int = 320,
        height: int = 240,
    ) -> None:
        if width < 16 or height < 16:
            raise WorldError(f"camera resolution {width}x{height} is too small (at least 16x16)")
        self.home = home
        self.layout = Layout(home)
        self._rng = random.Random(seed)
        self._size = (width, height)
        start_room = room or (home.cameras[0].room if home.cameras else home.rooms[0].name)
        self._check_room(start_room)
        spot = self._spot_in(start_room)
        pose = motions.standing(spot[0], spot[1], self._side_on(start_room, 0.0))
        self._rest = _Rest(pose, "standing", None, None)
        self._base = (pose, "standing")  # the pose before the first motion still kept
        self._motions: list[Motion] = []
        self._now = 0.0
        self._pose = pose
        self._posture = "standing"
        self._room = start_room
        self._camera = self._camera_for(start_room, None)
        self._client = connect(pybullet)
        build_home(pybullet, self._client, self.layout)
        self._body = build_body(pybullet, self._client)
        pose_body(pybullet, self._client, self._body, place_parts(pose))

    # --- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        if self._client >= 0:
            pybullet.disconnect(physicsClientId=self._client)
            self._client = -1

    def __enter__(self) -> SimWorld:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # --- what is seen --------------------------------------------------------------------------

    @property
    def camera_name(self) -> str:
        if self._camera is None:
            raise WorldError(f"home {self.home.name!r} has no camera")
        return self._camera.name

    @property
    def resident(self) -> ResidentState:
        return ResidentState(self._room, self._posture, self._pose.x, self._pose.y)

    def render(self) -> Image:
        if self._client < 0:
            raise WorldError("the world is closed")
        if self._camera is None:
            raise WorldError(f"home {self.home.name!r} has no camera")
        return render(pybullet, self._client, CameraView(self._camera, *self._size))

    # --- time ------------------------------------------------------------------------------------

    def advance(self, t: float) -> None:
        if t < self._now - 1e-9:
            raise WorldError(f"time goes forward only: asked {t:.3f} s after {self._now:.3f} s")
        self._now = t
        # Motions wholly in the past are dropped; the last of them leaves its end as the base.
        while len(self._motions) > 1 and self._motions[1].start <= t:
            done = self._motions.pop(0)
            self._base = (done.end_pose, done.end_posture)
        pose, posture = self._base
        if self._motions and self._motions[0].start <= t:
            motion = self._motions[0]
            elapsed = min(t - motion.start, motion.duration)
            pose, posture = motion.pose_at(elapsed), motion.posture_at(elapsed)
            if elapsed >= motion.duration - 1e-6:
                posture = motion.end_posture
        self._pose, self._posture = pose, posture
        self._room = self.layout.room_of((pose.x, pose.y), self._room)
        self._camera = self._camera_for(self._room, self._camera)
        if self._client >= 0:
            pose_body(pybullet, self._client, self._body, place_parts(pose))

    def is_moving(self, t: float) -> bool:
        return any(m.start <= t < m.end for m in self._motions)

    # --- actions -------------------------------------------------------------------------------

    def perform(
        self,
        action: str,
        t: float,
        *,
        room: str | None = None,
        furniture: str | None = None,
        direction: str | None = None,
        to: tuple[float, float] | None = None,
    ) -> float:
        """Schedule `action` from sim time `t`; returns how long it takes (seconds).

        `to` (walk_to only) walks to that floor point instead of a spot of `room`.
        """
        if action not in ACTIONS:
            raise WorldError(f"unknown action {action!r} (known: {', '.join(sorted(ACTIONS))})")
        last = self._motions[-1] if self._motions else None
        if last is not None and t < last.end - 1e-9:
            raise WorldError(
                f"cannot start {action} at {t:.2f} s: {last.action} is still running "
                f"until {last.end:.2f} s"
            )
        if t < self._now - 1e-9:
            raise WorldError(
                f"cannot start {action} at {t:.2f} s: the world is at {self._now:.2f} s"
            )
        if direction is not None and action != "fall":
            raise WorldError(f"direction= is for fall, not {action}")
        request = _Request(action, room, furniture, direction, to)
        motion, rest = self._plan(request, t)
        self._motions.append(motion)
        self._rest = rest
        return motion.duration

    def _plan(self, request: _Request, t: float) -> tuple[Motion, _Rest]:
        rest = self._rest
        action = request.action
        if action == "fall":
            return self._fall(t, request.direction or "forward")
        if action in ("stand_up", "get_up"):
            return self._get_up(action, t)
        if rest.posture != "standing":
            needed = "stand_up" if rest.posture == "sitting" else "get_up"
            raise WorldError(f"cannot {action} while {rest.posture}: {needed} first")
        if action == "walk_to":
            return self._walk_to(t, request.room, request.furniture, request.to)
        if action == "pick_up":
            motion = motions.pick_up(t, rest.pose, self._rng.uniform(1.1, 1.5))
            return motion, _Rest(motion.end_pose, "standing", None, None)
        if action == "sit_down":
            return self._sit(t, self._seat(request.furniture))
        return self._lie_down(t, self._bed(request.furniture))

    def _here(self) -> tuple[Point, str]:
        here = (self._rest.pose.x, self._rest.pose.y)
        return here, self.layout.room_of(here, self._room)

    def _seat(self, furniture: str | None) -> Item:
        """The named seat, or the nearest one in the resident's room."""
        here, room = self._here()
        if furniture is not None:
            item = self.layout.find_item(furniture, room, here)
            if item.type not in SEATS:
                raise WorldError(
                    f"cannot sit on a {item.type}: sit_down takes a chair, sofa or armchair"
                )
            return item
        near = [i for i in self.layout.items if i.type in SEATS and i.furniture.room == room]
        if not near:
            raise WorldError(f"no chair, sofa or armchair in room {room!r}")
        return min(near, key=lambda i: math.dist(i.centre, here))

    def _bed(self, furniture: str | None) -> Item:
        """The named bed, or the bed of the resident's room."""
        here, room = self._here()
        if furniture is not None:
            item = self.layout.find_item(furniture, room, here)
            if item.type != "bed":
                raise WorldError(f"cannot lie down on a {item.type}: lie_down takes a bed")
            return item
        beds = [i for i in self.layout.items if i.type == "bed" and i.furniture.room == room]
        if not beds:
            raise WorldError(f"cannot lie_down in room {room!r}: it has no bed")
        return min(beds, key=lambda i: math.dist(i.centre, here))

    def _walk_path(self, t: float, goal: Point) -> Motion:
        rest = self._rest
        path = self.layout.path((rest.pose.x, rest.pose.y), goal)
        return motions.walk(t, path, rest.pose, self._rng.uniform(0.6, 1.0))

    def _walk_to(
        self, t: float, room: str | None, furniture: str | None, to: tuple[float, float] | None
    ) -> tuple[Motion, _Rest]:
        given = [
            name
            for name, value in (("room", room), ("furniture", furniture), ("to", to))
            if value is not None
        ]
        if len(given) != 1:
            raise WorldError(
                f"walk_to needs one of room=, furniture= or to= (got {', '.join(given) or 'none'})"
            )
        here, current_room = self._here()
        if room is not None:
            self._check_room(room)
            walking = self._walk_path(t, self._spot_in(room))
            # Arriving in a room, the resident stops side-on to its camera (see _side_on).
            end = walking.end_pose
            turning = motions.turn(walking.end, end, self._side_on(room, end.yaw))
            motion = replace(motions.then([walking, turning]), action="walk_to")
            return motion, _Rest(motion.end_pose, "standing", None, None)
        elif furniture is not None:
            item = self.layout.find_item(furniture, current_room, here)
            goal = self._approach(item)
        else:
            assert to is not None
            if not self.layout.is_free(to):
                raise WorldError(f"cannot walk to ({to[0]:.2f}, {to[1]:.2f}): no free floor there")
            goal = to
        motion = self._walk_path(t, goal)
        return motion, _Rest(motion.end_pose, "standing", None, None)

    def _approach(self, item: Item) -> Point:
        """A free floor spot next to `item`: in front of it, else beside it."""
        f = item.furniture
        along = (math.cos(f.yaw), math.sin(f.yaw))
        sides = [item.front, along, (-along[0], -along[1]), (-item.front[0], -item.front[1])]
        for side in sides:
            for gap in (0.35, 0.5, 0.7):
                reach = item.depth(side) + gap
                spot = (f.x + side[0] * reach, f.y + side[1] * reach)
                if self.layout.is_free(spot):
                    return spot
        return self.layout.nearest_free(item.centre)

    def _sit(self, t: float, item: Item) -> tuple[Motion, _Rest]:
        stand_spot = self._approach(item)
        walking = (
            self._walk_path(t, stand_spot)
            if math.dist(stand_spot, (self._rest.pose.x, self._rest.pose.y)) > 0.05
            else None
        )
        f = item.furniture
        along = (math.cos(f.yaw), math.sin(f.yaw))
        # On a sofa, somewhere along it; always a little forward of its middle.
        slide = (
            self._rng.uniform(-0.4, 0.4) * max(0.0, f.size[0] - 1.2) if item.type == "sofa" else 0.0
        )
        forward = 0.1 if item.type != "chair" else 0.0
        seat = (
            f.x + item.front[0] * forward + along[0] * slide,
            f.y + item.front[1] * forward + along[1] * slide,
        )
        start_pose = walking.end_pose if walking else self._rest.pose
        yaw = math.atan2(item.front[1], item.front[0])
        sit = motions.sit_down(
            walking.end if walking else t, start_pose, seat, SEAT_HEIGHT[item.type], yaw
        )
        motion = motions.then([walking, sit]) if walking else sit
        motion = replace(motion, action="sit_down")
        return motion, _Rest(motion.end_pose, "sitting", item, stand_spot)

    def _lie_down(self, t: float, bed: Item) -> tuple[Motion, _Rest]:
        stand_spot = self._approach(bed)
        walking = (
            self._walk_path(t, stand_spot)
            if math.dist(stand_spot, (self._rest.pose.x, self._rest.pose.y)) > 0.05
            else None
        )
        f = bed.furniture
        edge_depth = bed.depth(bed.front) - 0.3
        edge_point = (f.x + bed.front[0] * edge_depth, f.y + bed.front[1] * edge_depth)
        yaw = math.atan2(bed.front[1], bed.front[0])
        start_pose = walking.end_pose if walking else self._rest.pose
        sit = motions.sit_down(
            walking.end if walking else t, start_pose, edge_point, SEAT_HEIGHT["bed"], yaw
        )
        head = math.atan2(bed.head[1], bed.head[0])
        # The pelvis lies a little towards the foot end so the head reaches the pillow.
        shift = 0.15
        lying = motions.lying_face_up(
            f.x - bed.head[0] * shift, f.y - bed.head[1] * shift, head, f.size[2] + LYING_PELVIS
        )
        lie = motions.lie_down(sit.end, sit.end_pose, lying)
        parts = [m for m in (walking, sit, lie) if m is not None]
        motion = replace(motions.then(parts), action="lie_down")
        return motion, _Rest(motion.end_pose, "lying", bed, stand_spot)

    def _get_up(self, action: str, t: float) -> tuple[Motion, _Rest]:
        rest = self._rest
        if action == "stand_up" and rest.posture != "sitting":
            raise WorldError(
                f"cannot stand_up while {rest.posture}"
                + (": get_up first" if rest.posture in ("lying", "fallen") else "")
            )
        if action == "get_up" and rest.posture not in ("lying", "fallen"):
            hint = ": stand_up is for sitting" if rest.posture == "sitting" else ""
            raise WorldError(f"cannot get_up while {rest.posture}{hint}")
        if rest.posture == "fallen":
            spot = self.layout.nearest_free((rest.pose.x, rest.pose.y))
            stand = motions.standing(spot[0], spot[1], rest.pose.yaw)
            motion = motions.get_up_from_floor(t, rest.pose, stand)
            return motion, _Rest(motion.end_pose, "standing", None, None)
        assert rest.item is not None and rest.stand_spot is not None
        yaw = math.atan2(rest.item.front[1], rest.item.front[0])
        stand = motions.standing(rest.stand_spot[0], rest.stand_spot[1], yaw)
        if rest.posture == "lying":
            f = rest.item.furniture
            edge_depth = rest.item.depth(rest.item.front) - 0.3
            edge = motions.sitting(
                f.x + rest.item.front[0] * edge_depth,
                f.y + rest.item.front[1] * edge_depth,
                yaw,
                SEAT_HEIGHT["bed"],
            )
            up = motions.get_up_from_bed(t, rest.pose, edge)
            rise = motions.stand_up(up.end, edge, stand)
            motion = replace(motions.then([up, rise]), action="get_up")
        else:
            motion = motions.stand_up(t, rest.pose, stand)
        return motion, _Rest(motion.end_pose, "standing", None, None)

    def _fall(self, t: float, direction: str) -> tuple[Motion, _Rest]:
        if direction not in FALL_DIRECTIONS:
            known = ", ".join(sorted(FALL_DIRECTIONS))
            raise WorldError(f"unknown fall direction {direction!r} (known: {known})")
        rest = self._rest
        plunge = self._rng.uniform(0.5, 0.9)
        if direction == "from_chair":
            if rest.posture != "sitting" or rest.item is None:
                raise WorldError(f"cannot fall from_chair while {rest.posture}: sit_down first")
            motion = motions.fall_from_chair(t, rest.pose, self._fall_side(rest), plunge)
        elif rest.posture not in ("standing", "bending"):
            raise WorldError(
                f"cannot fall {direction} while {rest.posture} (from_chair is for sitting)"
            )
        else:
            motion = motions.fall(t, rest.pose, direction, plunge)
        return motion, _Rest(motion.end_pose, "fallen", None, None)

    def _fall_side(self, rest: _Rest) -> float:
        """Which way someone slumps off a seat: forward if the floor is clear, else sideways."""
        assert rest.item is not None
        front = math.atan2(rest.item.front[1], rest.item.front[0])
        for turn in (0.0, math.pi / 2, -math.pi / 2):
            angle = front + turn
            landing = (rest.pose.x + 1.1 * math.cos(angle), rest.pose.y + 1.1 * math.sin(angle))
            if self.layout.is_free(landing):
                return angle
        return front

    # --- places --------------------------------------------------------------------------------

    def _check_room(self, room: str) -> None:
        names = [r.name for r in self.home.rooms]
        if room not in names:
            raise WorldError(
                f"unknown room {room!r} (rooms of {self.home.name}: {', '.join(names)})"
            )

    def _spot_in(self, room: str) -> Point:
        """A seeded free spot of `room`, in its camera's view when it has one."""
        spots = self.layout.free_spots(room, 0.3) or self.layout.free_spots(room, 0.0)
        if not spots:
            raise WorldError(f"room {room!r} has no free floor to stand on")
        camera = self._camera_for(room, None)
        if camera is not None:
            view = CameraView(camera, *self._size)
            seen = [
                s
                for s in spots
                if view.sees((s[0], s[1], 0.0), 0.05) and view.sees((s[0], s[1], 1.7), 0.05)
            ]
            # Best of all: open floor on both sides across the view, where someone
            # who trips lands in sight and not on the furniture.
            axis = (-math.sin(camera.yaw), math.cos(camera.yaw))
            open_floor = [s for s in seen if self._open_across(room, view, s, axis)]
            # A room camera watches the floor near it: far away a person is a few dozen
            # pixels, too small to see fall (the kitchen is 7 m long).
            near = [s for s in seen if math.dist(s, (camera.x, camera.y)) <= NEAR_CAMERA_M]
            near_open = [s for s in near if s in open_floor]
            spots = near_open or near or open_floor or seen or spots
        return self._rng.choice(spots)

    def _open_across(self, room: str, view: CameraView, spot: Point, axis: Point) -> bool:
        """Floor a body's length away on both sides of `spot` along `axis`: open and in view."""
        r = self.home.room(room)
        for sign in (1.0, -1.0):
            for reach in (0.5, 1.0):
                p = (spot[0] + sign * reach * axis[0], spot[1] + sign * reach * axis[1])
                inside = (
                    r.x + 0.1 < p[0] < r.x + r.width - 0.1
                    and r.y + 0.1 < p[1] < r.y + r.depth - 0.1
                )
                if not (inside and view.sees((p[0], p[1], 0.0), 0.03)):
                    return False
                if hidden_by_furniture(self.home, view.eye, (p[0], p[1], 0.15)):
                    return False
                if any(_inside(item.footprint(), p, 0.1) for item in self.home.furniture):
                    return False
        return True

    def _side_on(self, room: str, near: float) -> float:
        """A seeded heading across the view of the room's camera (within 25 degrees).

        A resident standing about in a room is seen side-on, so a forward or backward
        fall from there lands across the picture. A fall straight along the camera's
        line of sight foreshortens into an upright-looking blob that the fall detector
        (one camera, silhouette rules) cannot tell from standing: see
        benchmarks/sim_falls.py --along-axis.
        """
        camera = self._camera_for(room, None)
        jitter = self._rng.uniform(-0.44, 0.44)
        if camera is None:
            return near + jitter
        options = (camera.yaw + math.pi / 2, camera.yaw - math.pi / 2)
        best = min(options, key=lambda a: abs(math.remainder(a - near, 2 * math.pi)))
        return math.remainder(best + jitter, 2 * math.pi)

    def _camera_for(self, room: str, current: Camera | None) -> Camera | None:
        """The camera of `room`; a room without one keeps the one that last saw the resident."""
        for camera in self.home.cameras:
            if camera.room == room:
                return camera
        if current is not None:
            return current
        return self.home.cameras[0] if self.home.cameras else None


def _inside(box: tuple[float, float, float, float], p: Point, margin: float) -> bool:
    return box[0] - margin < p[0] < box[2] + margin and box[1] - margin < p[1] < box[3] + margin
