"""The `Runtime` protocol: what a node may use, whichever runtime hosts it.

Nodes are written once against this protocol. `LocalRuntime` hosts all of a
robot's nodes in one process; `RosRuntime` turns each into an rclpy node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from homecare.clock import Clock
from robot.runtime.qos import DEFAULT, QoS

MessageCallback = Callable[[Any], None]
ServiceHandler = Callable[[Any, Any], Any]
"""`handler(request, response) -> response`, the rclpy convention."""


class Publisher(Protocol):
    topic: str

    def publish(self, message: Any) -> None: ...


class Subscription(Protocol):
    topic: str


class Timer(Protocol):
    def cancel(self) -> None: ...


class Service(Protocol):
    name: str


class ServiceFuture(Protocol):
    def done(self) -> bool: ...

    def result(self) -> Any:
        """The response; raises if the call failed or is not done."""
        ...

    def add_done_callback(self, callback: Callable[[ServiceFuture], None]) -> None: ...


class Client(Protocol):
    name: str

    def service_is_ready(self) -> bool: ...

    def call_async(self, request: Any) -> ServiceFuture: ...


class Logger(Protocol):
    """Structured logging: a short event text plus key=value fields (ids, never personal data)."""

    def debug(self, event: str, **fields: Any) -> None: ...

    def info(self, event: str, **fields: Any) -> None: ...

    def warning(self, event: str, **fields: Any) -> None: ...

    def error(self, event: str, **fields: Any) -> None: ...


class Parameters(Protocol):
    def declare(self, name: str, default: Any) -> Any:
        """Declare a parameter with its default; returns the configured value or the default."""
        ...

    def get(self, name: str) -> Any:
        """A declared parameter's value."""
        ...


class Types(Protocol):
    """Message classes: `types.Alert`, `types.get("sensor_msgs/msg/Image")`, `types.service(n)`."""

    def get(self, name: str) -> Any: ...

    def service(self, name: str) -> Any: ...

    def __getattr__(self, name: str) -> Any: ...


class Runtime(Protocol):
    """A node's handle on its runtime."""

    @property
    def name(self) -> str: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def params(self) -> Parameters: ...

    @property
    def log(self) -> Logger: ...

    @property
    def types(self) -> Types: ...

    def publisher(self, topic: str, msg_type: Any, qos: QoS = DEFAULT) -> Publisher: ...

    def subscribe(
        self, topic: str, msg_type: Any, callback: MessageCallback, qos: QoS = DEFAULT
    ) -> Subscription: ...

    def timer(self, period_s: float, callback: Callable[[], None]) -> Timer: ...

    def service(self, name: str, srv_type: Any, handler: ServiceHandler) -> Service: ...

    def client(self, name: str, srv_type: Any) -> Client: ...


NodeFactory = Callable[[Runtime], object]
"""Builds a node on a runtime: `MyNode(rt)`. The runtime keeps it alive."""
