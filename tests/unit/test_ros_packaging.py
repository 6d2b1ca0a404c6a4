"""The ROS 2 side without ROS 2: packaging files, and the parts of `robot.runtime.ros`
that do not need rclpy. These run everywhere (tests/unit/test_ros_adapter.py needs rclpy).
"""

from __future__ import annotations

import ast
import runpy
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from homecare.errors import ConfigError, HomecareError, InterfaceError
from robot.runtime import ros
from robot.runtime.qos import QoS
from tests.support import QOS_PROFILE_CASES

ROOT = Path(__file__).resolve().parents[2]
ROBOT = ROOT / "robot"
ROS_PACKAGE = ROBOT / "ros_package"
NODES = ROBOT / "nodes"


# ---------------------------------------------------------------------------
# importing without rclpy


def test_importing_the_ros_runtime_does_not_import_rclpy() -> None:
    code = "import sys, robot.runtime.ros; assert 'rclpy' not in sys.modules, 'rclpy imported'"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_run_node_without_rclpy_says_where_rclpy_comes_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "rclpy", None)  # `import rclpy` now fails
    with pytest.raises(HomecareError) as raised:
        ros.run_node(lambda rt: object(), "battery_monitor", [])
    message = str(raised.value)
    assert "ROS 2 installation" in message
    assert "not from pip" in message
    assert "/opt/ros/jazzy/setup.bash" in message


# ---------------------------------------------------------------------------
# QoS mapping, with a stand-in for the rclpy.qos module


class _Policy:
    def __init__(self, *names: str) -> None:
        for name in names:
            setattr(self, name, f"{type(self).__name__}.{name}")


def _fake_rclpy_qos() -> Any:
    class HistoryPolicy(_Policy):
        pass

    class ReliabilityPolicy(_Policy):
        pass

    class DurabilityPolicy(_Policy):
        pass

    return SimpleNamespace(
        QoSProfile=lambda **kwargs: kwargs,
        HistoryPolicy=HistoryPolicy("KEEP_LAST", "KEEP_ALL"),
        ReliabilityPolicy=ReliabilityPolicy("RELIABLE", "BEST_EFFORT"),
        DurabilityPolicy=DurabilityPolicy("VOLATILE", "TRANSIENT_LOCAL"),
    )


@pytest.mark.parametrize(("qos", "reliability", "durability"), QOS_PROFILE_CASES)
def test_qos_maps_to_a_keep_last_profile(qos: QoS, reliability: str, durability: str) -> None:
    profile = ros.qos_profile(qos, _fake_rclpy_qos())
    assert profile == {
        "history": "HistoryPolicy.KEEP_LAST",
        "depth": qos.depth,
        "reliability": f"ReliabilityPolicy.{reliability}",
        "durability": f"DurabilityPolicy.{durability}",
    }


# ---------------------------------------------------------------------------
# parameter values ROS can hold


@pytest.mark.parametrize(
    ("default", "declared", "encoded", "dynamic"),
    [
        (20.0, 20.0, False, False),
        (3, 3, False, False),
        (True, True, False, False),
        ("ru", "ru", False, False),
        (["a", "b"], ["a", "b"], False, False),
        ([1, 2], [1, 2], False, False),
        ((1, 2.5), [1.0, 2.5], False, False),
        ([True, False], [True, False], False, False),
        ([], [], False, True),
        (None, None, False, True),
        ({"bed": {"role": "bed_sensor"}}, '{"bed": {"role": "bed_sensor"}}', True, False),
        ([{"id": 1}], '[{"id": 1}]', True, False),
        ([1, "a"], '[1, "a"]', True, False),
        (Path("/var/lib/homecare"), "/var/lib/homecare", False, False),
    ],
)
def test_defaults_become_values_ros_parameters_can_hold(
    default: Any, declared: Any, encoded: bool, dynamic: bool
) -> None:
    assert ros._ros_parameter_value(default) == (declared, encoded, dynamic)


class _StandInNode:
    """Just enough of rclpy.node.Node for the runtime's non-ROS logic."""

    def __init__(self, overrides: dict[str, Any] | None = None) -> None:
        self.overrides = overrides or {}
        self.parameters: dict[str, Any] = {}
        self.logged: list[tuple[str, str]] = []
        self.timers: list[Any] = []
        self.services: list[tuple[Any, str, Any]] = []

    def get_name(self) -> str:
        return "stand_in"

    def get_clock(self) -> Any:
        return SimpleNamespace(now=lambda: SimpleNamespace(nanoseconds=1_767_596_400_123_456_789))

    def get_logger(self) -> Any:
        return SimpleNamespace(
            **{
                level: (lambda text, level=level: self.logged.append((level, text)))
                for level in ("debug", "info", "warning", "error")
            }
        )

    def has_parameter(self, name: str) -> bool:
        return name in self.parameters

    def declare_parameter(self, name: str, value: Any, descriptor: Any = None) -> Any:
        self.parameters[name] = self.overrides.get(name, value)
        return self.get_parameter(name)

    def get_parameter(self, name: str) -> Any:
        return SimpleNamespace(value=self.parameters[name])

    def create_timer(self, period: float, callback: Any) -> Any:
        self.timers.append(callback)
        return SimpleNamespace(cancel=lambda: None)

    def create_service(self, srv_type: Any, name: str, callback: Any) -> Any:
        self.services.append((srv_type, name, callback))
        return object()


