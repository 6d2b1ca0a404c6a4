"""The home's solid geometry for the simulator: wall pieces, furniture blocks, free floor, paths.

Pure geometry from a `Home` (no pybullet): walls are cut at the doors (with a
lintel above each opening), furniture becomes coloured blocks by type (a seat
gets a backrest on the side away from its front), and a 10 cm occupancy grid
of the floor gives free spots and walking paths (A* through the doors,
shortened by line of sight).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from simulations.home import Furniture, Home, Room, door_wall
from simulations.world.errors import WorldError

Colour = tuple[float, float, float, float]
Point = tuple[float, float]

CELL = 0.1  # grid resolution, metres
BODY_RADIUS = 0.22  # how far a walking body keeps from walls and furniture
SEATS = frozenset({"chair", "sofa", "armchair"})
SEAT_HEIGHT = {"chair": 0.46, "sofa": 0.42, "armchair": 0.42, "bed": 0.5}

WALL_COLOUR: Colour = (0.86, 0.82, 0.70, 1.0)
CEILING_COLOUR: Colour = (0.95, 0.95, 0.93, 1.0)
# Floors differ by room type so the picture is not uniform.
FLOOR_COLOURS: dict[str, Colour] = {
    "kitchen": (0.62, 0.62, 0.64, 1.0),
    "bathroom": (0.74, 0.80, 0.84, 1.0),
    "bedroom": (0.52, 0.55, 0.60, 1.0),
    "hall": (0.50, 0.42, 0.34, 1.0),
}
DEFAULT_FLOOR: Colour = (0.56, 0.42, 0.28, 1.0)  # wooden floor
FURNITURE_COLOURS: dict[str, Colour] = {
    "bed": (0.50, 0.66, 0.82, 1.0),
    "sofa": (0.26, 0.46, 0.32, 1.0),
    "armchair": (0.70, 0.55, 0.22, 1.0),
    "chair": (0.62, 0.44, 0.26, 1.0),
    "table": (0.42, 0.28, 0.17, 1.0),
    "wardrobe": (0.72, 0.62, 0.46, 1.0),
    "shelf": (0.66, 0.56, 0.40, 1.0),
    "toilet": (0.96, 0.96, 0.96, 1.0),
    "bathtub": (0.94, 0.94, 0.96, 1.0),
    "sink": (0.92, 0.92, 0.94, 1.0),
    "fridge": (0.90, 0.91, 0.93, 1.0),
    "stove": (0.28, 0.28, 0.30, 1.0),
    "counter": (0.58, 0.58, 0.64, 1.0),
    "nightstand": (0.50, 0.34, 0.20, 1.0),
    "tv_stand": (0.20, 0.20, 0.23, 1.0),
}
PILLOW: Colour = (0.96, 0.96, 0.92, 1.0)
BED_FRAME: Colour = (0.40, 0.27, 0.16, 1.0)


@dataclass(frozen=True)
class Block:
    """A box to draw: centre, half extents (along its own x, y, z), heading and colour."""

    centre: tuple[float, float, float]
    half: tuple[float, float, float]
    yaw: float
    colour: Colour


@dataclass(frozen=True)
class Item:
    """A piece of furniture with the sides that matter to the resident."""

    index: int  # position in home.furniture
    furniture: Furniture
    front: Point  # unit vector of the side one sits or gets in on
    head: Point  # beds: unit vector towards the pillow end

    @property
    def type(self) -> str:
        return self.furniture.type

    @property
    def centre(self) -> Point:
        return self.furniture.x, self.furniture.y

    def depth(self, direction: Point) -> float:
        """Half the footprint's extent along `direction`."""
        length, width, _ = self.furniture.size
        along = (math.cos(self.furniture.yaw), math.sin(self.furniture.yaw))
        dot = abs(direction[0] * along[0] + direction[1] * along[1])
        return (length * dot + width * math.sqrt(max(0.0, 1 - dot * dot))) / 2


def _unit(a: float) -> Point:
    return math.cos(a), math.sin(a)


