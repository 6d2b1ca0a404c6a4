"""MQTT connection to the fleet broker (paho-mqtt), behind a small interface.

paho's network thread receives; messages wait in a thread-safe inbox that the
node drains on its own executor, so node code never runs on paho's thread.
Subscriptions are remade on every (re)connect; paho reconnects with backoff.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from homecare.errors import ConfigError


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def parse_broker_url(url: str) -> BrokerUrl:
    """`mqtt://user:pass@host:1883` or `mqtts://...` (TLS, default port 8883)."""
    parts = urlsplit(url)
    if parts.scheme not in {"mqtt", "mqtts"} or not parts.hostname:
        raise ConfigError(f"broker URL {url!r}: expected mqtt://[user:pass@]host[:port]")
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    except ValueError:
        raise ConfigError(f"broker URL {url!r}: the port is not a number 1-65535") from None
    return BrokerUrl(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=parts.scheme == "mqtts",
    )


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True)
class Inbound:
    topic: str
    payload: bytes
    retain: bool = False  # a retained message is the broker's memory, not news


class MqttConnection:
    def __init__(self, url: BrokerUrl, client_id: str, will: Will | None = None) -> None:
        self.url = url
        self.inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
        self.connected = threading.Event()
        self._subscriptions: dict[str, int] = {}
        self._on_connect: list[Callable[[], None]] = []
        # A persistent session (clean_session=False) keeps QoS 1 acks queued while we are away.
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        if url.username:
            client.username_pw_set(url.username, url.password)
        if url.tls:
            client.tls_set()
        if will:
            client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_message = self._received
        self._client = client

    def start(self) -> None:
        self._client.connect_async(self.url.host, self.url.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    def add_on_connect(self, callback: Callable[[], None]) -> None:
        """Called on paho's thread after every successful (re)connect."""
        self._on_connect.append(callback)

    def subscribe(self, topic_filter: str, qos: int = 1) -> None:
        self._subscriptions[topic_filter] = qos
        if self.connected.is_set():
            self._client.subscribe(topic_filter, qos)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        """Hand a message to paho; False when it was refused (not connected, queue full)."""
        if not self.connected.is_set():
            return False
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def publish_tracked(
        self, topic: str, payload: bytes, qos: int = 1
    ) -> mqtt.MQTTMessageInfo | None:
        """Hand a message to paho and return what tells when the broker acknowledged it
        (`is_published()`: PUBACK for QoS 1); None when it was refused."""
        if not self.connected.is_set():
            return None
        info = self._client.publish(topic, payload, qos=qos)
        return info if info.rc == mqtt.MQTT_ERR_SUCCESS else None

    def publish_and_wait(self, topic: str, payload: bytes, timeout: float = 5.0) -> bool:
        """Publish QoS 1 retained and wait for the broker's acknowledgement (clean shutdown)."""
        if not self.connected.is_set():
            return False
        info = self._client.publish(topic, payload, qos=1, retain=True)
        info.wait_for_publish(timeout)
        return info.is_published()

    def _connected(self, client: mqtt.Client, userdata: object, flags: object,
                   reason: ReasonCode, properties: object) -> None:  # fmt: skip
        if reason.is_failure:
            return
        for topic_filter, qos in self._subscriptions.items():
            client.subscribe(topic_filter, qos)
        self.connected.set()
        for callback in self._on_connect:
            callback()

    def _disconnected(self, client: mqtt.Client, userdata: object, flags: object,
                      reason: ReasonCode, properties: object) -> None:  # fmt: skip
        self.connected.clear()

    def _received(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self.inbox.put(Inbound(message.topic, bytes(message.payload), bool(message.retain)))
