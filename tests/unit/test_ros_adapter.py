"""`RosRuntime` on real rclpy nodes. Skipped where rclpy is absent (it is not on PyPI).

Each test gets its own rclpy context, node and single-threaded executor and
spins until a condition holds or a deadline passes (no bare sleeps).
The parts that need no ROS are tested in tests/unit/test_ros_packaging.py.
"""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from homecare.errors import ConfigError, InterfaceError
from robot.runtime.qos import LATCHED, QoS
from tests.support import QOS_PROFILE_CASES, ROS_SKIP_REASON

rclpy = pytest.importorskip("rclpy", reason=ROS_SKIP_REASON)
rclpy_context = importlib.import_module("rclpy.context")
rclpy_executors = importlib.import_module("rclpy.executors")
rclpy_parameter = importlib.import_module("rclpy.parameter")
rclpy_qos = importlib.import_module("rclpy.qos")

from robot.runtime.ros import RosRuntime, qos_profile, run_node  # noqa: E402

pytestmark = pytest.mark.ros

STRING = "std_msgs/msg/String"


@pytest.fixture
def context() -> Iterator[Any]:
    context = rclpy_context.Context()
    rclpy.init(context=context)
    yield context
    rclpy.try_shutdown(context=context)


class Ros:
    """A node, its RosRuntime and an executor to spin them, in one context."""

    def __init__(self, context: Any, overrides: dict[str, Any] | None = None) -> None:
        self.node = rclpy.create_node(
            f"test_ros_adapter_{uuid.uuid4().hex[:8]}",
            context=context,
            parameter_overrides=[
                rclpy_parameter.Parameter(name, value=value)
                for name, value in (overrides or {}).items()
            ],
        )
        self.rt = RosRuntime(self.node)
        self.executor = rclpy_executors.SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)

    def spin_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
            self.executor.spin_once(timeout_sec=0.05)

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()


@pytest.fixture
def ros(context: Any) -> Iterator[Ros]:
    handle = Ros(context)
    yield handle
    handle.close()


def _topic(name: str) -> str:
    return f"/test_ros_adapter/{uuid.uuid4().hex[:8]}/{name}"


# ---------------------------------------------------------------------------
# topics and QoS


def test_publish_and_subscribe(ros: Ros) -> None:
    topic = _topic("chatter")
    received: list[str] = []
    string_type = ros.rt.types.get(STRING)
    publisher = ros.rt.publisher(topic, string_type)
    subscription = ros.rt.subscribe(topic, STRING, lambda message: received.append(message.data))
    assert publisher.topic == topic
    assert subscription.topic == topic

    def published_and_heard() -> bool:
        publisher.publish(string_type(data="hello"))
        return bool(received)

    ros.spin_until(published_and_heard)
    assert received[0] == "hello"


@pytest.mark.parametrize(("qos", "reliability", "durability"), QOS_PROFILE_CASES)
def test_qos_maps_to_rclpy_profiles(ros: Ros, qos: QoS, reliability: str, durability: str) -> None:
    expected = rclpy_qos.QoSProfile(
        history=rclpy_qos.HistoryPolicy.KEEP_LAST,
        depth=qos.depth,
        reliability=getattr(rclpy_qos.ReliabilityPolicy, reliability),
        durability=getattr(rclpy_qos.DurabilityPolicy, durability),
    )
    assert qos_profile(qos, rclpy_qos) == expected
    publisher = ros.rt.publisher(_topic("qos"), STRING, qos)
    assert publisher.ros_publisher.qos_profile == expected


def test_latched_topic_reaches_a_late_subscriber(ros: Ros) -> None:
    topic = _topic("latched")
    string_type = ros.rt.types.get(STRING)
    ros.rt.publisher(topic, string_type, LATCHED).publish(string_type(data="config v1"))
    received: list[str] = []
    ros.rt.subscribe(topic, string_type, lambda message: received.append(message.data), LATCHED)
    ros.spin_until(lambda: bool(received))
    assert received == ["config v1"]


# ---------------------------------------------------------------------------
# failing callbacks never stop spinning


def test_failing_subscription_callback_is_counted_and_spinning_goes_on(ros: Ros) -> None:
    topic = _topic("faulty")
    string_type = ros.rt.types.get(STRING)
    publisher = ros.rt.publisher(topic, string_type)
    heard: list[str] = []

    def on_message(message: Any) -> None:
        heard.append(message.data)
        raise ValueError("bad message")

    ros.rt.subscribe(topic, string_type, on_message)

    def two_failures() -> bool:
        publisher.publish(string_type(data="x"))
        return ros.rt.callback_errors[f"subscription:{topic}"] >= 2

    ros.spin_until(two_failures)
    assert heard


def test_failing_timer_is_counted_and_keeps_firing(ros: Ros) -> None:
    calls: list[int] = []

    def tick() -> None:
        calls.append(1)
        raise RuntimeError("tick failed")

    timer = ros.rt.timer(0.01, tick)
    ros.spin_until(lambda: len(calls) >= 3)
    timer.cancel()
    assert ros.rt.callback_errors["timer:0.01s"] >= 3


def test_failing_service_answers_with_a_default_response(ros: Ros) -> None:
    name = _topic("get_parameters")
    srv = "rcl_interfaces/srv/GetParameters"

    def handler(request: Any, response: Any) -> Any:
        raise RuntimeError("handler broke")

    ros.rt.service(name, srv, handler)
    client = ros.rt.client(name, srv)
    ros.spin_until(client.service_is_ready)
    request = ros.rt.types.service(srv).Request(names=["x"])
    future = client.call_async(request)
    done: list[Any] = []
    future.add_done_callback(lambda finished: done.append(finished.result()))
    ros.spin_until(lambda: bool(done))
    assert list(done[0].values) == []
    assert ros.rt.callback_errors[f"service:{name}"] == 1