def _room_reach(room: Room, centre: Point, direction: Point) -> float:
    """Distance from `centre` to the room's edge along `direction`."""
    reach = math.inf
    for c, d, lo, hi in (
        (centre[0], direction[0], room.x, room.x + room.width),
        (centre[1], direction[1], room.y, room.y + room.depth),
    ):
        if d > 1e-9:
            reach = min(reach, (hi - c) / d)
        elif d < -1e-9:
            reach = min(reach, (lo - c) / d)
    return reach


class Layout:
    def __init__(self, home: Home) -> None:
        self.home = home
        self.items = [self._item(i, f) for i, f in enumerate(home.furniture)]
        xs = [r.x for r in home.rooms] + [r.x + r.width for r in home.rooms]
        ys = [r.y for r in home.rooms] + [r.y + r.depth for r in home.rooms]
        self.origin = (min(xs), min(ys))
        self.extent = (max(xs), max(ys))

    # --- furniture -------------------------------------------------------------------------

    def _item(self, index: int, furniture: Furniture) -> Item:
        room = self.home.room(furniture.room)
        centre = (furniture.x, furniture.y)
        side = _unit(furniture.yaw + math.pi / 2)
        along = _unit(furniture.yaw)
        candidates = [side, (-side[0], -side[1])]
        table = self._nearest_table(furniture)
        if furniture.type == "chair" and table is not None:
            # A chair faces its table: one sits down with the table in front.
            candidates += [along, (-along[0], -along[1])]
            to_table = (table[0] - centre[0], table[1] - centre[1])
            front = max(candidates, key=lambda d: d[0] * to_table[0] + d[1] * to_table[1])
        else:
            # A sofa, armchair or bed faces the open room, its back to the wall.
            front = max(candidates, key=lambda d: _room_reach(room, centre, d))
        ends = [along, (-along[0], -along[1])]
        head = min(ends, key=lambda d: _room_reach(room, centre, d))
        return Item(index, furniture, front, head)

    def _nearest_table(self, chair: Furniture) -> Point | None:
        tables = [
            (f.x, f.y)
            for f in self.home.furniture
            if f.type == "table" and f.room == chair.room
            and math.dist((f.x, f.y), (chair.x, chair.y)) < 1.5
        ]  # fmt: skip
        return min(tables, key=lambda t: math.dist(t, (chair.x, chair.y))) if tables else None

    def find_item(self, name: str, room: str, near: Point) -> Item:
        """Furniture by type ("sofa") or type and number in file order ("chair_2").

        A bare type picks the nearest one in `room`, else the nearest in the home.
        """
        kind, _, number = name.rpartition("_")
        if kind and number.isdigit():
            same = [item for item in self.items if item.type == kind]
            if not 1 <= int(number) <= len(same):
                raise WorldError(f"unknown furniture {name!r}: the home has {len(same)} {kind}(s)")
            return same[int(number) - 1]
        same = [item for item in self.items if item.type == name]
        if not same:
            known = sorted({item.type for item in self.items})
            raise WorldError(
                f"unknown furniture {name!r}: the home {self.home.name!r} has {', '.join(known)}"
            )
        here = [item for item in same if item.furniture.room == room] or same
        return min(here, key=lambda item: math.dist(item.centre, near))

    # --- blocks to draw ----------------------------------------------------------------------

    def wall_blocks(self) -> list[Block]:
        blocks: list[Block] = []
        for wall in self.home.walls:
            doors = [d for d in self.home.doors if door_wall(self.home, d) == wall]
            lo, hi = wall.span()
            # Walls meet at corners: reach over half the thickness so no gap shows.
            cuts = [lo - wall.thickness / 2]
            pieces: list[tuple[float, float, float, float]] = []
            for door in sorted(doors, key=lambda d: d.x if wall.horizontal else d.y):
                along = door.x if wall.horizontal else door.y
                cuts += [along - door.width / 2, along + door.width / 2]
                pieces.append((cuts[-2], cuts[-1], door.height, wall.height))
            cuts.append(hi + wall.thickness / 2)
            for a, b in zip(cuts[::2], cuts[1::2], strict=True):
                pieces.append((a, b, 0.0, wall.height))
            for a, b, bottom, top in pieces:
                if b - a < 1e-6 or top - bottom < 1e-6:
                    continue
                mid, half_len = (a + b) / 2, (b - a) / 2
                centre_xy = (mid, wall.line()) if wall.horizontal else (wall.line(), mid)
                half = (
                    (half_len, wall.thickness / 2)
                    if wall.horizontal
                    else (wall.thickness / 2, half_len)
                )
                blocks.append(
                    Block(
                        (centre_xy[0], centre_xy[1], (bottom + top) / 2),
                        (half[0], half[1], (top - bottom) / 2),
                        0.0,
                        WALL_COLOUR,
                    )
                )
        return blocks

    def floor_blocks(self) -> list[Block]:
        blocks = [
            Block(
                (r.x + r.width / 2, r.y + r.depth / 2, -0.025),
                (r.width / 2, r.depth / 2, 0.025),
                0.0,
                FLOOR_COLOURS.get(r.name, DEFAULT_FLOOR),
            )
            for r in self.home.rooms
        ]
        (x0, y0), (x1, y1) = self.origin, self.extent
        top = max((w.height for w in self.home.walls), default=2.5)
        blocks.append(
            Block(
                ((x0 + x1) / 2, (y0 + y1) / 2, top + 0.025),
                ((x1 - x0) / 2 + 0.3, (y1 - y0) / 2 + 0.3, 0.025),
                0.0,
                CEILING_COLOUR,
            )
        )
        return blocks

    def furniture_blocks(self) -> list[Block]:
        blocks: list[Block] = []
        for item in self.items:
            blocks += _item_blocks(item)
        return blocks

    # --- free floor and paths ---------------------------------------------------------------

    @cached_property
    def free(self) -> npt.NDArray[np.bool_]:
        """Grid cells (x index, y index) where a standing body fits."""
        return self._free_grid(with_furniture=True)

    @cached_property
    def free_of_walls(self) -> npt.NDArray[np.bool_]:
        """The floor without furniture: the way of last resort when furniture blocks a door."""
        return self._free_grid(with_furniture=False)

    def _free_grid(self, with_furniture: bool) -> npt.NDArray[np.bool_]:
        (x0, y0), (x1, y1) = self.origin, self.extent
        nx, ny = round((x1 - x0) / CELL), round((y1 - y0) / CELL)
        xs = x0 + (np.arange(nx) + 0.5) * CELL
        ys = y0 + (np.arange(ny) + 0.5) * CELL
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        inside = np.zeros((nx, ny), dtype=bool)
        for r in self.home.rooms:
            inside |= (
                (gx >= r.x + BODY_RADIUS) & (gx <= r.x + r.width - BODY_RADIUS)
                & (gy >= r.y + BODY_RADIUS) & (gy <= r.y + r.depth - BODY_RADIUS)
            )  # fmt: skip
        blocked = np.zeros_like(inside)
        for box in self._obstacles(with_furniture):
            blocked |= (
                (gx > box[0] - BODY_RADIUS) & (gx < box[2] + BODY_RADIUS)
                & (gy > box[1] - BODY_RADIUS) & (gy < box[3] + BODY_RADIUS)
            )  # fmt: skip
        for door in self.home.doors:
            # The opening between two rooms: free even where the rooms' margins end.
            wall = door_wall(self.home, door)
            half = door.width / 2 - BODY_RADIUS
            reach = wall.thickness / 2 + BODY_RADIUS + CELL
            if wall.horizontal:
                opening = (abs(gx - door.x) <= half) & (abs(gy - door.y) <= reach)
            else:
                opening = (abs(gy - door.y) <= half) & (abs(gx - door.x) <= reach)
            inside |= opening
        return np.asarray(inside & ~blocked)

    def _obstacles(self, with_furniture: bool) -> list[tuple[float, float, float, float]]:
        boxes = [item.furniture.footprint() for item in self.items] if with_furniture else []
        for wall in self.home.walls:
            lo, hi = wall.span()
            doors = [d for d in self.home.doors if door_wall(self.home, d) == wall]
            cuts = [lo]
            for door in sorted(doors, key=lambda d: d.x if wall.horizontal else d.y):
                along = door.x if wall.horizontal else door.y
                cuts += [along - door.width / 2, along + door.width / 2]
            cuts.append(hi)
            half = wall.thickness / 2
            for a, b in zip(cuts[::2], cuts[1::2], strict=True):
                if wall.horizontal:
                    boxes.append((a, wall.line() - half, b, wall.line() + half))
                else:
                    boxes.append((wall.line() - half, a, wall.line() + half, b))
        return boxes

    def cell(self, p: Point) -> tuple[int, int]:
        nx, ny = self.free.shape
        i = int((p[0] - self.origin[0]) / CELL)
        j = int((p[1] - self.origin[1]) / CELL)
        return min(max(i, 0), nx - 1), min(max(j, 0), ny - 1)

    def point(self, cell: tuple[int, int]) -> Point:
        return (
            self.origin[0] + (cell[0] + 0.5) * CELL,
            self.origin[1] + (cell[1] + 0.5) * CELL,
        )

    def is_free(self, p: Point) -> bool:
        return bool(self.free[self.cell(p)])

    def nearest_free(self, p: Point) -> Point:
        cells = np.argwhere(self.free)
        if len(cells) == 0:
            raise WorldError(f"home {self.home.name!r} has no free floor to stand on")
        centres = np.stack(
            [
                self.origin[0] + (cells[:, 0] + 0.5) * CELL,
                self.origin[1] + (cells[:, 1] + 0.5) * CELL,
            ],
            axis=1,
        )
        best = int(np.argmin(np.hypot(centres[:, 0] - p[0], centres[:, 1] - p[1])))
        return float(centres[best, 0]), float(centres[best, 1])

    def free_spots(self, room: str, clearance: float) -> list[Point]:
        """Free points of `room` at least `clearance` from anything solid (cell centres)."""
        r = self.home.room(room)
        spots = []
        for i, j in np.argwhere(self.free):
            p = self.point((int(i), int(j)))
            if r.contains(*p) and self._clear(p, clearance):
                spots.append(p)
        return spots

    def _clear(self, p: Point, clearance: float) -> bool:
        steps = max(1, math.ceil(clearance / CELL))
        for di in range(-steps, steps + 1):
            for dj in range(-steps, steps + 1):
                if not self.is_free((p[0] + di * CELL, p[1] + dj * CELL)):
                    return False
        return True

    def path(self, start: Point, goal: Point) -> list[Point]:
        """Waypoints from `start` to `goal` over free floor (both ends included)."""
        a = self.cell(self.nearest_free(start) if not self.is_free(start) else start)
        b = self.cell(self.nearest_free(goal) if not self.is_free(goal) else goal)
        cells = self._astar(a, b, self.free)
        if cells is None:
            # Furniture blocking a doorway (a home file's mistake) should not strand the
            # resident: they squeeze past it (the body goes through the furniture).
            cells = self._astar(a, b, self.free_of_walls)
            if cells is not None:
                return [start] + [self.point(c) for c in cells[1:-1]] + [goal]
        if cells is None:
            raise WorldError(
                f"no way from ({start[0]:.1f}, {start[1]:.1f}) to ({goal[0]:.1f}, {goal[1]:.1f})"
            )
        points = [start] + [self.point(c) for c in cells[1:-1]] + [goal]
        return self._shortcut(points)

    def _astar(
        self, a: tuple[int, int], b: tuple[int, int], free: npt.NDArray[np.bool_]
    ) -> list[tuple[int, int]] | None:
        nx, ny = free.shape
        steps = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)]
        came: dict[tuple[int, int], tuple[int, int]] = {}
        cost = {a: 0.0}
        queue = [(math.dist(a, b), a)]
        while queue:
            _, here = heapq.heappop(queue)
            if here == b:
                route = [here]
                while route[-1] in came:
                    route.append(came[route[-1]])
                return route[::-1]
            for di, dj in steps:
                there = (here[0] + di, here[1] + dj)
                if not (0 <= there[0] < nx and 0 <= there[1] < ny) or not free[there]:
                    continue
                if di and dj and not (free[here[0] + di, here[1]] and free[here[0], here[1] + dj]):
                    continue  # no cutting corners past a wall's end
                new = cost[here] + math.hypot(di, dj)
                if new < cost.get(there, math.inf):
                    cost[there], came[there] = new, here
                    heapq.heappush(queue, (new + math.dist(there, b), there))
        return None

    def _sees(self, p: Point, q: Point) -> bool:
        steps = max(1, math.ceil(math.dist(p, q) / (CELL / 2)))
        return all(
            self.is_free((p[0] + (q[0] - p[0]) * k / steps, p[1] + (q[1] - p[1]) * k / steps))
            for k in range(1, steps)
        )

    def _shortcut(self, points: list[Point]) -> list[Point]:
        kept = [points[0]]
        i = 0
        while i < len(points) - 1:
            j = len(points) - 1
            while j > i + 1 and not self._sees(points[i], points[j]):
                j -= 1
            kept.append(points[j])
            i = j
        return kept

    def room_of(self, p: Point, fallback: str) -> str:
        room = self.home.room_at(*p)
        return room.name if room is not None else fallback


