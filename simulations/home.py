"""A home described once in YAML (`simulations/homes/*.yaml`) and checked for sense.

Geometry is in metres on the floor plane (x east, y north, yaw in radians).
Rooms are axis-aligned rectangles and walls are axis-aligned segments with a
thickness: that covers ordinary flats and keeps every check exact.

Every error names the file, the YAML line and the field, e.g.
`one_room_flat.yaml:12: furniture[2].room: unknown room 'kitchn'`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from homecare.errors import HomecareError
from simulations.yaml_source import FieldPath, load_yaml_model, resolve_shipped, shipped_names

HOMES_DIR = Path(__file__).parent / "homes"
OUTSIDE = "outside"  # a door may join a room to the outside (the front door)
_EPS = 1e-6
DOORWAY_CLEARANCE = 0.4  # metres of free floor on each side of a door

Metres = Annotated[float, Field(gt=0)]


class HomeError(HomecareError):
    """A home file is missing, malformed or describes an impossible home."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Room(_Strict):
    name: str = Field(min_length=1)
    x: float  # south-west corner
    y: float
    width: Metres  # along x
    depth: Metres  # along y

    def contains(self, px: float, py: float) -> bool:
        return (
            self.x - _EPS <= px <= self.x + self.width + _EPS
            and self.y - _EPS <= py <= self.y + self.depth + _EPS
        )


class Wall(_Strict):
    start: tuple[float, float]
    end: tuple[float, float]
    thickness: Metres = 0.1
    height: Metres = 2.5

    @property
    def horizontal(self) -> bool:
        return abs(self.start[1] - self.end[1]) < _EPS

    @property
    def length(self) -> float:
        return math.dist(self.start, self.end)

    def span(self) -> tuple[float, float]:
        """The wall's extent along its own axis."""
        a, b = (self.start[0], self.end[0]) if self.horizontal else (self.start[1], self.end[1])
        return min(a, b), max(a, b)

    def line(self) -> float:
        """The fixed coordinate: y for a horizontal wall, x for a vertical one."""
        return self.start[1] if self.horizontal else self.start[0]

    def box(self) -> tuple[float, float, float, float]:
        """Footprint (xmin, ymin, xmax, ymax) including thickness."""
        lo, hi = self.span()
        half = self.thickness / 2
        if self.horizontal:
            return lo, self.line() - half, hi, self.line() + half
        return self.line() - half, lo, self.line() + half, hi


class Door(_Strict):
    x: float  # centre of the opening
    y: float
    width: Metres
    height: Metres = 2.0
    joins: tuple[str, str]


class Furniture(_Strict):
    type: Literal[
        "bed", "sofa", "chair", "armchair", "table", "wardrobe", "shelf", "toilet",
        "bathtub", "sink", "fridge", "stove", "counter", "nightstand", "tv_stand",
    ]  # fmt: skip
    room: str
    x: float  # centre of the footprint
    y: float
    yaw: float = 0.0
    size: tuple[Metres, Metres, Metres]  # length (along yaw), width, height

    def footprint(self) -> tuple[float, float, float, float]:
        """Axis-aligned bounding box of the rotated footprint."""
        c, s = abs(math.cos(self.yaw)), abs(math.sin(self.yaw))
        length, width, _ = self.size
        hx = (length * c + width * s) / 2
        hy = (length * s + width * c) / 2
        return self.x - hx, self.y - hy, self.x + hx, self.y + hy


class Dock(_Strict):
    x: float
    y: float
    yaw: float = 0.0


class Camera(_Strict):
    name: str = Field(min_length=1)
    room: str  # the room it watches
    x: float
    y: float
    height: Metres
    yaw: float = 0.0
    pitch: float = 0.0  # radians, positive looks down
    fov: Annotated[float, Field(gt=0, lt=math.pi)] = 1.2  # horizontal, radians