def test_dict_parameters_travel_as_json_strings() -> None:
    node = _StandInNode(overrides={"devices": '{"door": {"role": "door_sensor"}}'})
    rt = ros.RosRuntime(node)
    assert rt.params.declare("devices", {}) == {"door": {"role": "door_sensor"}}
    assert rt.params.get("devices") == {"door": {"role": "door_sensor"}}
    assert rt.params.declare("devices", {}) == {"door": {"role": "door_sensor"}}
    assert rt.params.declare("low_pct", 20.0) == 20.0


def test_a_dict_parameter_that_is_not_json_is_a_config_error() -> None:
    rt = ros.RosRuntime(_StandInNode(overrides={"devices": "{not json"}))
    with pytest.raises(ConfigError, match="devices must be a JSON string"):
        rt.params.declare("devices", {})


def test_getting_an_undeclared_parameter_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="has not declared parameter 'nope'"):
        ros.RosRuntime(_StandInNode()).params.get("nope")


def test_a_failing_timer_callback_is_logged_and_counted_not_raised() -> None:
    node = _StandInNode()
    rt = ros.RosRuntime(node)

    def explode() -> None:
        raise ValueError("boom")

    rt.timer(0.5, explode)
    node.timers[0]()
    node.timers[0]()
    assert rt.callback_errors == {"timer:0.5s": 2}
    level, text = node.logged[0]
    assert level == "error"
    assert "callback failed callback=timer:0.5s error=ValueError" in text
    assert "Traceback" in text and "boom" in text


def test_a_failing_service_handler_answers_with_a_default_response() -> None:
    node = _StandInNode()
    rt = ros.RosRuntime(node)

    class Response:
        filled = False

    srv_type = SimpleNamespace(Response=Response)

    def handler(request: Any, response: Any) -> Any:
        raise RuntimeError("broken")

    rt.service("/robot/status", srv_type, handler)
    _, name, callback = node.services[0]
    answer = callback(object(), Response())
    assert name == "/robot/status"
    assert isinstance(answer, Response)
    assert rt.callback_errors == {"service:/robot/status": 1}


def test_clock_reads_the_node_clock() -> None:
    rt = ros.RosRuntime(_StandInNode())
    now = rt.clock.now()
    assert now.tzinfo is not None
    assert now.isoformat() == "2026-01-05T07:00:00.123456+00:00"
    assert rt.clock.monotonic() == pytest.approx(1_767_596_400.123456789)


def test_log_lines_are_event_then_key_values() -> None:
    node = _StandInNode()
    rt = ros.RosRuntime(node)
    rt.log.info("battery low", level="low", pct=18)
    rt.log.warning("odd", text="two words")
    assert node.logged == [
        ("info", "battery low level=low pct=18"),
        ("warning", 'odd text="two words"'),
    ]


# ---------------------------------------------------------------------------
# type names, with a stand-in for importlib.import_module


def _fake_import(module_name: str) -> Any:
    modules = {
        "homecare_interfaces.msg": SimpleNamespace(Alert=type("Alert", (), {})),
        "homecare_interfaces.srv": SimpleNamespace(GetRobotStatus=type("GetRobotStatus", (), {})),
        "sensor_msgs.msg": SimpleNamespace(Image=type("Image", (), {}), Helper=lambda: None),
    }
    if module_name not in modules:
        raise ModuleNotFoundError(f"No module named {module_name!r}")
    return modules[module_name]


def test_types_resolve_every_accepted_spelling() -> None:
    types = ros.RosTypes(_fake_import)
    assert types.get("Alert").__name__ == "Alert"
    assert types.Alert is types.get("Alert")
    assert types.get("sensor_msgs/msg/Image").__name__ == "Image"
    assert types.get("sensor_msgs/Image") is types.get("sensor_msgs/msg/Image")
    assert types.service("GetRobotStatus").__name__ == "GetRobotStatus"
    assert types.GetRobotStatus is types.service("homecare_interfaces/srv/GetRobotStatus")


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        (lambda t: t.get("Nope"), "unknown message type 'Nope'"),
        (lambda t: t.get("sensor_msgs/msg/image"), "not a message type name"),
        (lambda t: t.get("sensor_msgs/msg/Helper"), "sensor_msgs/msg has no Helper"),
        (lambda t: t.get("a/b/c/D"), "not a message type name"),
        (lambda t: t.get("geometry_msgs/msg/Twist"), "cannot import geometry_msgs.msg"),
        (lambda t: t.get("homecare_interfaces/srv/GetRobotStatus"), "not a message type"),
        (lambda t: t.service("Alert"), "unknown service type 'Alert'"),
        (lambda t: t.Nope, "unknown message type 'Nope'"),
    ],
)
def test_unknown_types_are_interface_errors(lookup: Any, message: str) -> None:
    with pytest.raises(InterfaceError, match=message):
        lookup(ros.RosTypes(_fake_import))