def _item_blocks(item: Item) -> list[Block]:
    f = item.furniture
    length, width, height = f.size
    colour = FURNITURE_COLOURS[f.type]
    yaw = f.yaw
    along = _unit(yaw)
    side = _unit(yaw + math.pi / 2)

    def at(u: float, v: float, z: float, half: tuple[float, float, float], c: Colour) -> Block:
        # u along the length, v across it (local frame), z the block's centre height.
        x = f.x + u * along[0] + v * side[0]
        y = f.y + u * along[1] + v * side[1]
        return Block((x, y, z), half, yaw, c)

    hl, hw = length / 2, width / 2
    front_v = 1.0 if item.front[0] * side[0] + item.front[1] * side[1] > 0 else -1.0
    if f.type in ("sofa", "armchair"):
        seat = SEAT_HEIGHT[f.type]
        back = 0.18
        return [
            at(0, 0, seat / 2, (hl, hw, seat / 2), colour),
            at(0, -front_v * (hw - back / 2), (seat + height) / 2,
               (hl, back / 2, (height - seat) / 2), colour),
            at(-(hl - 0.08), 0, seat + 0.1, (0.08, hw, 0.1), colour),
            at(hl - 0.08, 0, seat + 0.1, (0.08, hw, 0.1), colour),
        ]  # fmt: skip
    if f.type == "chair":
        seat = SEAT_HEIGHT["chair"]
        blocks = [at(0, 0, seat - 0.03, (hl, hw, 0.03), colour)]
        # The backrest is on the side away from the chair's front (its table).
        fu = item.front[0] * along[0] + item.front[1] * along[1]
        fv = item.front[0] * side[0] + item.front[1] * side[1]
        bu, bv = -fu * (hl - 0.03), -fv * (hw - 0.03)
        half_back = (
            (0.03, hw, (height - seat) / 2) if abs(fu) > 0.5 else (hl, 0.03, (height - seat) / 2)
        )
        blocks.append(at(bu, bv, (seat + height) / 2, half_back, colour))
        for su in (-1, 1):
            for sv in (-1, 1):
                blocks.append(at(su * (hl - 0.03), sv * (hw - 0.03), seat / 2 - 0.03,
                                 (0.025, 0.025, seat / 2 - 0.03), colour))  # fmt: skip
        return blocks
    if f.type == "table":
        blocks = [at(0, 0, height - 0.025, (hl, hw, 0.025), colour)]
        for su in (-1, 1):
            for sv in (-1, 1):
                blocks.append(at(su * (hl - 0.05), sv * (hw - 0.05), (height - 0.05) / 2,
                                 (0.03, 0.03, (height - 0.05) / 2), colour))  # fmt: skip
        return blocks
    if f.type == "bed":
        hu = 1.0 if item.head[0] * along[0] + item.head[1] * along[1] > 0 else -1.0
        return [
            at(0, 0, 0.15, (hl, hw, 0.15), BED_FRAME),
            at(0, 0, (height + 0.3) / 2, (hl - 0.02, hw - 0.02, (height - 0.3) / 2), colour),
            at(hu * (hl - 0.25), 0, height + 0.05, (0.18, hw - 0.2, 0.05), PILLOW),
            at(hu * (hl + 0.03), 0, height / 2 + 0.2, (0.03, hw, height / 2 + 0.2), BED_FRAME),
        ]
    return [at(0, 0, height / 2, (hl, hw, height / 2), colour)]
