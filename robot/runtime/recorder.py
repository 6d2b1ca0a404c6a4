"""Record every topic of a local run to a rosbag2 MCAP bag (ROS 2 CDR encoding).

The bag opens with `rosbags`, `ros2 bag info/play` and Foxglove. Messages are
serialised when published (so later changes to a message object do not leak
into the recording) and stamped with the runtime's clock, so a simulated run
replays on its simulated timeline.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rosbags.interfaces import (
    Connection,
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)
from rosbags.rosbag2 import StoragePlugin, Writer, WriterError

from homecare.clock import Clock
from homecare.errors import HomecareError
from robot.runtime.message_types import MessageTypes
from robot.runtime.qos import Durability, QoS, Reliability

if TYPE_CHECKING:
    from robot.runtime.local import LocalRuntime

# What rosbag2 writes for "infinite" deadline/lifespan/lease.
_INFINITE = QosTime(sec=0x7FFFFFFF, nsec=0xFFFFFFFF)


class BagRecorder:
    """A tap for `LocalRuntime.add_tap` that writes what it sees to `path` (a new folder)."""

    def __init__(
        self,
        path: Path,
        types: MessageTypes,
        clock: Clock,
        every: Mapping[str, int] | None = None,
    ) -> None:
        self.path = path
        # Keep one message in N on heavy topics (a simulated camera's frames, for a day-long run).
        self._every = dict(every or {})
        self._seen: dict[str, int] = {}
        self._types = types
        self._clock = clock
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._writer: Writer | None = Writer(
                path, version=Writer.VERSION_LATEST, storage_plugin=StoragePlugin.MCAP
            )
            self._writer.open()
        except WriterError as error:
            raise HomecareError(f"cannot record to {path}: {error}") from None
        except OSError as error:
            raise HomecareError(f"cannot record to {path}: {error.strerror}") from None

    def __call__(self, topic: str, msgtype: str, message: Any, qos: QoS) -> None:
        every = self._every.get(topic, 1)
        if every > 1:
            seen = self._seen.get(topic, 0)
            self._seen[topic] = seen + 1
            if seen % every:
                return
        data = self._types.serialize(message)
        timestamp_ns = int(self._clock.now().timestamp() * 1e9)
        with self._lock:
            if self._writer is None:
                return
            connection = self._connections.get(topic)
            if connection is None:
                connection = self._writer.add_connection(
                    topic,
                    msgtype,
                    typestore=self._types.typestore,
                    offered_qos_profiles=[_rosbag_qos(qos)],
                )
                self._connections[topic] = connection
            self._writer.write(connection, timestamp_ns, data)
            self.counts[topic] = self.counts.get(topic, 0) + 1

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None


def record_runtime(
    runtime: LocalRuntime, folder: Path, every: Mapping[str, int] | None = None
) -> BagRecorder:
    """Start recording every topic of `runtime` into `folder`, which must be new or empty.

    `every` thins heavy topics: {"/camera/image_raw": 15} keeps one frame in 15.
    """
    if folder.exists():
        if not folder.is_dir() or any(folder.iterdir()):
            raise HomecareError(
                f"--record {folder}: the folder exists and is not empty; name a new one"
            )
        folder.rmdir()
    recorder = BagRecorder(folder, runtime.types, runtime.clock, every)
    runtime.add_tap(recorder)
    return recorder


def _rosbag_qos(qos: QoS) -> Qos:
    return Qos(
        history=QosHistory.KEEP_LAST,
        depth=qos.depth,
        reliability=QosReliability.RELIABLE
        if qos.reliability is Reliability.RELIABLE
        else QosReliability.BEST_EFFORT,
        durability=QosDurability.TRANSIENT_LOCAL
        if qos.durability is Durability.TRANSIENT_LOCAL
        else QosDurability.VOLATILE,
        deadline=_INFINITE,
        lifespan=_INFINITE,
        liveliness=QosLiveliness.AUTOMATIC,
        liveliness_lease_duration=_INFINITE,
        avoid_ros_namespace_conventions=False,
    )


def read_bag_summary(path: Path) -> dict[str, tuple[str, int]]:
    """Topic -> (message type, message count) of a rosbag2 folder, read back with rosbags."""
    from rosbags.rosbag2 import Reader

    if not (path / "metadata.yaml").exists():
        raise HomecareError(f"{path} is not a rosbag2 folder (no metadata.yaml)")
    with Reader(path) as reader:
        counts: dict[str, tuple[str, int]] = {}
        for connection in reader.connections:
            _, previous = counts.get(connection.topic, (connection.msgtype, 0))
            counts[connection.topic] = (connection.msgtype, previous + connection.msgcount)
        return counts
