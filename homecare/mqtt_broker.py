"""An embedded MQTT broker: amqtt 0.12 in its own thread, on loopback, with amqtt's bugs corrected.

Shared by the fleet's embedded broker (`fleet.broker`) and the robot's home broker
(`robot.devices.home_broker`); each passes its logins (amqtt authentication plugins,
named in `plugins`) and its topic rules (a `CorrectedBroker` subclass overriding
`topic_allowed`). `ThreadedBroker` runs it: `start()` returns once it accepts
connections (port 0: any free port, `port` is then the real one), `stop()` is bounded
in time and safe to call twice. Both raise `HomecareError` with a clear message.

amqtt is a laptop-grade broker (see the research notes: ~50x mosquitto's cost per
message, MQTT 3.1.1 only, no TLS, state in memory only), so it listens on loopback
addresses only unless its user decides otherwise.

amqtt 0.12.1 needed these corrections, made in `CorrectedBroker` / `_KeepAliveHandler`
below (each override is small and tested against amqtt and mosquitto in
tests/integration/test_broker_behaviour.py):

- it deleted, merged or took over the stored session of a CONNECT's client id
  *before* authenticating, so a client with a wrong password could wipe another
  client's persistent session (the fleet service's, and the alerts queued in it):
  we authenticate first;
- on every connection it sent the retained messages of *every* subscription in
  the broker (other clients' included, bypassing the topic ACL), so a robot would
  have received other robots' retained configuration: we send only the retained
  messages matching the connecting client's own subscriptions, without waiting
  for them inside amqtt's loop over its subscriptions;
- it iterates its subscriptions while awaiting topic plugins, so a subscription
  made meanwhile raised "dictionary changed size during iteration" and lost the
  message being delivered (~20 % lost under subscription churn): topic checks
  are made synchronously (`topic_allowed`), never through a plugin;
- it ignored an expired keep-alive, so a client that vanished without closing its
  connection (power, Wi-Fi) never had its will published: we close the connection
  after 1.5 keep-alive intervals of silence, as MQTT 3.1.1 requires;
- messages queued for an offline persistent session were delivered with the
  retain flag set: we deliver them as ordinary messages.

And its shutdown waits forever on a client that stopped reading: `CorrectedBroker.close`
cuts the connections after a grace period.

Limits that remain (know them):

- all state is in memory: sessions, queued messages and retained messages are
  lost when the broker stops;
- a QoS 1 message the broker is delivering when the subscriber disconnects (no
  PUBACK within 5 s) is dropped, not redelivered in the next session: at most
  once in that window;
- a disconnected persistent session's queue has no limit (mosquitto's
  `max_queued_messages`), so memory is the bound;
- MQTT 3.1.1 only (no MQTT 5), no `$share` shared subscriptions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import logging
import math
import socket
import threading
from collections.abc import Callable
from typing import Any

from amqtt.adapters import ReaderAdapter, WriterAdapter  # type: ignore[import-untyped]
from amqtt.broker import Broker  # type: ignore[import-untyped]
from amqtt.contexts import Action  # type: ignore[import-untyped]
from amqtt.errors import AMQTTError, MQTTError, NoDataError  # type: ignore[import-untyped]
from amqtt.mqtt.connack import NOT_AUTHORIZED, ConnackPacket  # type: ignore[import-untyped]
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler  # type: ignore[import-untyped]
from amqtt.session import Session  # type: ignore[import-untyped]
from amqtt.utils import gen_client_id  # type: ignore[import-untyped]

from homecare.errors import HomecareError

log = logging.getLogger("homecare.mqtt_broker")

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0

BindError = Callable[[str, int, OSError], HomecareError]
"""Builds the error for a port it cannot listen on: (host, port, the OSError)."""


class _KeepAliveHandler(BrokerProtocolHandler):  # type: ignore[misc]  # amqtt ships no type information
    """amqtt 0.12's handler only logs an expired keep-alive; we end the connection."""

    _expiry: asyncio.Future[None] | None = None

    def handle_read_timeout(self) -> None:
        # An unclean end: the broker publishes the client's will, as for a dropped socket.
        self._expiry = asyncio.ensure_future(self.handle_connection_closed())


