"""The fleet's MQTT consumer: presence, telemetry and alerts into the store; acks after commit.

Writes happen on paho's network thread (measured faster than handing rows to
another thread, see the research notes), telemetry in batches. The alert
subscription uses a persistent session, so alerts sent while the service was
down arrive when it returns. Bad payloads are counted and logged, never fatal.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

import paho.mqtt.client as mqtt
import sqlite_utils
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from fleet import protocol
from fleet.protocol import FleetState, ProtocolError, RobotState, Telemetry
from fleet.store import record_alert, record_state, record_telemetry
from homecare.clock import Clock

log = logging.getLogger("fleet.ingest")


class FleetIngest:
    def __init__(
        self,
        db: sqlite_utils.Database,
        clock: Clock,
        host: str,
        port: int,
        *,
        client_id: str = "homecare-fleet",
        username: str | None = None,
        password: str | None = None,
        batch_size: int = 500,
        batch_delay_s: float = 0.2,
    ) -> None:
        self.db, self.clock = db, clock
        self.host, self.port = host, port
        self.batch_size, self.batch_delay_s = batch_size, batch_delay_s
        self.counters: Counter[str] = Counter()
        self._pending: list[tuple[str, Telemetry]] = []
        self._pending_since = 0.0
        self._lock = threading.Lock()
        # One writer at a time on the shared connection (paho's thread and the flusher).
        self._write_lock = threading.RLock()
        self._stopping = threading.Event()
        self.connected = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        if username:
            client.username_pw_set(username, password)
        offline = protocol.encode(FleetState(state="offline", ts=1.0))
        client.will_set(protocol.FLEET_STATE_TOPIC, offline, qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = lambda *args: self.connected.clear()
        client.on_message = self._on_message
        self._client = client
        self._flusher = threading.Thread(target=self._flush_periodically, daemon=True)

    def start(self) -> None:
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()
        self._flusher.start()

    def stop(self) -> None:
        self._stopping.set()
        self.flush()
        if self.connected.is_set():
            offline = protocol.encode(FleetState(state="offline", ts=self._now()))
            self._client.publish(protocol.FLEET_STATE_TOPIC, offline, qos=1, retain=True)
        self._client.disconnect()
        self._client.loop_stop()

    def flush(self) -> None:
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            record_telemetry(self.db, batch, self._now())

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        """Send to a robot (commands, desired config); paho queues it while disconnected."""
        self._client.publish(topic, payload, qos=qos, retain=retain)

    # paho callbacks (network thread)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode,
                    properties: Any) -> None:  # fmt: skip
        if reason.is_failure:
            log.warning("fleet broker refused the connection reason=%s", reason)
            return
        client.subscribe(protocol.robot_subscription("alert"), qos=1)
        client.subscribe(protocol.robot_subscription("state"), qos=1)
        client.subscribe(protocol.robot_subscription("event"), qos=1)
        client.subscribe(protocol.robot_subscription("telemetry"), qos=0)
        online = protocol.encode(FleetState(state="online", ts=self._now()))
        client.publish(protocol.FLEET_STATE_TOPIC, online, qos=1, retain=True)
        self.connected.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.counters["messages"] += 1
        try:
            with self._write_lock:
                self._handle(message.topic, bytes(message.payload))
        except ProtocolError as error:
            self.counters["bad_payloads"] += 1
            log.warning("bad payload topic=%s reason=%s", message.topic[:200], error)
        except Exception:
            # A store failure must not kill the consumer; QoS 1 alerts are redelivered.
            self.counters["errors"] += 1
            log.exception("failed to handle message topic=%s", message.topic[:200])

    def _handle(self, topic_name: str, payload: bytes) -> None:
        topic = protocol.parse_topic(topic_name)
        if topic.channel == "telemetry":
            self._queue_telemetry(topic.rid, protocol.decode(Telemetry, payload))
        elif topic.channel == "state":
            record_state(self.db, topic.rid, protocol.decode(RobotState, payload), self._now())
        elif topic.channel == "alert":
            alert = protocol.decode_alert(topic, payload)
            incident = record_alert(self.db, topic.rid, alert, self._now())
            self.counters["incidents_created" if incident.created else "alert_duplicates"] += 1
            ack = protocol.AlertAck(
                alert_id=alert.alert_id, incident_id=str(incident.incident_id), ts=self._now()
            )
            # Only now, with the incident committed, may the robot forget the alert.
            self._client.publish(
                protocol.ack_topic(topic.rid, alert.alert_id), protocol.encode(ack), qos=1
            )
        elif topic.channel == "event":
            protocol.decode(protocol.RobotEvent, payload)
            self.counters["events"] += 1

    def _queue_telemetry(self, rid: str, telemetry: Telemetry) -> None:
        with self._lock:
            if not self._pending:
                self._pending_since = self.clock.monotonic()
            self._pending.append((rid, telemetry))
            full = len(self._pending) >= self.batch_size
        if full:
            self.flush()

    def _flush_periodically(self) -> None:
        while not self._stopping.wait(self.batch_delay_s):
            with self._lock:
                due = bool(self._pending)
            if due:
                self.flush()

    def _now(self) -> float:
        return self.clock.now().timestamp()