class Home(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    rooms: list[Room] = Field(min_length=1)
    walls: list[Wall] = Field(min_length=1)
    doors: list[Door] = []
    furniture: list[Furniture] = []
    dock: Dock
    cameras: list[Camera] = []

    def room(self, name: str) -> Room:
        for room in self.rooms:
            if room.name == name:
                return room
        raise KeyError(name)

    def room_at(self, x: float, y: float) -> Room | None:
        return next((r for r in self.rooms if r.contains(x, y)), None)


def shipped_homes() -> list[str]:
    """Names of the homes shipped under simulations/homes/."""
    return shipped_names(HOMES_DIR)


def resolve_home(name_or_path: str) -> Path:
    """A shipped home's name or a path to a home file."""
    return resolve_shipped(name_or_path, HOMES_DIR, HomeError, "home")


def load_home(path: Path) -> Home:
    """Read and check a home file; every problem raises HomeError with file:line: field."""
    return load_yaml_model(path, Home, HomeError, "home", check_home)


def check_home(home: Home) -> Iterator[tuple[FieldPath, str]]:
    """Yield (field path, message) for each thing that cannot be in a real home."""
    names = [room.name for room in home.rooms]
    for i, room in enumerate(home.rooms):
        if room.name in names[:i]:
            yield ("rooms", i, "name"), f"room {room.name!r} is defined twice"
    yield from _check_walls(home.walls)
    for i, door in enumerate(home.doors):
        for j, room_name in enumerate(door.joins):
            if room_name != OUTSIDE and room_name not in names:
                yield ("doors", i, "joins", j), f"unknown room {room_name!r}"
        if _door_wall(home.walls, door) is None:
            yield (
                ("doors", i),
                f"door at ({door.x}, {door.y}) of width {door.width} is not on a wall",
            )
    yield from _check_furniture(home, names)
    if home.room_at(home.dock.x, home.dock.y) is None:
        yield ("dock",), f"dock at ({home.dock.x}, {home.dock.y}) is outside every room"
    for i, camera in enumerate(home.cameras):
        if camera.room not in names:
            yield ("cameras", i, "room"), f"unknown room {camera.room!r}"
        elif home.room_at(camera.x, camera.y) is None:
            yield ("cameras", i), f"camera {camera.name!r} is outside every room"


def _check_furniture(home: Home, names: list[str]) -> Iterator[tuple[FieldPath, str]]:
    for i, item in enumerate(home.furniture):
        if item.room not in names:
            yield ("furniture", i, "room"), f"unknown room {item.room!r}"
            continue
        box = item.footprint()
        room = home.room(item.room)
        for j, wall in enumerate(home.walls):
            if _boxes_overlap(box, wall.box()):
                yield ("furniture", i), f"{item.type} overlaps walls[{j}]"
        inner = (box[0] + 1e-3, box[1] + 1e-3, box[2] - 1e-3, box[3] - 1e-3)
        if not (room.contains(inner[0], inner[1]) and room.contains(inner[2], inner[3])):
            yield ("furniture", i), f"{item.type} is not inside room {item.room!r}"
        for j, door in enumerate(home.doors):
            if _boxes_overlap(box, _doorway(home, door)):
                yield (
                    ("furniture", i),
                    (
                        f"{item.type} blocks doors[{j}] at ({door.x:g}, {door.y:g}): "
                        f"leave {DOORWAY_CLEARANCE:g} m free on both sides of a door"
                    ),
                )


def _doorway(home: Home, door: Door) -> tuple[float, float, float, float]:
    """The floor a person crosses to pass the door: its width, and clearance on both sides."""
    half, depth = door.width / 2, DOORWAY_CLEARANCE
    wall = _door_wall(home.walls, door)
    if wall is None or wall.horizontal:
        return door.x - half, door.y - depth, door.x + half, door.y + depth
    return door.x - depth, door.y - half, door.x + depth, door.y + half


def _check_walls(walls: list[Wall]) -> Iterator[tuple[FieldPath, str]]:
    for i, wall in enumerate(walls):
        if wall.length < _EPS:
            yield ("walls", i), "wall has zero length"
        elif not (wall.horizontal or abs(wall.start[0] - wall.end[0]) < _EPS):
            yield ("walls", i), "walls must run along x or along y"
    for i, a in enumerate(walls):
        for j in range(i):
            b = walls[j]
            if a.horizontal != b.horizontal or abs(a.line() - b.line()) > _EPS:
                continue
            (a_lo, a_hi), (b_lo, b_hi) = a.span(), b.span()
            if min(a_hi, b_hi) - max(a_lo, b_lo) > _EPS:
                yield ("walls", i), f"wall overlaps walls[{j}]"


def _door_wall(walls: list[Wall], door: Door) -> Wall | None:
    """The wall the door's whole opening lies in, if any."""
    for wall in walls:
        along, across = (door.x, door.y) if wall.horizontal else (door.y, door.x)
        lo, hi = wall.span()
        if (
            abs(across - wall.line()) <= wall.thickness / 2
            and along - door.width / 2 >= lo - _EPS
            and along + door.width / 2 <= hi + _EPS
        ):
            return wall
    return None


def door_wall(home: Home, door: Door) -> Wall:
    wall = _door_wall(home.walls, door)
    if wall is None:  # load_home already rejected such a home
        raise HomeError(f"door at ({door.x}, {door.y}) is not on a wall")
    return wall


def _boxes_overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """True when the boxes share more than a millimetre (touching is fine)."""
    mm = 1e-3
    return a[0] < b[2] - mm and b[0] < a[2] - mm and a[1] < b[3] - mm and b[1] < a[3] - mm
