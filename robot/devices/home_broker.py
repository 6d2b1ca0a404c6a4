"""The home's MQTT broker when the home has none: amqtt in a thread, on loopback.

Zigbee2MQTT (on the robot itself, with the USB Zigbee stick) and Home Assistant connect
here when `robot.home_broker_url` is unset. Anonymous clients are let in only while it
listens on loopback addresses (only programs on the robot reach it); on any other
address it needs a login (`login=(user, password)`), which every client must give.

amqtt is a laptop-grade broker (see the research notes: MQTT 3.1.1, ~2k msg/s, state in
memory only, retained messages lost on restart). The corrections the fleet's broker makes
to amqtt 0.12 (fleet/broker.py) are not repeated here; what that means for the home:
a client connecting may also get other filters' retained messages (the device link
ignores topics outside its base topic), and a client that vanishes without closing its
connection only has its will published when its socket closes. A home that needs more
runs mosquitto and sets `robot.home_broker_url`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass
from typing import Any

from amqtt.broker import Broker  # type: ignore[import-untyped]
from amqtt.plugins.base import BaseAuthPlugin  # type: ignore[import-untyped]
from amqtt.session import Session  # type: ignore[import-untyped]

from homecare.errors import HomecareError

log = logging.getLogger("robot.devices.home_broker")

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


class HomeLoginPlugin(BaseAuthPlugin):  # type: ignore[misc]  # amqtt ships no type information
    """amqtt authentication: the one login of the home broker."""

    @dataclass
    class Config:
        username: str = ""
        password: str = ""

    async def authenticate(self, *, session: Session) -> bool | None:
        config = self.config
        username, password = session.username or "", session.password or ""
        ok = hmac.compare_digest(username.encode(), config.username.encode()) and (
            hmac.compare_digest(password.encode(), config.password.encode())
        )
        if not ok:
            log.info("home broker refused a client client_id=%s", (session.client_id or "")[:64])
        return ok


class HomeBroker:
    """`start()` returns once it accepts connections; `stop()` is safe to call twice."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 1884, login: tuple[str, str] | None = None
    ) -> None:
        if not 0 <= port <= 65535:
            raise HomecareError(f"home broker port {port} is not 0-65535")
        if login is None and not _is_loopback(host):
            raise HomecareError(
                f"the home broker lets clients in without a login only on loopback addresses "
                f"(127.0.0.1, ::1), not {host!r}: give it a login, or run mosquitto and set "
                "robot.home_broker_url"
            )
        if login is not None and not all(login):
            raise HomecareError("the home broker's login needs a user name and a password")
        self.host, self.login = host, login
        self._requested_port = self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Any = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        credentials = f"{self.login[0]}:{self.login[1]}@" if self.login else ""
        return f"mqtt://{credentials}{host}:{self.port}"

    def start(self) -> None:
        if self._thread is not None:
            return
        if self._requested_port:
            self._check_port_free()
        for name in ("amqtt", "transitions"):
            if not log.isEnabledFor(logging.DEBUG):
                logging.getLogger(name).setLevel(logging.WARNING)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=_run_loop, args=(loop,), name="home-broker", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        future = asyncio.run_coroutine_threadsafe(self._start_broker(), loop)
        try:
            self._broker = future.result(timeout=START_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            self.stop()
            raise HomecareError(
                f"the home MQTT broker did not start within {START_TIMEOUT_S:.0f} s"
            ) from None
        except Exception as error:  # amqtt raises BrokerError, OSError, plugin errors
            self.stop()
            raise HomecareError(
                f"the home MQTT broker cannot listen on {self.host}:{self._requested_port}: "
                f"{_reason(error)} (another broker on that port? set robot.home_broker_port, "
                "or robot.home_broker_url to use it)"
            ) from None
        server = self._broker._servers["default"].instance
        self._port = int(server.sockets[0].getsockname()[1])
        log.info("home MQTT broker started host=%s port=%d", self.host, self._port)

    def stop(self) -> None:
        loop, thread, broker = self._loop, self._thread, self._broker
        self._loop = self._thread = self._broker = None
        if loop is None or thread is None:
            return
        if broker is not None:
            future = asyncio.run_coroutine_threadsafe(broker.shutdown(), loop)
            try:
                future.result(timeout=STOP_TIMEOUT_S)
            except Exception as error:  # a stuck client or amqtt's own shutdown errors
                future.cancel()
                log.warning("home MQTT broker shutdown incomplete reason=%r", error)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=STOP_TIMEOUT_S)
        self._port = self._requested_port

    def _check_port_free(self) -> None:
        """A clear error before amqtt logs a traceback for a port that is taken."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # As amqtt binds (SO_REUSEADDR): a port in TIME_WAIT is free, a listening one not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host, self._requested_port))
            except OSError as error:
                raise HomecareError(
                    f"the home MQTT broker cannot listen on {self.host}:{self._requested_port}: "
                    f"{error.strerror or error} (another broker on that port? set "
                    "robot.home_broker_port, or robot.home_broker_url to use it)"
                ) from None

    async def _start_broker(self) -> Any:
        plugins: dict[str, Any]
        if self.login is None:
            plugins = {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            }
        else:
            plugins = {
                f"{__name__}.HomeLoginPlugin": {
                    "username": self.login[0], "password": self.login[1],
                }
            }  # fmt: skip
        broker = Broker(
            {
                "listeners": {
                    "default": {"type": "tcp", "bind": f"{self.host}:{self._requested_port}"}
                },
                "plugins": plugins,
            }
        )
        await broker.start()
        return broker


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _reason(error: BaseException) -> str:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError):
            return cause.strerror or str(cause)
        cause = cause.__cause__ or cause.__context__
    return str(error)


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