def test_service_call_round_trip_and_failing_done_callback(ros: Ros) -> None:
    name = _topic("echo")
    srv_type = ros.rt.types.service("rcl_interfaces/srv/GetParameters")

    def handler(request: Any, response: Any) -> Any:
        response.values = [
            rclpy_parameter.Parameter(n, value=n.upper()).get_parameter_value()
            for n in request.names
        ]
        return response

    ros.rt.service(name, srv_type, handler)
    client = ros.rt.client(name, srv_type)
    ros.spin_until(client.service_is_ready)
    future = client.call_async(srv_type.Request(names=["a", "b"]))
    with pytest.raises(RuntimeError, match="not completed"):
        future.result()

    def broken_callback(finished: Any) -> None:
        raise ValueError("done callback broke")

    future.add_done_callback(broken_callback)
    ros.spin_until(lambda: ros.rt.callback_errors[f"client:{name}"] == 1)
    assert future.done()
    assert [value.string_value for value in future.result().values] == ["A", "B"]


# ---------------------------------------------------------------------------
# parameters


def test_parameters_declared_with_defaults_and_overrides(context: Any) -> None:
    handle = Ros(
        context,
        overrides={
            "low_pct": 15.0,
            "devices": '{"bed": {"role": "bed_sensor"}}',
            "names": ["a", "b"],
        },
    )
    try:
        params = handle.rt.params
        assert params.declare("low_pct", 20.0) == 15.0
        assert params.declare("critical_pct", 10.0) == 10.0
        assert params.declare("lang", "ru") == "ru"
        assert params.declare("devices", {}) == {"bed": {"role": "bed_sensor"}}
        assert params.declare("names", []) == ["a", "b"]
        assert params.declare("numbers", [1, 2]) == [1, 2]
        assert params.declare("nothing", None) is None
        assert params.declare("low_pct", 99.0) == 15.0  # already declared: its value
        assert params.get("devices") == {"bed": {"role": "bed_sensor"}}
        assert handle.node.get_parameter("devices").value == '{"bed": {"role": "bed_sensor"}}'
        assert params.declare("use_sim_time", True) is False  # declared by rclpy itself
    finally:
        handle.close()


def test_parameter_of_the_wrong_type_is_a_config_error(context: Any) -> None:
    handle = Ros(context, overrides={"low_pct": "low"})
    try:
        with pytest.raises(ConfigError, match="low_pct"):
            handle.rt.params.declare("low_pct", 20.0)
    finally:
        handle.close()


# ---------------------------------------------------------------------------
# types, clock, logging


def test_types_resolve_generated_classes(ros: Ros) -> None:
    std_msgs = importlib.import_module("std_msgs.msg")
    types = ros.rt.types
    assert types.get("std_msgs/msg/String") is std_msgs.String
    assert types.get("std_msgs/String") is std_msgs.String
    rcl_srv = importlib.import_module("rcl_interfaces.srv")
    assert types.service("rcl_interfaces/srv/GetParameters") is rcl_srv.GetParameters
    with pytest.raises(InterfaceError, match="unknown message type"):
        types.get("std_msgs/msg/NoSuchMessage")


def test_types_resolve_the_project_interfaces(ros: Ros) -> None:
    interfaces = pytest.importorskip(
        "homecare_interfaces.msg", reason="homecare_interfaces not built (colcon build)"
    )
    services = importlib.import_module("homecare_interfaces.srv")
    assert ros.rt.types.Alert is interfaces.Alert
    assert ros.rt.types.get("Alert") is interfaces.Alert
    assert ros.rt.types.GetRobotStatus is services.GetRobotStatus
    assert ros.rt.types.service("GetRobotStatus") is services.GetRobotStatus


def test_clock_follows_the_node_clock(ros: Ros) -> None:
    before = datetime.now(UTC)
    now = ros.rt.clock.now()
    assert now.tzinfo is not None
    assert abs((now - before).total_seconds()) < 5
    first = ros.rt.clock.monotonic()
    assert ros.rt.clock.monotonic() >= first


def test_clock_follows_sim_time(context: Any) -> None:
    handle = Ros(context, overrides={"use_sim_time": True})
    try:
        assert handle.rt.clock.monotonic() == 0.0  # no /clock message yet
        clock_type = handle.rt.types.get("rosgraph_msgs/msg/Clock")
        time_type = handle.rt.types.get("builtin_interfaces/msg/Time")
        publisher = handle.rt.publisher("/clock", clock_type)

        def at_100_seconds() -> bool:
            publisher.publish(clock_type(clock=time_type(sec=100, nanosec=0)))
            return handle.rt.clock.monotonic() == 100.0

        handle.spin_until(at_100_seconds)
        assert handle.rt.clock.now() == datetime(1970, 1, 1, 0, 1, 40, tzinfo=UTC)
    finally:
        handle.close()


def test_logging_at_every_level(ros: Ros) -> None:
    # rclpy refuses a second severity from the same call site; each level has its own.
    for _ in range(2):
        ros.rt.log.debug("debug event", n=1)
        ros.rt.log.info("info event", n=2)
        ros.rt.log.warning("warning event", text="two words")
        ros.rt.log.error("error event", n=4)


# ---------------------------------------------------------------------------
# run_node


def test_run_node_turns_a_homecare_error_into_exit_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def factory(rt: Any) -> object:
        raise ConfigError("node battery_monitor: parameter low_pct=150: too high")

    with pytest.raises(SystemExit) as exited:
        run_node(factory, f"test_run_node_{uuid.uuid4().hex[:8]}", [])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: node battery_monitor: parameter low_pct=150: too high"
    assert not rclpy.ok()
