"""`RosRuntime`: the `Runtime` protocol on top of an rclpy node.

This is the only module (besides launch files) that imports rclpy, and it
does so lazily, inside functions: `import robot.runtime.ros` works on a
machine without ROS 2. rclpy is not on PyPI; it comes from a ROS 2
installation (`source /opt/ros/jazzy/setup.bash`).

Semantics match `LocalRuntime` where ROS allows:

- A callback (subscription, timer, service handler, service-call done
  callback) that raises is logged with its traceback through the node's
  logger and counted in `callback_errors`; it never reaches the executor, so
  it never stops `rclpy.spin`. A failing service handler answers with a
  default response.
- `rt.clock` reads the node's clock (ROS time), so `use_sim_time` works.
- `rt.types` resolves message and service classes from the generated ROS
  packages (`homecare_interfaces`, `sensor_msgs`, ...).
- Message and service types may be given as classes or as names
  (`"Alert"`, `"sensor_msgs/msg/Image"`), as in the local runtime.
"""

from __future__ import annotations

import array
import importlib
import json
import os
import re
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from homecare.errors import ConfigError, HomecareError, InterfaceError
from homecare.logs import format_fields
from robot.runtime.api import (
    MessageCallback,
    NodeFactory,
    ServiceFuture,
    ServiceHandler,
)
from robot.runtime.qos import DEFAULT, Durability, QoS, Reliability

if TYPE_CHECKING:
    from robot.runtime.api import Runtime

INTERFACE_PACKAGE = "homecare_interfaces"
ROS_SETUP = "source /opt/ros/jazzy/setup.bash"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PACKAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TYPE_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")

# Our QoS enums -> the names of rclpy.qos.ReliabilityPolicy / DurabilityPolicy members.
_RELIABILITY = {Reliability.RELIABLE: "RELIABLE", Reliability.BEST_EFFORT: "BEST_EFFORT"}
_DURABILITY = {Durability.VOLATILE: "VOLATILE", Durability.TRANSIENT_LOCAL: "TRANSIENT_LOCAL"}


def import_rclpy() -> Any:
    """The rclpy module, or a `HomecareError` explaining where it comes from."""
    try:
        import rclpy
    except ModuleNotFoundError as error:
        if error.name not in {"rclpy", None}:
            raise _broken_rclpy(error) from error
        raise HomecareError(
            "rclpy is not installed: it comes from a ROS 2 installation, not from pip; "
            f"run `{ROS_SETUP}` (and your workspace's install/setup.bash) first, "
            "in a venv created with --system-site-packages"
        ) from None
    except ImportError as error:
        raise _broken_rclpy(error) from error
    return rclpy


def _broken_rclpy(error: ImportError) -> HomecareError:
    return HomecareError(
        f"rclpy is installed but cannot be imported ({error}); use the Python of the ROS 2 "
        f"installation (python3.12 for Jazzy) after `{ROS_SETUP}`"
    )


def qos_profile(qos: QoS, rclpy_qos: Any) -> Any:
    """The `rclpy.qos.QoSProfile` for `qos`; `rclpy_qos` is the `rclpy.qos` module.

    History is KEEP_LAST with our depth; reliability and durability map one to one.
    """
    return rclpy_qos.QoSProfile(
        history=rclpy_qos.HistoryPolicy.KEEP_LAST,
        depth=qos.depth,
        reliability=getattr(rclpy_qos.ReliabilityPolicy, _RELIABILITY[qos.reliability]),
        durability=getattr(rclpy_qos.DurabilityPolicy, _DURABILITY[qos.durability]),
    )


# ---------------------------------------------------------------------------
# clock, logger, parameters, types


