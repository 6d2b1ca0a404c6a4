"""The robot runtime: nodes are written once against `Runtime` and run locally or on ROS 2.

`RosRuntime` lives in `robot.runtime.ros` and is imported only where rclpy exists.
"""

from robot.runtime.api import (
    Client,
    Logger,
    NodeFactory,
    Parameters,
    Publisher,
    Runtime,
    Service,
    ServiceFuture,
    Subscription,
    Timer,
)
from robot.runtime.local import LocalRuntime
from robot.runtime.message_types import MessageTypes, load_message_types
from robot.runtime.params import load_params
from robot.runtime.qos import (
    CONFIG,
    DEFAULT,
    EVENTS,
    LATCHED,
    SENSOR_DATA,
    Durability,
    QoS,
    Reliability,
)

__all__ = [
    "CONFIG",
    "DEFAULT",
    "EVENTS",
    "LATCHED",
    "SENSOR_DATA",
    "Client",
    "Durability",
    "LocalRuntime",
    "Logger",
    "MessageTypes",
    "NodeFactory",
    "Parameters",
    "Publisher",
    "QoS",
    "Reliability",
    "Runtime",
    "Service",
    "ServiceFuture",
    "Subscription",
    "Timer",
    "load_message_types",
    "load_params",
]
