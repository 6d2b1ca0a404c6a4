"""The embedded MQTT broker: amqtt on loopback, so a laptop needs nothing else.

`homecare fleet serve` starts it unless `--mqtt` names an external broker. It is
not a production broker (see the research notes: ~50x mosquitto's cost per
message, MQTT 3.1.1 only, no TLS here): it listens on loopback addresses only,
so only robots and simulations on the same machine can reach it. For robots on
the network, run mosquitto with `homecare fleet mqtt-config`.

Logins and topic rules come from `fleet.broker_access` (robots from the fleet
database, confined to `hc/v1/r/{id}/`). The broker runs its own asyncio loop in
a daemon thread.

The broker itself, with its corrections of amqtt 0.12 (authenticate before touching
stored sessions, retained messages only for a client's own subscriptions, synchronous
topic checks, keep-alive expiry, queued messages without the retain flag, a bounded
shutdown), is the shared `homecare.mqtt_broker`; its docstring explains each. This
module adds the fleet's logins and topic rules (`_FleetBroker.topic_allowed`).

What the remaining limits mean for the fleet (see `homecare.mqtt_broker`): all state
is in memory, so sessions, queued and retained messages are lost when the broker stops
(tests: mosquitto_only). It stops only with the fleet service that hosts it; robots
resend unacknowledged alerts from their outbox and publish their state again on
reconnect, but retained desired configuration (`cfg/...`) is gone until the service
publishes it again. A QoS 1 message being delivered when its subscriber disconnects
is dropped (at most once in that window): alerts survive it because robots resend
until acked.

Stricter than the mosquitto configuration: a robot must connect with its robot
id as client id, and a CONNECT whose will topic lies outside the robot's topics
is refused (mosquitto accepts it and drops the will). A client that stops
reading cannot hold up `stop()`: after a grace period its connection is cut.
"""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from amqtt.contexts import Action  # type: ignore[import-untyped]

from fleet.broker_access import may_access
from homecare.errors import HomecareError
from homecare.mqtt_broker import CorrectedBroker, ThreadedBroker, is_loopback_address

log = logging.getLogger("fleet.broker")


class EmbeddedBroker(ThreadedBroker):
    """amqtt in a thread; `start()` returns once it accepts connections, `stop()` is safe
    to call twice and done within seconds; `port` is the real one once started."""

    def __init__(
        self,
        db_path: Path | None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        service_username: str,
        service_password: str,
    ) -> None:
        _require_loopback(host)
        if not service_username or not service_password:
            raise HomecareError("the embedded broker needs the service's MQTT user and password")
        super().__init__(
            name="the embedded MQTT broker",
            host=host,
            port=port,
            # Only our login plugin: no $SYS topics, no packet logging, no anonymous access.
            plugins={
                "fleet.broker_access.FleetAuthPlugin": {
                    "db_path": str(db_path) if db_path else None,
                    "service_username": service_username,
                    "service_password": service_password,
                },
            },
            make_broker=lambda config: _FleetBroker(config, service_username=service_username),
            bind_error=_bind_error,
            logger=log,
        )
        self.db_path = db_path


class _FleetBroker(CorrectedBroker):
    """The corrected amqtt broker with the fleet's topic rules (`fleet.broker_access`)."""

    def __init__(self, config: dict[str, object], *, service_username: str) -> None:
        super().__init__(config)
        self.service_username = service_username

    def topic_allowed(self, username: str | None, topic: str, action: Action) -> bool:
        return may_access(self.service_username, username, topic, action)


def _require_loopback(host: str) -> None:
    if not is_loopback_address(host):
        raise HomecareError(
            f"the embedded MQTT broker listens on loopback addresses only (127.0.0.1, ::1), "
            f"not {host!r}: it is not a production broker. For robots on the network run "
            "mosquitto (homecare fleet mqtt-config) and `homecare fleet serve --mqtt URL`"
        )


def _bind_error(host: str, port: int, error: OSError) -> HomecareError:
    reason = error.strerror or str(error)
    if error.errno == errno.EADDRINUSE:
        return HomecareError(
            f"port {port} is in use: {reason} (another MQTT broker? connect to it with "
            "--mqtt mqtt://user:pass@host:port, or choose another port)"
        )
    return HomecareError(f"the embedded MQTT broker cannot listen on {host}:{port}: {reason}")
