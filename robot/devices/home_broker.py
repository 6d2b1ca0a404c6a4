"""The home's MQTT broker when the home has none: amqtt in a thread, on loopback.

Zigbee2MQTT (on the robot itself, with the USB Zigbee stick) and Home Assistant connect
here when `robot.home_broker_url` is unset. Anonymous clients are let in only while it
listens on loopback addresses (only programs on the robot reach it); on any other
address it needs a login (`login=(user, password)`), which every client must give.
Every client may use every topic.

The broker is the shared `homecare.mqtt_broker` (amqtt 0.12 with its bugs corrected, as
for the fleet's embedded broker): a client connecting gets only the retained messages of
its own subscriptions, and one that vanishes without closing its connection has its will
published after 1.5 keep-alive intervals. amqtt stays a laptop-grade broker (see the
research notes: MQTT 3.1.1, ~2k msg/s, state in memory only, retained messages lost on
restart); a home that needs more runs mosquitto and sets `robot.home_broker_url`.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any

from amqtt.plugins.base import BaseAuthPlugin  # type: ignore[import-untyped]
from amqtt.session import Session  # type: ignore[import-untyped]

from homecare.errors import HomecareError
from homecare.mqtt_broker import ThreadedBroker, broker_url, is_loopback_address

log = logging.getLogger("robot.devices.home_broker")


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


class HomeBroker(ThreadedBroker):
    """`start()` returns once it accepts connections; `stop()` is safe to call twice."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 1884, login: tuple[str, str] | None = None
    ) -> None:
        if login is None and not _is_loopback(host):
            raise HomecareError(
                f"the home broker lets clients in without a login only on loopback addresses "
                f"(127.0.0.1, ::1), not {host!r}: give it a login, or run mosquitto and set "
                "robot.home_broker_url"
            )
        if login is not None and not all(login):
            raise HomecareError("the home broker's login needs a user name and a password")
        super().__init__(
            name="the home MQTT broker",
            host=host,
            port=port,
            plugins=_login_plugins(login),
            bind_error=_bind_error,
            logger=log,
        )
        self.login = login

    @property
    def url(self) -> str:
        """With the login, so a client given only this URL can connect."""
        return broker_url(self.host, self.port, self.login)


def _login_plugins(login: tuple[str, str] | None) -> dict[str, Any]:
    """amqtt's plugin configuration: anyone (loopback only, checked above), or the one login."""
    if login is None:
        return {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}
    username, password = login
    return {f"{__name__}.HomeLoginPlugin": {"username": username, "password": password}}


def _is_loopback(host: str) -> bool:
    return is_loopback_address(host) or host == "localhost"


def _bind_error(host: str, port: int, error: OSError) -> HomecareError:
    return HomecareError(
        f"the home MQTT broker cannot listen on {host}:{port}: {error.strerror or error} "
        "(another broker on that port? set robot.home_broker_port, or robot.home_broker_url "
        "to use it)"
    )
