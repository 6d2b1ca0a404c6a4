"""Export a home (simulations/homes/*.yaml) as an SDF 1.9 world for Gazebo Harmonic.

The world holds a ground plane, a sun, the walls as static boxes with gaps (and
lintels) at the doors, the furniture as static boxes, the home's cameras as
static camera sensors, the dock, the robot (model://homecare_robot) at the dock
and a standing resident (model://person, made of primitives: Gazebo's animated
actors need skin meshes we do not ship). Output is deterministic, so the
committed worlds can be compared with a fresh export.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

from simulations.home import Camera, Door, Home, Wall, door_wall

GAZEBO_DIR = Path(__file__).parent
MODELS_DIR = GAZEBO_DIR / "models"
WORLDS_DIR = GAZEBO_DIR / "worlds"
ROBOT_MODEL = "homecare_robot"
PERSON_MODEL = "person"
SDF_VERSION = "1.9"
_FURNITURE_COLOUR = "0.55 0.4 0.3 1"
_WALL_COLOUR = "0.85 0.85 0.8 1"


def home_camera_topic(camera_name: str) -> str:
    """The gz topic a fixed home camera publishes its images on."""
    return f"/homecare/home_cameras/{camera_name}/image"


def world_sdf(home: Home) -> str:
    """The SDF text of the world for this home."""
    sdf = ET.Element("sdf", version=SDF_VERSION)
    world = ET.SubElement(sdf, "world", name=home.name)
    _text(world, "gravity", "0 0 -9.8")
    for filename, name in (
        ("gz-sim-physics-system", "gz::sim::systems::Physics"),
        ("gz-sim-user-commands-system", "gz::sim::systems::UserCommands"),
        ("gz-sim-scene-broadcaster-system", "gz::sim::systems::SceneBroadcaster"),
    ):
        ET.SubElement(world, "plugin", filename=filename, name=name)
    sensors = ET.SubElement(
        world, "plugin", filename="gz-sim-sensors-system", name="gz::sim::systems::Sensors"
    )
    _text(sensors, "render_engine", "ogre2")
    _sun(world)
    _ground(world)
    for index, wall in enumerate(home.walls):
        _wall(world, index, wall, [d for d in home.doors if door_wall(home, d) is wall])
    for index, item in enumerate(home.furniture):
        length, width, height = item.size
        model = _static_model(world, f"{item.type}_{index}", (item.x, item.y, 0.0, item.yaw))
        _box_link(model, (0, 0, height / 2), (length, width, height), _FURNITURE_COLOUR)
    for camera in home.cameras:
        _home_camera(world, camera)
    dock = home.dock
    dock_model = _static_model(world, "dock", (dock.x, dock.y, 0.0, dock.yaw))
    _box_link(dock_model, (0, 0, 0.005), (0.5, 0.5, 0.01), "0.2 0.6 0.2 1", collide=False)
    _include(world, ROBOT_MODEL, (dock.x, dock.y, 0.0, dock.yaw))
    # The resident stands a metre in front of the dock, facing the robot.
    _include(
        world,
        PERSON_MODEL,
        (dock.x + math.cos(dock.yaw), dock.y + math.sin(dock.yaw), 0.0, dock.yaw + math.pi),
        name="resident",
    )
    ET.indent(sdf, space="  ")
    body = ET.tostring(sdf, encoding="unicode")
    header = f"<!-- Generated from simulations/homes/{home.name}.yaml by simulations/gazebo/export.py; do not edit. -->"  # noqa: E501
    return f'<?xml version="1.0"?>\n{header}\n{body}\n'


def export_world(home: Home, out_dir: Path) -> Path:
    """Write `<out_dir>/<home name>.sdf` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{home.name}.sdf"
    path.write_text(world_sdf(home), encoding="utf-8")
    return path