def test_unknown_type_attribute_is_also_an_attribute_error() -> None:
    assert not hasattr(ros.RosTypes(_fake_import), "Nope")


# ---------------------------------------------------------------------------
# the ROS packages


def _package_xml(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def test_interface_package_xml() -> None:
    root = _package_xml(ROBOT / "interfaces" / "package.xml")
    assert root.get("format") == "3"
    assert root.findtext("name") == "homecare_interfaces"
    assert root.findtext("export/build_type") == "ament_cmake"


def test_robot_package_xml() -> None:
    root = _package_xml(ROS_PACKAGE / "package.xml")
    assert root.get("format") == "3"
    assert root.findtext("name") == "robot"
    assert root.findtext("export/build_type") == "ament_python"
    exec_depends = {element.text for element in root.findall("exec_depend")}
    assert {
        "rclpy",
        "launch",
        "launch_ros",
        "homecare_interfaces",
        "sensor_msgs",
        "std_msgs",
    } <= exec_depends


def test_robot_package_has_its_ament_resource_marker_and_script_dir() -> None:
    assert (ROS_PACKAGE / "resource" / "robot").is_file()
    setup_cfg = (ROS_PACKAGE / "setup.cfg").read_text(encoding="utf-8")
    assert "script_dir=$base/lib/robot" in setup_cfg
    assert "install_scripts=$base/lib/robot" in setup_cfg


@pytest.mark.parametrize(("link", "target"), [("launch", "../launch"), ("config", "../config")])
def test_package_symlinks_are_relative_and_resolve(link: str, target: str) -> None:
    path = ROS_PACKAGE / link
    assert path.is_symlink()
    assert path.readlink() == Path(target)
    assert path.resolve() == (ROBOT / link).resolve()
    assert path.is_dir()


@pytest.mark.parametrize(
    "path",
    [ROS_PACKAGE / "setup.py", *sorted((ROBOT / "launch").glob("*.launch.py"))],
    ids=lambda path: path.name,
)
def test_python_files_of_the_ros_package_compile(path: Path) -> None:
    compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_home_launch_file_exists_with_generate_launch_description() -> None:
    tree = ast.parse((ROBOT / "launch" / "home.launch.py").read_text(encoding="utf-8"))
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "generate_launch_description" in functions


def _setup_keywords(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import setuptools

    captured: dict[str, Any] = {}
    monkeypatch.setattr(setuptools, "setup", lambda **keywords: captured.update(keywords))
    monkeypatch.chdir(ROS_PACKAGE)
    runpy.run_path(str(ROS_PACKAGE / "setup.py"), run_name="__main__")
    return captured


def test_setup_py_installs_launch_and_config_files(monkeypatch: pytest.MonkeyPatch) -> None:
    keywords = _setup_keywords(monkeypatch)
    assert keywords["name"] == "robot"
    assert keywords["packages"] == []
    data_files = dict(keywords["data_files"])
    assert data_files["share/ament_index/resource_index/packages"] == ["resource/robot"]
    assert data_files["share/robot"] == ["package.xml"]
    assert "launch/home.launch.py" in data_files["share/robot/launch"]
    assert "config/robot.yaml" in data_files["share/robot/config"]
    for files in data_files.values():
        for file in files:
            assert (ROS_PACKAGE / file).is_file(), file


def test_setup_py_has_one_executable_per_node_file(monkeypatch: pytest.MonkeyPatch) -> None:
    scripts = _setup_keywords(monkeypatch)["entry_points"]["console_scripts"]
    expected = [
        f"{path.stem.removesuffix('_node')} = robot.nodes.{path.stem}:main"
        for path in sorted(NODES.glob("*_node.py"))
    ]
    assert scripts == expected
    assert scripts, "no robot/nodes/*_node.py files"


def _node_files() -> list[Path]:
    return sorted(NODES.glob("*_node.py"))


@pytest.mark.parametrize("path", _node_files(), ids=lambda path: path.name)
def test_every_node_file_defines_main(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "main" in functions, f"{path.name} has no main() (its ROS 2 executable runs it)"


def test_every_launched_node_has_an_executable() -> None:
    from robot.nodes import ROBOT_NODES

    executables = {path.stem.removesuffix("_node") for path in _node_files()}
    assert ROBOT_NODES, "ROBOT_NODES is empty"
    missing = sorted(set(ROBOT_NODES) - executables)
    assert not missing, f"ROBOT_NODES names without robot/nodes/<name>_node.py: {missing}"
    for name, target in ROBOT_NODES.items():
        assert target.startswith(f"robot.nodes.{name}_node:"), (name, target)


def test_default_parameter_file_exists() -> None:
    assert (ROBOT / "config" / "robot.yaml").is_file()
