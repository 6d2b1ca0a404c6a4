"""The running fleet service: database, MQTT broker (embedded or external), ingest, web app.

`homecare fleet serve` runs it in the foreground; the demo runs it in the background.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
from dataclasses import dataclass
from functools import partial

import sqlite_utils
import uvicorn

from fleet.app import create_app
from fleet.broker import EmbeddedBroker
from fleet.calls import CallHub
from fleet.config_sync import ConfigPublisher
from fleet.context import FleetContext
from fleet.escalation_runner import escalation_task
from fleet.mqtt_ingest import FleetIngest
from fleet.periodic import PeriodicTask, call_timeouts_task, telemetry_retention_task
from fleet.store import connect_database, open_database
from fleet.store.accounts import signing_key
from fleet.wipes import send_pending_wipes
from homecare.clock import Clock
from homecare.errors import ConfigError, HomecareError
from homecare.settings import FleetSettings
from robot.fleet_link.mqtt import parse_broker_url

log = logging.getLogger("fleet.service")

SERVICE_MQTT_USERNAME = "homecare-fleet"
SUBSCRIBE_TIMEOUT_S = 10.0
WIPE_RESEND_PERIOD_S = 60.0
# Configuration (reminders, benefits) changed without a broker, or robots handed over
# elsewhere, goes out this soon; a run with nothing to send is a few small queries.
CONFIG_SYNC_PERIOD_S = 5.0


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None
    embedded: bool


class FleetService:
    def __init__(self, settings: FleetSettings, clock: Clock) -> None:
        self.settings, self.clock = settings, clock
        self.context: FleetContext | None = None
        self.broker_address: BrokerAddress | None = None
        self._broker: EmbeddedBroker | None = None
        self._ingest: FleetIngest | None = None
        self._retention: PeriodicTask | None = None
        self._wipes: PeriodicTask | None = None
        self._escalation: PeriodicTask | None = None
        self._config: PeriodicTask | None = None
        self._call_timeouts: PeriodicTask | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # life cycle

    def start(self) -> None:
        """Open the database, start the broker (if embedded) and the MQTT ingest."""
        if not self.settings.db_path.exists():
            raise ConfigError(
                f"no fleet database at {self.settings.db_path}: "
                "create it with `homecare fleet init --db PATH --admin-email ... "
                "--admin-password ...`"
            )
        db = open_database(self.settings.db_path, self.clock)
        key = signing_key(db, self.clock.now().timestamp())
        db.conn.close()
        self.context = FleetContext(
            db_path=self.settings.db_path, clock=self.clock, settings=self.settings,
            signing_key=key,
        )  # fmt: skip
        self.broker_address = self._start_broker()
        self._start_ingest(self.broker_address)
        assert self._ingest is not None
        if not self._ingest.subscribed.wait(SUBSCRIBE_TIMEOUT_S):
            # Not fatal: the ingest keeps reconnecting, and the broker keeps robots' alerts.
            log.warning(
                "MQTT broker %s:%s not reachable yet; retrying in the background",
                self.broker_address.host, self.broker_address.port,
            )  # fmt: skip

    def serve(self) -> None:
        """Serve HTTP in this thread until interrupted (Ctrl-C), then stop everything."""
        server = self._make_server()
        try:
            server.run()
        finally:
            self.stop()
        if not server.started:
            raise HomecareError(
                f"the web service could not listen on {self.settings.host}:{self.settings.port}"
                " (is the port in use?)"
            )

    def serve_in_background(self, ready_timeout_s: float = 20.0) -> None:
        server = self._make_server()
        self._thread = threading.Thread(target=server.run, name="fleet-http", daemon=True)
        self._thread.start()
        ready = threading.Event()
        while not ready.wait(0.05):
            if server.started:
                break
            if not self._thread.is_alive() or ready_timeout_s <= 0:
                raise HomecareError(
                    f"the web service did not start on {self.settings.host}:"
                    f"{self.settings.port} (is the port in use?)"
                )
            ready_timeout_s -= 0.05

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        for task in (self._retention, self._wipes, self._escalation, self._config,
                     self._call_timeouts):  # fmt: skip
            if task is not None:
                task.stop()
        self._retention = self._wipes = self._escalation = self._config = None
        self._call_timeouts = None
        if self._ingest is not None:
            self._ingest.stop()
            self._ingest = None
        broker, self._broker = self._broker, None
        if broker is not None:
            broker.stop()

    @property
    def url(self) -> str:
        host = self.settings.host
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
        return f"http://{shown}:{self.settings.port}"

    # parts

    def _start_broker(self) -> BrokerAddress:
        if self.settings.mqtt_url:
            url = parse_broker_url(self.settings.mqtt_url)
            if url.tls:
                raise ConfigError("the fleet's MQTT link does not support mqtts:// yet")
            return BrokerAddress(url.host, url.port, url.username, url.password, embedded=False)
        password = secrets.token_urlsafe(24)  # the broker lives in this process: no need to keep
        broker = EmbeddedBroker(
            self.settings.db_path,
            port=self.settings.embedded_mqtt_port,
            service_username=SERVICE_MQTT_USERNAME,
            service_password=password,
        )
        broker.start()
        self._broker = broker
        log.info("embedded MQTT broker listening url=%s", broker.url)
        return BrokerAddress(
            "127.0.0.1", broker.port, SERVICE_MQTT_USERNAME, password, embedded=True
        )

    def _start_ingest(self, broker: BrokerAddress) -> None:
        context = self.context
        assert context is not None
        ingest = FleetIngest(
            connect_database(self.settings.db_path),
            self.clock,
            broker.host,
            broker.port,
            # Stable across restarts: the broker keeps this session's queued alerts for
            # exactly this client id. Several workers each need their own (worker_id).
            client_id=f"{SERVICE_MQTT_USERNAME}-{self.settings.worker_id}",
            username=broker.username,
            password=broker.password,
            share_group=self.settings.share_group,
            counters=context.ingest_counters,
        )
        context.publish = ingest.publish
        context.mqtt_connected = ingest.is_connected
        # Robots' call signals arrive through the ingest; browsers join through the app.
        calls = CallHub(self.settings.telepresence, ingest.publish, ingest.is_connected,
                        counters=context.ingest_counters)  # fmt: skip
        ingest.calls = calls
        context.calls = calls
        ingest.start()
        self._ingest = ingest
        self._retention = telemetry_retention_task(
            connect_database(self.settings.db_path),
            self.clock,
            self.settings,
            counters=context.ingest_counters,
        )
        self._retention.start()
        self._wipes = PeriodicTask(
            "pending_wipes", self.clock, WIPE_RESEND_PERIOD_S,
            partial(self._send_pending_wipes, connect_database(self.settings.db_path)),
            counters=context.ingest_counters,
        )  # fmt: skip
        self._wipes.start()
        publisher = ConfigPublisher(
            ingest.publish, ingest.is_connected, connect_database(self.settings.db_path),
            context.now,
        )  # fmt: skip
        self._config = PeriodicTask(
            "config_sync", self.clock, CONFIG_SYNC_PERIOD_S, publisher.run,
            poll_s=1.0, counters=context.ingest_counters,
        )  # fmt: skip
        self._config.start()
        # Escalation needs no broker: incidents already stored still page people.
        self._escalation = escalation_task(
            connect_database(self.settings.db_path), self.clock, self.settings,
            counters=context.ingest_counters,
        )  # fmt: skip
        self._escalation.start()
        self._call_timeouts = call_timeouts_task(
            connect_database(self.settings.db_path), self.clock, calls.sweep,
            counters=context.ingest_counters,
        )  # fmt: skip
        self._call_timeouts.start()

    def _send_pending_wipes(self, db: sqlite_utils.Database) -> None:
        """Wipes requested while no broker was attached go out once it is."""
        ingest = self._ingest
        if ingest is not None and ingest.is_connected():
            send_pending_wipes(ingest.publish, db, self.clock.now().timestamp())

    def _make_server(self) -> uvicorn.Server:
        assert self.context is not None, "start() first"
        _check_port_free(self.settings.host, self.settings.port)
        config = uvicorn.Config(
            create_app(self.context),
            host=self.settings.host,
            port=self.settings.port,
            log_level="warning",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        return self._server


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise HomecareError(
                f"cannot listen on {host}:{port}: {error.strerror} (is another service there?)"
            ) from None
