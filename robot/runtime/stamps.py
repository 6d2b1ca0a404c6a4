"""Time stamps for message headers, from a node's clock (works in both runtimes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from robot.runtime.api import Runtime


def time_message(rt: Runtime, moment: datetime) -> Any:
    """A `builtin_interfaces/msg/Time` for an aware datetime."""
    nanoseconds = round(moment.timestamp() * 1e9)
    sec, nanosec = divmod(nanoseconds, 1_000_000_000)
    return rt.types.get("builtin_interfaces/msg/Time")(sec=sec, nanosec=nanosec)


def header(rt: Runtime, frame_id: str = "") -> Any:
    """A `std_msgs/msg/Header` stamped with the node's clock now."""
    return rt.types.get("std_msgs/msg/Header")(
        stamp=time_message(rt, rt.clock.now()), frame_id=frame_id
    )


def to_datetime(stamp: Any) -> datetime:
    """The aware UTC datetime of a `builtin_interfaces/msg/Time`."""
    return datetime.fromtimestamp(stamp.sec + stamp.nanosec / 1e9, tz=UTC)


def new_id() -> str:
    """A fresh globally unique id (alerts, utterances)."""
    return str(uuid.uuid4())