class RosClock:
    """The `Clock` port over an rclpy clock (`node.get_clock()`): ROS time, so sim time works.

    With `use_sim_time` the time is whatever `/clock` says (0 until the first
    message arrives). `monotonic()` never goes backwards: if sim time jumps
    back (a bag restarting), it holds the last value until time catches up.
    """

    def __init__(self, ros_clock: Any) -> None:
        self._clock = ros_clock
        self._last = 0.0
        self._lock = threading.Lock()

    def nanoseconds(self) -> int:
        return int(self._clock.now().nanoseconds)

    def now(self) -> datetime:
        return _EPOCH + timedelta(microseconds=self.nanoseconds() // 1000)

    def monotonic(self) -> float:
        seconds = self.nanoseconds() / 1e9
        with self._lock:
            self._last = max(self._last, seconds)
            return self._last


class RosLogger:
    """The `Logger` port over an rclpy logger: `event key=value ...` lines.

    rclpy remembers the severity per calling line (`CallerId`) and refuses a
    different severity from the same line, so each level calls rclpy from
    its own line here.
    """

    def __init__(self, ros_logger: Any) -> None:
        self._logger = ros_logger

    def debug(self, event: str, **fields: Any) -> None:
        self._logger.debug(format_fields(event, fields))

    def info(self, event: str, **fields: Any) -> None:
        self._logger.info(format_fields(event, fields))

    def warning(self, event: str, **fields: Any) -> None:
        self._logger.warning(format_fields(event, fields))

    def error(self, event: str, **fields: Any) -> None:
        self._logger.error(format_fields(event, fields))

    def exception(self, event: str, **fields: Any) -> None:
        """An error followed by the current exception's traceback."""
        self._logger.error(format_fields(event, fields) + "\n" + traceback.format_exc().rstrip())


class RosParameters:
    """The `Parameters` port over rclpy node parameters.

    ROS 2 parameters hold only bool, int, float, str, bytes and flat arrays of
    one of those. So:

    - A dict default (a nested pydantic model), or a list that is not a flat
      array of one scalar type (e.g. a list of dicts), is declared as a
      *string* parameter holding JSON and decoded back on the way out. In a
      ROS parameter file such a parameter must be written as a JSON string
      (`devices: '{"bed": {"role": "bed_sensor"}}'`): ROS flattens a nested
      YAML mapping into separate `devices.bed.role` parameters, which this
      parameter does not see.
    - A list mixing ints and floats is declared as a float array.
    - An empty list or a None default is declared with dynamic typing, so the
      parameter file may give any type (ROS would otherwise infer a byte
      array from `[]` and refuse anything else).
    - Arrays come back as Python lists.
    """

    def __init__(self, node: Any) -> None:
        self._node = node
        self._json_encoded: set[str] = set()

    def declare(self, name: str, default: Any) -> Any:
        if self._node.has_parameter(name):
            return self.get(name)
        value, encoded, dynamic = _ros_parameter_value(default)
        try:
            if dynamic:
                rcl_msg = importlib.import_module("rcl_interfaces.msg")
                descriptor = rcl_msg.ParameterDescriptor(dynamic_typing=True)
                parameter = self._node.declare_parameter(name, value, descriptor)
            else:
                parameter = self._node.declare_parameter(name, value)
        except Exception as error:
            raise ConfigError(f"node {self._node.get_name()}: parameter {name}: {error}") from None
        if encoded:
            self._json_encoded.add(name)
        return self._python_value(name, parameter.value)

    def get(self, name: str) -> Any:
        if not self._node.has_parameter(name):
            raise KeyError(f"node {self._node.get_name()} has not declared parameter {name!r}")
        return self._python_value(name, self._node.get_parameter(name).value)

    def _python_value(self, name: str, value: Any) -> Any:
        if name in self._json_encoded and isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as error:
                raise ConfigError(
                    f"node {self._node.get_name()}: parameter {name} must be a JSON string "
                    f"(ROS parameters cannot hold mappings): {error}"
                ) from None
        if isinstance(value, (list, tuple, array.array)):
            return list(value)
        return value


def _ros_parameter_value(default: Any) -> tuple[Any, bool, bool]:  # noqa: PLR0911
    """(value to declare, JSON-encoded?, dynamically typed?) for a default."""
    if default is None:
        return None, False, True
    if isinstance(default, os.PathLike):
        return os.fspath(default), False, False
    if isinstance(default, dict):
        return json.dumps(default), True, False
    if isinstance(default, (list, tuple)):
        items = list(default)
        if not items:
            return items, False, True
        if all(isinstance(item, bool) for item in items) or all(
            isinstance(item, str) for item in items
        ):
            return items, False, False
        if all(isinstance(item, int) and not isinstance(item, bool) for item in items):
            return items, False, False
        if all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in items):
            return [float(item) for item in items], False, False
        return json.dumps(items), True, False
    return default, False, False


class UnknownInterfaceTypeError(InterfaceError, AttributeError):
    """An unknown message or service name (also an AttributeError, for `types.Name`)."""


