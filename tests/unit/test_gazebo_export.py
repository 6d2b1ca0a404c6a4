"""Gazebo files: well-formed, every reference resolves, topics agree with the robot's contract."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from homecare.cli.sim import app
from simulations.gazebo.export import (
    GAZEBO_DIR,
    MODELS_DIR,
    ROBOT_MODEL,
    WORLDS_DIR,
    export_world,
    home_camera_topic,
    world_sdf,
)
from simulations.home import HomeError, load_home, resolve_home, shipped_homes
from tests.unit.test_interfaces import TOPIC_TYPES

REPO = GAZEBO_DIR.parent.parent
ROBOT_SDF = MODELS_DIR / ROBOT_MODEL / "model.sdf"
ROBOT_URDF = MODELS_DIR / ROBOT_MODEL / "urdf" / "homecare_robot.urdf"
BRIDGE = GAZEBO_DIR / "config" / "bridge.yaml"
LAUNCH = GAZEBO_DIR / "launch" / "home_sim.launch.py"


def _world(name: str) -> ET.Element:
    return ET.fromstring(world_sdf(load_home(resolve_home(name))))


def _bridge() -> list[dict[str, str]]:
    entries = yaml.safe_load(BRIDGE.read_text(encoding="utf-8"))
    assert isinstance(entries, list)
    return entries


@pytest.mark.parametrize("name", shipped_homes())
def test_world_has_ground_light_walls_furniture_dock_robot_and_resident(name: str) -> None:
    home = load_home(resolve_home(name))
    root = _world(name)
    assert root.tag == "sdf"
    assert root.get("version") == "1.9"
    world = root.find("world")
    assert world is not None
    assert world.get("name") == name
    models = {m.get("name") for m in world.findall("model")}
    assert {"ground_plane", "dock"} <= models
    assert world.find("light") is not None
    walls = [m for m in models if m and m.startswith("wall_")]
    assert len(walls) > len(home.walls)  # doors split walls into pieces
    assert len([m for m in models if m and m[-1].isdigit() and not m.startswith("wall_")]) == len(
        home.furniture
    )
    includes = {i.findtext("name"): i.findtext("uri") for i in world.findall("include")}
    assert includes == {"homecare_robot": "model://homecare_robot", "resident": "model://person"}
    robot_pose = next(i for i in world.findall("include") if i.findtext("name") == ROBOT_MODEL)
    x, y = (float(v) for v in (robot_pose.findtext("pose") or "").split()[:2])
    assert (x, y) == pytest.approx((home.dock.x, home.dock.y), abs=1e-4)
    plugins = {p.get("name") for p in world.findall("plugin")}
    assert "gz::sim::systems::Sensors" in plugins
    assert "gz::sim::systems::Physics" in plugins


def test_a_door_leaves_a_gap_in_its_wall() -> None:
    # one_room_flat's front door: x 0.55..1.45 on the south wall (y = 0).
    world = _world("one_room_flat").find("world")
    assert world is not None
    for model in world.findall("model"):
        if not (model.get("name") or "").startswith("wall_0_"):
            continue
        x = float((model.findtext("pose") or "").split()[0])
        size = [
            float(v) for v in (model.findtext("link/collision/geometry/box/size") or "").split()
        ]
        z = float((model.findtext("link/pose") or "").split()[2])
        if z - size[2] / 2 < 1.0:  # a full-height piece, not the lintel
            assert x + size[0] / 2 <= 0.55 + 1e-6 or x - size[0] / 2 >= 1.45 - 1e-6


@pytest.mark.parametrize("name", shipped_homes())
def test_committed_world_equals_a_fresh_export(name: str) -> None:
    committed = WORLDS_DIR / f"{name}.sdf"
    assert committed.is_file(), f"run: homecare sim export-gazebo {name} --out {WORLDS_DIR}"
    assert committed.read_text(encoding="utf-8") == world_sdf(load_home(resolve_home(name))), (
        f"stale: run homecare sim export-gazebo {name} --out simulations/gazebo/worlds"
    )


def _uris(paths: list[Path]) -> list[tuple[Path, str]]:
    found = []
    for path in paths:
        for element in ET.parse(path).iter():
            for text in [element.text or "", *element.attrib.values()]:
                if text.strip().startswith(("model://", "package://", "file://")):
                    found.append((path, text.strip()))
    return found


def test_every_uri_resolves_to_a_shipped_file() -> None:
    files = [*WORLDS_DIR.glob("*.sdf"), *MODELS_DIR.glob("*/model.sdf"), ROBOT_URDF]
    uris = _uris(files)
    assert any(uri == "model://homecare_robot" for _, uri in uris)
    for path, uri in uris:
        scheme, rest = uri.split("://", 1)
        if scheme == "model":
            target = MODELS_DIR / rest
            assert (target / "model.config").is_file(), f"{path}: {uri}"
            config = ET.parse(target / "model.config").getroot()
            assert (target / (config.findtext("sdf") or "")).is_file(), f"{path}: {uri}"
        elif scheme == "package":
            assert (REPO / rest.split("/", 1)[1]).is_file(), f"{path}: {uri}"
        else:
            assert Path(rest).is_file(), f"{path}: {uri}"


@pytest.mark.parametrize("model", sorted(p.name for p in MODELS_DIR.iterdir() if p.is_dir()))
def test_every_model_is_well_formed(model: str) -> None:
    config = ET.parse(MODELS_DIR / model / "model.config").getroot()
    assert config.findtext("name") == model
    sdf = ET.parse(MODELS_DIR / model / (config.findtext("sdf") or "")).getroot()
    assert sdf.get("version") == "1.9"
    assert sdf.find(f"model[@name='{model}']") is not None


def test_robot_sdf_has_diff_drive_camera_screen_speaker_and_battery() -> None:
    model = ET.parse(ROBOT_SDF).getroot().find("model")
    assert model is not None
    plugins = {p.get("name") for p in model.findall("plugin")}
    assert plugins == {"gz::sim::systems::DiffDrive", "gz::sim::systems::LinearBatteryPlugin"}
    visuals = {v.get("name") for v in model.iter("visual")}
    assert {"screen_visual", "speaker_visual", "caster_visual"} <= visuals
    assert [s.get("type") for s in model.iter("sensor")] == ["camera"]
    joints = {j.get("name") for j in model.findall("joint")}
    diff = next(p for p in model.findall("plugin") if p.get("name", "").endswith("DiffDrive"))
    assert {diff.findtext("left_joint"), diff.findtext("right_joint")} <= joints


def test_robot_urdf_has_base_wheels_caster_camera_screen_speaker() -> None:
    robot = ET.parse(ROBOT_URDF).getroot()
    assert robot.tag == "robot"
    links = {link.get("name") for link in robot.findall("link")}
    assert links == {
        "base_link", "left_wheel", "right_wheel", "caster_link",
        "camera_link", "screen_link", "speaker_link",
    }  # fmt: skip
    for joint in robot.findall("joint"):
        assert joint.find("parent").get("link") in links  # type: ignore[union-attr]
        assert joint.find("child").get("link") in links  # type: ignore[union-attr]
    wheel_joints = [j for j in robot.findall("joint") if j.get("type") == "continuous"]
    assert len(wheel_joints) == 2


def _published_gz_topics() -> set[str]:
    model = ET.parse(ROBOT_SDF).getroot().find("model")
    assert model is not None
    topics = {s.findtext("topic") for s in model.iter("sensor")}
    for plugin in model.findall("plugin"):
        if plugin.get("name", "").endswith("LinearBatteryPlugin"):
            # LinearBatteryPlugin publishes on /model/<model>/battery/<battery_name>/state.
            topics.add(f"/model/{ROBOT_MODEL}/battery/{plugin.findtext('battery_name')}/state")
    topics.add("/clock")  # every gz sim world publishes its clock
    return {t for t in topics if t}


def test_bridge_ros_topics_match_the_robot_contract() -> None:
    ros = {e["ros_topic_name"]: e["ros_type_name"] for e in _bridge()}
    assert ros["/camera/image_raw"] == TOPIC_TYPES["/camera/image_raw"]
    assert ros["/robot/battery"] == TOPIC_TYPES["/robot/battery"]
    for topic, msgtype in ros.items():
        if topic != "/clock":
            assert TOPIC_TYPES[topic] == msgtype
    assert all(e["direction"] == "GZ_TO_ROS" for e in _bridge())


def test_bridge_gz_topics_are_published_by_the_robot_model() -> None:
    assert {e["gz_topic_name"] for e in _bridge()} == _published_gz_topics()


def test_world_home_cameras_publish_on_their_topics() -> None:
    world = _world("two_room_flat")
    topics = {s.findtext("topic") for s in world.iter("sensor")}
    assert home_camera_topic("kitchen_cam") in topics


def test_launch_file_has_exactly_one_generate_launch_description() -> None:
    tree = ast.parse(LAUNCH.read_text(encoding="utf-8"))
    functions = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "generate_launch_description"
    ]
    assert functions == ["generate_launch_description"]
    text = LAUNCH.read_text(encoding="utf-8")
    assert "bridge.yaml" in text
    assert '"use_sim_time": "true"' in text
    assert "home.launch.py" in text
    assert (REPO / "robot" / "launch" / "home.launch.py").is_file()


def test_cli_lists_homes_and_exports_a_world(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["homes"])
    assert listed.exit_code == 0
    assert listed.output.split() == shipped_homes()
    result = runner.invoke(app, ["export-gazebo", "two_room_flat", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = tmp_path / "two_room_flat.sdf"
    assert written.read_text(encoding="utf-8") == (WORLDS_DIR / "two_room_flat.sdf").read_text(
        encoding="utf-8"
    )


def test_export_from_a_path(tmp_path: Path) -> None:
    path = export_world(load_home(resolve_home(str(resolve_home("one_room_flat")))), tmp_path)
    assert ET.parse(path).getroot().tag == "sdf"


def test_cli_rejects_an_unknown_home_with_a_homecare_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export-gazebo", "castle", "--out", str(tmp_path)])
    assert isinstance(result.exception, HomeError)
    assert "no home 'castle'" in str(result.exception)
    assert not list(tmp_path.iterdir())