class CorrectedBroker(Broker):  # type: ignore[misc]  # amqtt ships no type information
    """amqtt's Broker with the corrections listed in the module docstring.

    Every client may use every topic; a subclass with topic rules overrides `topic_allowed`.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._transports: set[asyncio.BaseTransport] = set()

    def topic_allowed(self, username: str | None, topic: str, action: Action) -> bool:
        """The topic ACL; called on the broker's loop, so it must not block or suspend."""
        return True

    def bound_port(self) -> int:
        server = self._servers["default"].instance
        return int(server.sockets[0].getsockname()[1])

    async def close(self, grace_s: float) -> None:
        """amqtt's shutdown, bounded: a client that stopped reading would block it forever."""
        for server in self._servers.values():
            server.instance.close()  # no new clients, and the port is free at once
        shutdown = asyncio.ensure_future(self.shutdown())
        done, _ = await asyncio.wait({shutdown}, timeout=grace_s)
        if not done:
            log.warning("embedded MQTT broker: a client does not read; cutting connections")
            self._abort_connections()
            done, _ = await asyncio.wait({shutdown}, timeout=grace_s)
            if not done:
                shutdown.cancel()
        self._abort_connections()

    async def stream_connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
    ) -> None:
        # Keep each connection's transport, so a stop can cut what amqtt cannot close.
        self._transports.add(writer.transport)
        try:
            await super().stream_connected(reader, writer, listener_name)
        finally:
            self._transports.discard(writer.transport)

    def _abort_connections(self) -> None:
        for transport in list(self._transports):
            transport.abort()  # type: ignore[attr-defined]  # a socket transport

    async def _topic_filtering(self, session: Session, topic: str, action: Action) -> bool:
        # Synchronous on purpose: amqtt must not yield inside its loops over subscriptions.
        return self.topic_allowed(session.username, topic, action)

    async def _initialize_client_session(
        self, reader: ReaderAdapter, writer: WriterAdapter, remote_address: str, remote_port: int
    ) -> tuple[BrokerProtocolHandler, Session]:
        try:
            handler, incoming = await _KeepAliveHandler.init_from_connect(
                reader, writer, self.plugins_manager
            )
        except MQTTError:
            await writer.close()
            raise
        except NoDataError as error:
            raise AMQTTError(error) from error
        # Authenticate before any stored session is touched (amqtt does it afterwards).
        if not await self._authenticate(incoming, self.listeners_config["default"]):
            await ConnackPacket.build(0, NOT_AUTHORIZED).to_stream(writer)
            await writer.close()
            raise AMQTTError(f"client {incoming.client_id!r} not authorized")
        session = await self._adopt_session(incoming)
        if session.keep_alive > 0:
            session.keep_alive = math.ceil(session.keep_alive * 1.5)  # MQTT 3.1.1 §3.1.2.10
        return handler, session

    async def _adopt_session(self, incoming: Session) -> Session:
        """amqtt's own rules for clean and resumed sessions (0.12.1), minus the bug."""
        if incoming.clean_session:
            if incoming.client_id:
                await self._delete_session(incoming.client_id)
            else:
                incoming.client_id = gen_client_id()
            incoming.parent = 0
            return incoming
        if incoming.client_id not in self._sessions:
            incoming.parent = 0
            return incoming
        existing, _ = self._sessions[incoming.client_id]
        # The new CONNECT brings its will, keep-alive and credentials (amqtt forgot will_retain).
        for name in ("will_flag", "will_message", "will_topic", "will_qos", "will_retain",
                     "keep_alive", "username", "password"):  # fmt: skip
            setattr(existing, name, getattr(incoming, name))
        existing.parent = 1
        return existing

    async def _publish_retained_messages_for_subscription(
        self, subscription: tuple[str, int], session: Session
    ) -> None:
        # amqtt calls this on connect for every filter anyone subscribed: keep the session's own.
        # It must not suspend: amqtt calls it inside a loop over its subscriptions dict.
        topic_filter, _ = subscription
        qos = next((qos for sub, qos in self._subscriptions.get(topic_filter, ())
                    if sub.client_id == session.client_id), None)  # fmt: skip
        handler = self._get_handler(session)
        if qos is None or handler is None:
            return
        for topic, retained in list(self._retained_messages.items()):
            if self._matches(topic, topic_filter):
                publish = handler.mqtt_publish(
                    topic, retained.data, min(qos, retained.qos or qos), retain=True
                )
                # The broadcast loop reaps (and logs) finished tasks of this queue.
                self._tasks_queue.append(asyncio.ensure_future(publish))

    async def _publish_session_retained_messages(self, session: Session) -> None:
        # Messages queued while the session was offline are ordinary messages (retain=0).
        handler = self._get_handler(session)
        if handler is None:
            return
        tasks = []
        while not session.retained_messages.empty():
            queued = session.retained_messages.get_nowait()
            tasks.append(
                asyncio.ensure_future(
                    handler.mqtt_publish(queued.topic, queued.data, queued.qos, retain=False)
                )
            )
        if tasks:
            await asyncio.wait(tasks)


