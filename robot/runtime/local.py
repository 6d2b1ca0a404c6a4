"""`LocalRuntime`: all nodes of one robot in one process, scheduled deterministically.

Scheduling: one executor thread runs one callback at a time from a single
FIFO of ready work. A published message is queued on each matching
subscription (KEEP_LAST: a full queue drops its oldest message and counts the
drop) and a delivery is appended to the FIFO; timers that fall due are
appended in order of due time. So the same inputs give the same order of
callbacks, whatever the clock.

Time: with a `ManualClock` the runtime jumps straight to the next due timer
(as fast as possible), with a `PacedClock` likewise but no faster than its
`max_speed`; with an `AcceleratedClock` or the `SystemClock` it
waits on the wall clock. Other threads hand work in with
`call_soon_threadsafe` (or publish), which wakes a waiting executor.

A callback that raises is logged with its traceback and counted in
`callback_errors`; it never stops the runtime.
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from homecare.clock import AcceleratedClock, Clock, ManualClock, PacedClock, SystemClock
from homecare.errors import ConfigError, InterfaceError
from homecare.logs import StructuredLogger
from robot.runtime.api import MessageCallback, NodeFactory, ServiceHandler
from robot.runtime.futures import LocalFuture, ServiceCallError
from robot.runtime.message_types import MessageTypes, ServiceType, load_message_types
from robot.runtime.qos import DEFAULT, Durability, QoS, incompatibility

Work = Callable[[], None]
Tap = Callable[[str, str, Any, QoS], None]
"""Sees every published message: `tap(topic, msgtype, message, publisher_qos)`."""


class LocalRuntime:
    """The executor and message graph shared by the nodes of one robot."""

    def __init__(
        self,
        clock: Clock | None = None,
        parameters: Mapping[str, Mapping[str, Any]] | None = None,
        types: MessageTypes | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.types = types or load_message_types()
        self.parameters = {name: dict(values) for name, values in (parameters or {}).items()}
        self.nodes: dict[str, LocalNode] = {}
        self.instances: dict[str, object] = {}
        self.callback_errors: Counter[str] = Counter()
        self.dropped_messages: Counter[str] = Counter()
        self.log = StructuredLogger("robot.runtime")
        self._topics: dict[str, _Topic] = {}
        self._services: dict[str, _LocalService] = {}
        self._taps: list[Tap] = []
        self._ready: deque[_Ready] = deque()
        self._timers: list[tuple[float, int, _LocalTimer]] = []
        self._sequence = itertools.count()
        self._lock = threading.RLock()
        self._wakeup = threading.Event()
        self._stop_requested = False

    # building the graph

    def add_node(
        self, name: str, factory: NodeFactory, parameters: Mapping[str, Any] | None = None
    ) -> object:
        """Create node `name` and build it with `factory(rt)`; returns what the factory made."""
        instance = factory(self.node(name, parameters))
        self.instances[name] = instance
        return instance

    def node(self, name: str, parameters: Mapping[str, Any] | None = None) -> LocalNode:
        """A node handle (implements `Runtime`); parameters default to the parameter file's."""
        if name in self.nodes:
            raise InterfaceError(f"a node named {name!r} already exists in this runtime")
        values = dict(self.parameters.get("**", {}))
        values.update(self.parameters.get(name, {}))
        values.update(parameters or {})
        node = LocalNode(self, name, values)
        self.nodes[name] = node
        return node

    def add_tap(self, tap: Tap) -> None:
        """Call `tap` for every message published on any topic (recording, timelines)."""
        self._taps.append(tap)

    def topic_names(self) -> dict[str, str]:
        return {name: topic.msgtype for name, topic in self._topics.items()}

    # running

    def call_soon_threadsafe(self, work: Work) -> None:
        """Queue `work` from any thread; the executor runs it in order."""
        self._enqueue(_Ready(work=work, label="external"))

    def stop(self) -> None:
        """Ask a running `run_*` call to return (safe from any thread or callback)."""
        self._stop_requested = True
        self._wakeup.set()

    def run_until_idle(self, max_callbacks: int = 1_000_000) -> int:
        """Run ready work and due timers without moving time; returns callbacks run."""
        count = 0
        while count < max_callbacks and self._step():
            count += 1
        return count

    def run_for(self, seconds: float) -> None:
        """Run for `seconds` of this runtime's clock (waiting or jumping as the clock allows)."""
        self.run_until(lambda: False, timeout=seconds)

    def run_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Run until `condition()` holds or `timeout` clock seconds pass; returns the condition."""
        deadline = self.clock.monotonic() + timeout
        self._stop_requested = False
        while not self._stop_requested:
            if condition():
                return True
            if self.clock.monotonic() > deadline:
                break
            if self._step():
                continue
            if self.clock.monotonic() >= deadline:
                break
            self._wait_for_work(deadline)
        return condition()

    def spin(self) -> None:
        """Run until `stop()` is called."""
        self.run_until(lambda: False, timeout=float("inf"))

    # executor internals

    def _step(self) -> bool:
        self._release_due_timers()
        with self._lock:
            if not self._ready:
                return False
            ready = self._ready.popleft()
        ready.run(self)
        return True

    def _release_due_timers(self) -> None:
        now = self.clock.monotonic()
        with self._lock:
            while self._timers and self._timers[0][0] <= now:
                _, _, timer = heapq.heappop(self._timers)
                if not timer.cancelled:
                    self._ready.append(_Ready(work=timer.fire, label=timer.label, node=timer.node))

    def _next_timer_due(self) -> float | None:
        with self._lock:
            while self._timers and self._timers[0][2].cancelled:
                heapq.heappop(self._timers)
            return self._timers[0][0] if self._timers else None

    def _wait_for_work(self, deadline: float) -> None:
        due = self._next_timer_due()
        target = deadline if due is None else min(due, deadline)
        if isinstance(self.clock, PacedClock):
            wait = self.clock.wall_seconds_until(target)
            if wait > 0:
                # Work from another thread (an MQTT message) ends the wait early and
                # runs at the simulated time reached by then.
                self._wakeup.wait(min(wait, 3600.0))
                self._wakeup.clear()
            self.clock.step_towards(target)
            return
        if isinstance(self.clock, ManualClock):
            if target == float("inf"):
                # Nothing will ever happen on a manual clock without another thread.
                self._wakeup.wait(0.05)
                self._wakeup.clear()
                return
            self.clock.advance_to(target)
            return
        if isinstance(self.clock, AcceleratedClock):
            wait = self.clock.wall_seconds_until(target)
        else:
            wait = max(0.0, target - self.clock.monotonic())
        self._wakeup.wait(min(wait, 3600.0))
        self._wakeup.clear()

    def _schedule_timer(self, timer: _LocalTimer) -> None:
        with self._lock:
            heapq.heappush(self._timers, (timer.next_due, timer.order, timer))
        self._wakeup.set()

    def _enqueue(self, ready: _Ready) -> None:
        with self._lock:
            self._ready.append(ready)
        self._wakeup.set()

    def _run_guarded(self, node: LocalNode | None, label: str, work: Work) -> None:
        try:
            work()
        except Exception as error:
            owner = node.name if node else "runtime"
            key = f"{owner}:{label}"
            self.callback_errors[key] += 1
            logger = node.log if node else self.log
            logger.exception("callback failed", callback=label, error=type(error).__name__)

    # topics

    def _topic(self, name: str, msgtype: str) -> _Topic:
        with self._lock:
            topic = self._topics.get(name)
            if topic is None:
                topic = self._topics[name] = _Topic(name, msgtype)
            elif topic.msgtype != msgtype:
                raise InterfaceError(
                    f"topic {name} carries {topic.msgtype}; cannot use it with {msgtype}"
                )
            return topic

    def _publish(self, publisher: LocalPublisher, message: Any) -> None:
        msgtype = getattr(message, "__msgtype__", type(message).__name__)
        if msgtype != publisher.msgtype:
            raise InterfaceError(
                f"publisher on {publisher.topic} sends {publisher.msgtype}, got a {msgtype}"
            )
        for tap in self._taps:
            # A failing recorder or timeline must not stop the robot's messages.
            self._run_guarded(
                None,
                f"tap:{publisher.topic}",
                partial(tap, publisher.topic, publisher.msgtype, message, publisher.qos),
            )
        with self._lock:
            topic = self._topics[publisher.topic]
            if publisher.qos.durability is Durability.TRANSIENT_LOCAL:
                publisher.history.append(message)
            for subscription in topic.subscriptions:
                if subscription.accepts(publisher):
                    self._deliver(subscription, message)

    def _deliver(self, subscription: LocalSubscription, message: Any) -> None:
        queue = subscription.queue
        if len(queue) == queue.maxlen:
            self.dropped_messages[f"{subscription.node.name}:{subscription.topic}"] += 1
        queue.append(message)
        self._ready.append(
            _Ready(
                work=subscription.take_one,
                label=f"subscription:{subscription.topic}",
                node=subscription.node,
            )
        )
        self._wakeup.set()

    def _add_subscription(self, subscription: LocalSubscription) -> None:
        with self._lock:
            topic = self._topic(subscription.topic, subscription.msgtype)
            topic.subscriptions.append(subscription)
            for publisher in topic.publishers:
                if not subscription.accepts(publisher):
                    continue
                if subscription.qos.durability is Durability.TRANSIENT_LOCAL:
                    for message in publisher.history:
                        self._deliver(subscription, message)

    def _add_publisher(self, publisher: LocalPublisher) -> None:
        with self._lock:
            topic = self._topic(publisher.topic, publisher.msgtype)
            topic.publishers.append(publisher)
            for subscription in topic.subscriptions:
                subscription.accepts(publisher)

    # services

    def _add_service(self, service: _LocalService) -> None:
        with self._lock:
            if service.name in self._services:
                raise InterfaceError(f"a service named {service.name} already exists")
            self._services[service.name] = service

    def _call(self, client: LocalClient, request: Any) -> LocalFuture:
        future = LocalFuture(self.call_soon_threadsafe)
        service = self._services.get(client.name)
        if service is None:
            future.set_exception(ServiceCallError(f"no service named {client.name}"))
            return future
        if service.srv_type.name != client.srv_type.name:
            future.set_exception(
                ServiceCallError(
                    f"service {client.name} is a {service.srv_type.name}, "
                    f"not a {client.srv_type.name}"
                )
            )
            return future

        def handle() -> None:
            try:
                response = service.handler(request, service.srv_type.Response())
            except Exception as error:
                future.set_exception(ServiceCallError(f"service {service.name} failed: {error}"))
                raise
            future.set_result(response)

        self._enqueue(_Ready(work=handle, label=f"service:{service.name}", node=service.node))
        return future


@dataclass
class _Ready:
    work: Work
    label: str
    node: LocalNode | None = None

    def run(self, runtime: LocalRuntime) -> None:
        runtime._run_guarded(self.node, self.label, self.work)


@dataclass
class _Topic:
    name: str
    msgtype: str
    publishers: list[LocalPublisher] = field(default_factory=list)
    subscriptions: list[LocalSubscription] = field(default_factory=list)


class LocalNode:
    """One node's handle on the local runtime: implements the `Runtime` protocol."""

    def __init__(self, runtime: LocalRuntime, name: str, parameters: dict[str, Any]) -> None:
        self.name = name
        self.runtime = runtime
        self.clock = runtime.clock
        self.types = runtime.types
        self.params = LocalParameters(name, parameters)
        self.log = StructuredLogger(f"robot.{name}")

    def publisher(self, topic: str, msg_type: Any, qos: QoS = DEFAULT) -> LocalPublisher:
        publisher = LocalPublisher(self, topic, _msgtype_of(self.types, msg_type), qos)
        self.runtime._add_publisher(publisher)
        return publisher

    def subscribe(
        self, topic: str, msg_type: Any, callback: MessageCallback, qos: QoS = DEFAULT
    ) -> LocalSubscription:
        subscription = LocalSubscription(
            self, topic, _msgtype_of(self.types, msg_type), callback, qos
        )
        self.runtime._add_subscription(subscription)
        return subscription

    def timer(self, period_s: float, callback: Callable[[], None]) -> LocalTimer:
        if not period_s > 0:
            raise ValueError(f"timer period must be positive, got {period_s}")
        timer = _LocalTimer(self, period_s, callback, order=next(self.runtime._sequence))
        self.runtime._schedule_timer(timer)
        return LocalTimer(timer)

    def service(self, name: str, srv_type: Any, handler: ServiceHandler) -> _LocalService:
        service = _LocalService(self, name, _srvtype_of(self.types, srv_type), handler)
        self.runtime._add_service(service)
        return service

    def client(self, name: str, srv_type: Any) -> LocalClient:
        return LocalClient(self, name, _srvtype_of(self.types, srv_type))