def _num(value: float) -> str:
    """Stable, short numbers: 4 decimals, no '-0'."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _pose(x: float, y: float, z: float, yaw: float = 0.0, pitch: float = 0.0) -> str:
    return " ".join(_num(v) for v in (x, y, z, 0.0, pitch, yaw))


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _static_model(
    world: ET.Element, name: str, pose: tuple[float, float, float, float]
) -> ET.Element:
    model = ET.SubElement(world, "model", name=name)
    _text(model, "static", "true")
    _text(model, "pose", _pose(*pose))
    return model


def _box_link(
    model: ET.Element,
    centre: tuple[float, float, float],
    size: tuple[float, float, float],
    colour: str,
    *,
    collide: bool = True,
) -> None:
    link = ET.SubElement(model, "link", name="link")
    _text(link, "pose", _pose(*centre))
    geometry_size = " ".join(_num(v) for v in size)
    if collide:
        collision = ET.SubElement(link, "collision", name="collision")
        _text(ET.SubElement(ET.SubElement(collision, "geometry"), "box"), "size", geometry_size)
    visual = ET.SubElement(link, "visual", name="visual")
    _text(ET.SubElement(ET.SubElement(visual, "geometry"), "box"), "size", geometry_size)
    material = ET.SubElement(visual, "material")
    _text(material, "ambient", colour)
    _text(material, "diffuse", colour)


def _wall(world: ET.Element, index: int, wall: Wall, doors: list[Door]) -> None:
    """A wall as boxes: solid pieces between the doors and a lintel above each door."""
    lo, hi = wall.span()
    openings = sorted(
        ((d.x if wall.horizontal else d.y) - d.width / 2, d.width, d.height) for d in doors
    )
    pieces: list[tuple[float, float, float, float]] = []  # start, end, bottom, top
    cursor = lo
    for start, width, door_height in openings:
        if start > cursor:
            pieces.append((cursor, start, 0.0, wall.height))
        if door_height < wall.height:
            pieces.append((start, start + width, door_height, wall.height))
        cursor = start + width
    if cursor < hi:
        pieces.append((cursor, hi, 0.0, wall.height))
    for number, (piece_start, piece_end, bottom, top) in enumerate(pieces):
        # Full-height pieces at the wall's ends reach half a thickness further: closed corners.
        half = wall.thickness / 2
        start = piece_start - half if bottom == 0.0 and piece_start == lo else piece_start
        end = piece_end + half if bottom == 0.0 and piece_end == hi else piece_end
        along = (start + end) / 2
        x, y = (along, wall.line()) if wall.horizontal else (wall.line(), along)
        length = end - start
        model = _static_model(world, f"wall_{index}_{number}", (x, y, 0.0, 0.0))
        size = (
            (length, wall.thickness, top - bottom)
            if wall.horizontal
            else (wall.thickness, length, top - bottom)
        )
        _box_link(model, (0, 0, (bottom + top) / 2), size, _WALL_COLOUR)


def _home_camera(world: ET.Element, camera: Camera) -> None:
    name = camera.name
    model = _static_model(world, f"camera_{name}", (camera.x, camera.y, 0.0, 0.0))
    link = ET.SubElement(model, "link", name="link")
    _text(link, "pose", _pose(0, 0, camera.height, camera.yaw, camera.pitch))
    visual = ET.SubElement(link, "visual", name="visual")
    _text(ET.SubElement(ET.SubElement(visual, "geometry"), "box"), "size", "0.08 0.05 0.05")
    sensor = ET.SubElement(link, "sensor", name=name, type="camera")
    _text(sensor, "always_on", "true")
    _text(sensor, "update_rate", "5")
    _text(sensor, "topic", home_camera_topic(name))
    optics = ET.SubElement(sensor, "camera")
    _text(optics, "horizontal_fov", _num(camera.fov))
    image = ET.SubElement(optics, "image")
    _text(image, "width", "640")
    _text(image, "height", "480")


def _include(
    world: ET.Element,
    model: str,
    pose: tuple[float, float, float, float],
    name: str | None = None,
) -> None:
    include = ET.SubElement(world, "include")
    _text(include, "uri", f"model://{model}")
    _text(include, "name", name or model)
    _text(include, "pose", _pose(*pose))


def _sun(world: ET.Element) -> None:
    light = ET.SubElement(world, "light", type="directional", name="sun")
    _text(light, "cast_shadows", "true")
    _text(light, "pose", "0 0 10 0 0 0")
    _text(light, "diffuse", "0.8 0.8 0.8 1")
    _text(light, "specular", "0.2 0.2 0.2 1")
    _text(light, "direction", "-0.5 0.1 -0.9")


def _ground(world: ET.Element) -> None:
    model = ET.SubElement(world, "model", name="ground_plane")
    _text(model, "static", "true")
    link = ET.SubElement(model, "link", name="link")
    for kind in ("collision", "visual"):
        element = ET.SubElement(link, kind, name=kind)
        plane = ET.SubElement(ET.SubElement(element, "geometry"), "plane")
        _text(plane, "normal", "0 0 1")
        _text(plane, "size", "100 100")