class ThreadedBroker:
    """A `CorrectedBroker` on its own asyncio loop in a daemon thread (`fleet.broker` and
    `robot.devices.home_broker` subclass it with their logins and messages).

    `name` begins the error messages ("the home MQTT broker"); `plugins` is amqtt's
    plugin configuration (the login check: amqtt 0.12 loads plugins by class path);
    `make_broker` builds the broker from amqtt's configuration (a subclass for topic
    rules); `bind_error` words the error for a port it cannot listen on.
    """

    def __init__(
        self,
        *,
        name: str,
        host: str,
        port: int,
        plugins: dict[str, Any],
        make_broker: Callable[[dict[str, Any]], CorrectedBroker] = CorrectedBroker,
        bind_error: BindError | None = None,
        logger: logging.Logger = log,
    ) -> None:
        if not 0 <= port <= 65535:
            raise HomecareError(f"{name} port {port} is not 0-65535")
        self.name, self.host = name, host
        self._requested_port = self._port = port
        self._plugins = plugins
        self._make_broker = make_broker
        self._bind_error = bind_error or self._default_bind_error
        self._log = logger
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: CorrectedBroker | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the real one once started, when 0 was asked)."""
        return self._port

    @property
    def url(self) -> str:
        """How clients reach it (the real port once started)."""
        return broker_url(self.host, self.port)

    def start(self) -> None:
        """Listen; returns once it accepts connections (nothing happens if it runs)."""
        if self._thread is not None:
            return
        if self._requested_port:
            self._check_port_free()
        quiet_amqtt_logs(self._log)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=_run_loop, args=(loop,), name="mqtt-broker", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        future = asyncio.run_coroutine_threadsafe(self._start_broker(), loop)
        try:
            self._broker = future.result(timeout=START_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            self.stop()
            raise HomecareError(
                f"{self.name} did not start within {START_TIMEOUT_S:.0f} s"
            ) from None
        except Exception as error:  # amqtt raises BrokerError, OSError, plugin errors
            self.stop()
            raise self._start_error(error) from None
        self._port = self._broker.bound_port()
        self._log.info("%s started host=%s port=%d", self.name, self.host, self._port)

    def stop(self) -> None:
        """Disconnect every client and stop; safe to call twice, done within seconds."""
        loop, thread, broker = self._loop, self._thread, self._broker
        self._loop = self._thread = self._broker = None
        if loop is None or thread is None:
            return
        if broker is not None:
            self._shutdown(broker, loop)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=STOP_TIMEOUT_S)
        if thread.is_alive():
            self._log.warning("%s: its thread did not end in %.0f s", self.name, STOP_TIMEOUT_S)
        self._port = self._requested_port

    async def _start_broker(self) -> CorrectedBroker:
        broker = self._make_broker(
            {
                "listeners": {
                    "default": {"type": "tcp", "bind": f"{self.host}:{self._requested_port}"}
                },
                # Only the plugins given: no $SYS topics, no packet logging.
                "plugins": self._plugins,
            }
        )
        await broker.start()
        return broker

    def _shutdown(self, broker: CorrectedBroker, loop: asyncio.AbstractEventLoop) -> None:
        grace_s = STOP_TIMEOUT_S / 3
        future = asyncio.run_coroutine_threadsafe(broker.close(grace_s), loop)
        try:
            future.result(timeout=STOP_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self._log.warning("%s: shutdown timed out; closing its loop", self.name)
        except Exception as error:
            self._log.warning("%s: shutdown failed reason=%r", self.name, error)

    def _check_port_free(self) -> None:
        """A clear error before amqtt logs a traceback for a port that is taken."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # As amqtt binds (SO_REUSEADDR): a port in TIME_WAIT is free, a listening one is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host, self._requested_port))
            except OSError as error:
                raise self._bind_error(self.host, self._requested_port, error) from None

    def _start_error(self, error: BaseException) -> HomecareError:
        cause: BaseException | None = error
        while cause is not None:
            if isinstance(cause, OSError):
                return self._bind_error(self.host, self._requested_port, cause)
            cause = cause.__cause__ or cause.__context__
        return HomecareError(f"{self.name} did not start: {error}")

    def _default_bind_error(self, host: str, port: int, error: OSError) -> HomecareError:
        reason = error.strerror or str(error)
        return HomecareError(f"{self.name} cannot listen on {host}:{port}: {reason}")


def broker_url(host: str, port: int, login: tuple[str, str] | None = None) -> str:
    """`mqtt://[user:password@]host:port`, with an IPv6 address in brackets."""
    host = f"[{host}]" if ":" in host else host
    credentials = f"{login[0]}:{login[1]}@" if login else ""
    return f"mqtt://{credentials}{host}:{port}"


def is_loopback_address(host: str) -> bool:
    """An IP address of this machine's loopback (a name such as `localhost` is not)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def quiet_amqtt_logs(logger: logging.Logger = log) -> None:
    """amqtt logs every connection and packet; keep it to warnings unless `logger` debugs."""
    amqtt_broker = logging.getLogger("amqtt.broker")
    if not any(isinstance(f, _ShutdownNoise) for f in amqtt_broker.filters):
        amqtt_broker.addFilter(_ShutdownNoise())
    if logger.isEnabledFor(logging.DEBUG):
        return
    for name in ("amqtt", "transitions"):
        logging.getLogger(name).setLevel(logging.WARNING)


class _ShutdownNoise(logging.Filter):
    """amqtt logs a traceback at ERROR for each delivery it cancels while stopping, and a
    warning for messages still queued then (the broker is going away with its host)."""

    _EXPECTED = ("Task failed during broadcast shutdown", "Broadcast loop stopped by exception")

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        return not (message.startswith(self._EXPECTED) or message.endswith("not broadcasted"))


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=1.0))
    finally:
        loop.close()