class RosTypes:
    """Message and service classes from the generated ROS 2 packages (`rt.types`).

    `types.Alert` / `types.get("Alert")` -> `homecare_interfaces.msg.Alert`;
    `types.get("sensor_msgs/msg/Image")` or `"sensor_msgs/Image"` ->
    `sensor_msgs.msg.Image`; `types.GetRobotStatus` /
    `types.service("GetRobotStatus")` -> `homecare_interfaces.srv.GetRobotStatus`.
    """

    def __init__(self, import_module: Callable[[str], Any] = importlib.import_module) -> None:
        self._import_module = import_module
        self._cache: dict[tuple[str, str, str], Any] = {}

    def get(self, name: str) -> Any:
        return self._load(*_split_type_name(name, "msg"), name)

    def service(self, name: str) -> Any:
        return self._load(*_split_type_name(name, "srv"), name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._load(INTERFACE_PACKAGE, "srv", name, name)
        except InterfaceError:
            pass
        return self._load(INTERFACE_PACKAGE, "msg", name, name)

    def _load(self, package: str, kind: str, type_name: str, asked: str) -> Any:
        key = (package, kind, type_name)
        if key in self._cache:
            return self._cache[key]
        what = "message" if kind == "msg" else "service"
        try:
            module = self._import_module(f"{package}.{kind}")
        except ImportError as error:
            hint = (
                "build robot/interfaces with colcon and source install/setup.bash"
                if package == INTERFACE_PACKAGE
                else f"install the ROS 2 package {package} and `{ROS_SETUP}`"
            )
            raise UnknownInterfaceTypeError(
                f"unknown {what} type {asked!r}: cannot import {package}.{kind} ({error}); {hint}"
            ) from None
        found = getattr(module, type_name, None)
        if not isinstance(found, type):
            raise UnknownInterfaceTypeError(
                f"unknown {what} type {asked!r}: {package}/{kind} has no {type_name}"
            )
        self._cache[key] = found
        return found


def _split_type_name(name: str, kind: str) -> tuple[str, str, str]:
    """`(package, kind, Type)` for "Type", "pkg/Type" or "pkg/kind/Type"."""
    what = "message" if kind == "msg" else "service"
    parts = name.split("/")
    if len(parts) == 1:
        package, type_name = INTERFACE_PACKAGE, parts[0]
    elif len(parts) == 2:
        package, type_name = parts
    elif len(parts) == 3:
        package, middle, type_name = parts
        if middle != kind:
            raise UnknownInterfaceTypeError(
                f"{name!r} is not a {what} type name (expected pkg/{kind}/Name)"
            )
    else:
        raise UnknownInterfaceTypeError(
            f"{name!r} is not a {what} type name (expected Name, pkg/Name or pkg/{kind}/Name)"
        )
    if not _PACKAGE_NAME.match(package) or not _TYPE_NAME.match(type_name):
        raise UnknownInterfaceTypeError(
            f"{name!r} is not a {what} type name (expected Name, pkg/Name or pkg/{kind}/Name)"
        )
    return package, kind, type_name


# ---------------------------------------------------------------------------
# endpoints


class RosPublisher:
    def __init__(self, topic: str, publisher: Any) -> None:
        self.topic = topic
        self.ros_publisher = publisher

    def publish(self, message: Any) -> None:
        self.ros_publisher.publish(message)


class RosSubscription:
    def __init__(self, topic: str, subscription: Any) -> None:
        self.topic = topic
        self.ros_subscription = subscription


class RosTimer:
    def __init__(self, period_s: float, timer: Any) -> None:
        self.period_s = period_s
        self.ros_timer = timer

    def cancel(self) -> None:
        self.ros_timer.cancel()


class RosService:
    def __init__(self, name: str, service: Any) -> None:
        self.name = name
        self.ros_service = service


class RosServiceFuture:
    """rclpy's Future behind the `ServiceFuture` protocol.

    Done callbacks are guarded (rclpy runs them as executor tasks and an
    exception there would stop `spin`), and `result()` raises while the call
    is not done, as the local runtime's future does.
    """

    def __init__(self, future: Any, guard: Callable[[Callable[[], None]], Callable[[], None]]):
        self.ros_future = future
        self._guard = guard

    def done(self) -> bool:
        return bool(self.ros_future.done())

    def result(self) -> Any:
        if not self.ros_future.done():
            raise RuntimeError("the service call has not completed yet")
        if self.ros_future.cancelled():
            raise RuntimeError("the service call was cancelled")
        return self.ros_future.result()

    def exception(self) -> BaseException | None:
        error: BaseException | None = self.ros_future.exception()
        return error

    def add_done_callback(self, callback: Callable[[ServiceFuture], None]) -> None:
        guarded = self._guard(lambda: callback(self))
        self.ros_future.add_done_callback(lambda _future: guarded())


class RosClient:
    def __init__(self, runtime: RosRuntime, name: str, client: Any) -> None:
        self.name = name
        self.ros_client = client
        self._runtime = runtime

    def service_is_ready(self) -> bool:
        return bool(self.ros_client.service_is_ready())

    def call_async(self, request: Any) -> RosServiceFuture:
        future = self.ros_client.call_async(request)
        label = f"client:{self.name}"
        return RosServiceFuture(future, lambda work: self._runtime.guarded(label, work))


# ---------------------------------------------------------------------------
# the runtime


class RosRuntime:
    """One node's `Runtime` on ROS 2, wrapping an existing `rclpy.node.Node`.

    The node is created (and spun) by the caller: `run_node` below, a test,
    or a larger rclpy program, as py_trees_ros does.
    """

    def __init__(self, node: Any, types: RosTypes | None = None) -> None:
        self.node = node
        self.name: str = str(node.get_name())
        self.clock = RosClock(node.get_clock())
        self.params = RosParameters(node)
        self.log = RosLogger(node.get_logger())
        self.types = types or RosTypes()
        self.callback_errors: Counter[str] = Counter()
        # What the node factory built; kept alive as long as the runtime.
        self.instances: list[object] = []
        self._errors_lock = threading.Lock()
        self._rclpy_qos: Any = None

    # publishing and subscribing

    def publisher(self, topic: str, msg_type: Any, qos: QoS = DEFAULT) -> RosPublisher:
        ros_publisher = self.node.create_publisher(
            self._message_class(msg_type), topic, self._profile(qos)
        )
        return RosPublisher(topic, ros_publisher)

    def subscribe(
        self, topic: str, msg_type: Any, callback: MessageCallback, qos: QoS = DEFAULT
    ) -> RosSubscription:
        label = f"subscription:{topic}"

        def on_message(message: Any) -> None:
            try:
                callback(message)
            except Exception as error:
                self._record_failure(label, error)

        ros_subscription = self.node.create_subscription(
            self._message_class(msg_type), topic, on_message, self._profile(qos)
        )
        return RosSubscription(topic, ros_subscription)

    def timer(self, period_s: float, callback: Callable[[], None]) -> RosTimer:
        if not period_s > 0:
            raise ValueError(f"timer period must be positive, got {period_s}")
        ros_timer = self.node.create_timer(period_s, self.guarded(f"timer:{period_s:g}s", callback))
        return RosTimer(period_s, ros_timer)

    # services

    def service(self, name: str, srv_type: Any, handler: ServiceHandler) -> RosService:
        service_class = self._service_class(srv_type)
        label = f"service:{name}"

        def on_request(request: Any, response: Any) -> Any:
            try:
                answer = handler(request, response)
            except Exception as error:
                self._record_failure(label, error)
                return service_class.Response()
            if answer is None:
                self._count_failure(label)
                self.log.error("service handler returned no response", callback=label)
                return response
            return answer

        return RosService(name, self.node.create_service(service_class, name, on_request))

    def client(self, name: str, srv_type: Any) -> RosClient:
        return RosClient(self, name, self.node.create_client(self._service_class(srv_type), name))

    # guarding callbacks

    def guarded(self, label: str, work: Callable[[], None]) -> Callable[[], None]:
        """`work` wrapped so an exception is logged and counted under `label`, never raised."""

        def run() -> None:
            try:
                work()
            except Exception as error:
                self._record_failure(label, error)

        return run

    def _record_failure(self, label: str, error: Exception) -> None:
        self._count_failure(label)
        self.log.exception("callback failed", callback=label, error=type(error).__name__)

    def _count_failure(self, label: str) -> None:
        with self._errors_lock:
            self.callback_errors[label] += 1

    # helpers

    def _profile(self, qos: QoS) -> Any:
        if self._rclpy_qos is None:
            import_rclpy()
            self._rclpy_qos = importlib.import_module("rclpy.qos")
        return qos_profile(qos, self._rclpy_qos)

    def _message_class(self, msg_type: Any) -> Any:
        return self.types.get(msg_type) if isinstance(msg_type, str) else msg_type

    def _service_class(self, srv_type: Any) -> Any:
        return self.types.service(srv_type) if isinstance(srv_type, str) else srv_type


if TYPE_CHECKING:
    # mypy checks that RosRuntime satisfies the Runtime protocol.
    _conforms: Runtime = RosRuntime(cast(Any, None))


def run_node(factory: NodeFactory, node_name: str, args: list[str] | None = None) -> None:
    """Run one node on ROS 2 until Ctrl-C or shutdown: the `main()` of each node file.

    `args` are the command-line arguments for rclpy (None: `sys.argv`, so
    `--ros-args -p name:=value` and launch-file remappings work). A
    `HomecareError` while building the node (a bad parameter, say) prints
    one line `error: ...` and exits with status 2.
    """
    rclpy = import_rclpy()
    from rclpy.executors import ExternalShutdownException
    from rclpy.node import Node

    rclpy.init(args=args)
    node: Any = None
    try:
        node = Node(node_name)
        runtime = RosRuntime(node)
        try:
            runtime.instances.append(factory(runtime))
        except HomecareError as error:
            print(f"error: {error}", file=sys.stderr)
            raise SystemExit(2) from None
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