class LocalParameters:
    def __init__(self, node_name: str, values: dict[str, Any]) -> None:
        self._node_name = node_name
        self._configured = values
        self._declared: dict[str, Any] = {}

    def declare(self, name: str, default: Any) -> Any:
        value = self._configured.get(name, default)
        if isinstance(value, str) and isinstance(default, (dict, list)) and default is not value:
            # ROS 2 parameters cannot hold mappings or lists of mappings, so a parameter
            # file may give them as a JSON string; accept that here too (one file, two runtimes).
            value = _json_parameter(self._node_name, name, value)
        self._declared[name] = value
        return value

    def get(self, name: str) -> Any:
        if name not in self._declared:
            raise KeyError(f"node {self._node_name} has not declared parameter {name!r}")
        return self._declared[name]

    def undeclared(self) -> list[str]:
        """Configured names no code declared (usually a typo in the parameter file)."""
        return sorted(set(self._configured) - set(self._declared))


def _json_parameter(node_name: str, name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ConfigError(
            f"node {node_name}: parameter {name} is not valid JSON: {error}"
        ) from None


class LocalPublisher:
    def __init__(self, node: LocalNode, topic: str, msgtype: str, qos: QoS) -> None:
        self.node, self.topic, self.msgtype, self.qos = node, topic, msgtype, qos
        self.history: deque[Any] = deque(maxlen=qos.depth)

    def publish(self, message: Any) -> None:
        self.node.runtime._publish(self, message)


class LocalSubscription:
    def __init__(
        self, node: LocalNode, topic: str, msgtype: str, callback: MessageCallback, qos: QoS
    ) -> None:
        self.node, self.topic, self.msgtype, self.qos = node, topic, msgtype, qos
        self.callback = callback
        self.queue: deque[Any] = deque(maxlen=qos.depth)
        self._warned: set[int] = set()

    def accepts(self, publisher: LocalPublisher) -> bool:
        reason = incompatibility(publisher.qos, self.qos)
        if reason and id(publisher) not in self._warned:
            self._warned.add(id(publisher))
            self.node.log.warning(
                "incompatible QoS, no messages will be delivered",
                topic=self.topic,
                publisher=publisher.node.name,
                reason=reason,
            )
        return reason is None

    def take_one(self) -> None:
        # A delivery whose message was dropped from a full queue finds it empty.
        if self.queue:
            self.callback(self.queue.popleft())


class _LocalTimer:
    def __init__(
        self, node: LocalNode, period_s: float, callback: Callable[[], None], order: int
    ) -> None:
        self.node, self.period_s, self.callback = node, period_s, callback
        # Timers due at the same moment fire in creation order, as in an rclpy executor.
        self.order = order
        self.next_due = node.clock.monotonic() + period_s
        self.cancelled = False
        self.label = f"timer:{period_s:g}s"

    def fire(self) -> None:
        if self.cancelled:
            return
        now = self.node.clock.monotonic()
        self.next_due += self.period_s
        if self.next_due <= now:
            # Behind by whole periods (a long callback): skip them, keep the phase (as rcl does).
            missed = int((now - self.next_due) // self.period_s) + 1
            self.next_due += missed * self.period_s
        self.node.runtime._schedule_timer(self)
        self.callback()


class LocalTimer:
    def __init__(self, timer: _LocalTimer) -> None:
        self._timer = timer

    def cancel(self) -> None:
        self._timer.cancelled = True

    @property
    def period_s(self) -> float:
        return self._timer.period_s


class _LocalService:
    def __init__(
        self, node: LocalNode, name: str, srv_type: ServiceType, handler: ServiceHandler
    ) -> None:
        self.node, self.name, self.srv_type, self.handler = node, name, srv_type, handler


class LocalClient:
    def __init__(self, node: LocalNode, name: str, srv_type: ServiceType) -> None:
        self.node, self.name, self.srv_type = node, name, srv_type

    def service_is_ready(self) -> bool:
        return self.name in self.node.runtime._services

    def call_async(self, request: Any) -> LocalFuture:
        return self.node.runtime._call(self, request)


def _msgtype_of(types: MessageTypes, msg_type: Any) -> str:
    if isinstance(msg_type, str):
        return types.resolve(msg_type)
    name = getattr(msg_type, "__msgtype__", None)
    if not isinstance(name, str):
        raise InterfaceError(f"{msg_type!r} is not a message type")
    return types.resolve(name)


def _srvtype_of(types: MessageTypes, srv_type: Any) -> ServiceType:
    if isinstance(srv_type, ServiceType):
        return srv_type
    if isinstance(srv_type, str):
        return types.service(srv_type)
    raise InterfaceError(f"{srv_type!r} is not a service type")
