"""A paho client for broker tests: records how it connected and what it received."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from tests.support import wait_until


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    qos: int


class Probe:
    """Connect with `start()`; `refused` / `connected` tell how the broker answered."""

    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        *,
        username: str | None = None,
        password: str | None = None,
        clean_session: bool = True,
        will: tuple[str, bytes] | None = None,
        keepalive: int = 60,
    ) -> None:
        self.host, self.port, self.keepalive = host, port, keepalive
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        if will:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.answer: ReasonCode | None = None
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self.client.on_connect = self._connected
        self.client.on_message = self._received

    def start(self) -> Probe:
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive)
        self.client.loop_start()
        wait_until(lambda: self.answer is not None, what="the broker's CONNACK")
        return self

    @property
    def connected(self) -> bool:
        return self.answer is not None and not self.answer.is_failure

    def subscribe(self, topic_filter: str, qos: int = 1) -> None:
        """Subscribe and wait for the SUBACK (whatever it grants)."""
        done = threading.Event()
        self.client.on_subscribe = lambda *args: done.set()
        self.client.subscribe(topic_filter, qos)
        wait_until(done.is_set, what=f"SUBACK for {topic_filter}")

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        """Publish and, for QoS 1, wait for the broker's PUBACK."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if qos:
            info.wait_for_publish(5)
            assert info.is_published(), f"no PUBACK for {topic}"

    def received(self, topic: str | None = None) -> list[Received]:
        with self._lock:
            return [m for m in self.messages if topic is None or m.topic == topic]

    def wait_for(self, topic: str, timeout: float = 10.0) -> Received:
        wait_until(
            lambda: bool(self.received(topic)), timeout=timeout, what=f"a message on {topic}"
        )
        return self.received(topic)[0]

    def topics_before(self, marker_topic: str) -> list[str]:
        """Topics received before the first message on `marker_topic` (waits for it)."""
        self.wait_for(marker_topic)
        with self._lock:
            topics = [m.topic for m in self.messages]
        return topics[: topics.index(marker_topic)]

    def close(self) -> None:
        """A clean disconnect (no will)."""
        self.client.disconnect()
        self.client.loop_stop()

    def vanish(self) -> None:
        """Stop talking without a DISCONNECT, as a robot that lost power: the will is due."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()

    def go_silent(self) -> None:
        """Keep the connection open but send nothing (a half-open link): keep-alive expires."""
        self.client.loop_stop()

    def _connected(self, client: mqtt.Client, userdata: object, flags: object,
                   reason: ReasonCode, properties: object) -> None:  # fmt: skip
        self.answer = reason
        if reason.is_failure:
            # paho would retry forever; one answer is what the test wants.
            client.disconnect()

    def _received(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(
                Received(message.topic, bytes(message.payload), bool(message.retain), message.qos)
            )
