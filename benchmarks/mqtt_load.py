"""The telemetry load generator: pre-encoded MQTT 3.1.1 QoS 0 PUBLISH packets on a raw socket.

Why not paho in a loop: a tight-loop Python paho publisher is useless as a load
generator (its network thread starves, see the research notes), and spawning
1,000 `mosquitto_pub` processes would eat the two cores we are measuring on.
Encoding 1,000 robots' packets once into one buffer and `sendall`-ing it in
chunks costs the generator almost nothing per message (the kernel copies), so
the broker and the subscriber under test get the CPU. Measured on the 2-core
benchmark machine: flooding a mosquitto without subscribers, one generator
process offered ~160k msgs/s using under 1 % of a core, while the broker used a
whole core: the broker, not the generator, limits the offered load.

`LoadGenerator` runs it in its own process (so its work never shares a GIL with
what we measure) and counts what it has offered in shared memory. `rate=0`
floods: the broker's own read speed (TCP back-pressure) is then the limit.
"""

from __future__ import annotations

import multiprocessing
import socket
import struct
import time
from multiprocessing.sharedctypes import Synchronized

from fleet import protocol
from fleet.protocol import Telemetry

MAX_CHUNK = 500  # messages per sendall: large enough to be cheap
SENDS_PER_S = 200  # at paced rates, small enough chunks to spread the load evenly


def robot_ids(count: int) -> list[str]:
    return [f"bench-r{index:05d}" for index in range(count)]


def remaining_length(length: int) -> bytes:
    """MQTT's variable-length integer (7 bits per byte, high bit = more follows)."""
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def mqtt_string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("!H", len(data)) + data


def connect_packet(client_id: str, keepalive_s: int = 0) -> bytes:
    """CONNECT, MQTT 3.1.1, clean session; keepalive 0 so an idle pause is never a timeout."""
    body = mqtt_string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", keepalive_s)
    body += mqtt_string(client_id)
    return b"\x10" + remaining_length(len(body)) + body


def publish_packet(topic: str, payload: bytes) -> bytes:
    """PUBLISH, QoS 0, not retained: no packet id, nothing comes back."""
    body = mqtt_string(topic) + payload
    return b"\x30" + remaining_length(len(body)) + body


def telemetry_payload(index: int, round_: int) -> bytes:
    """A valid `Telemetry` document that differs per robot and per round."""
    message = Telemetry(
        ts=1.79e9 + round_ * 30.0 + index * 0.001,
        battery_pct=float((index * 7 + round_) % 101),
        charging=bool((index + round_) % 2),
        cpu_temp_c=40.0 + (index % 30),
        uptime_s=float(round_ * 30 + index),
    )
    return protocol.encode(message)


def chunk_size(rate: float) -> int:
    return MAX_CHUNK if rate <= 0 else max(1, min(MAX_CHUNK, int(rate / SENDS_PER_S)))


def telemetry_chunks(robots: int, size: int, rounds: int = 4) -> list[tuple[bytes, int]]:
    """`rounds` readings from each robot, interleaved, in chunks of `size` messages (and count)."""
    packets = [
        publish_packet(protocol.telemetry_topic(rid), telemetry_payload(index, round_))
        for round_ in range(rounds)
        for index, rid in enumerate(robot_ids(robots))
    ]
    groups = [packets[start : start + size] for start in range(0, len(packets), size)]
    return [(b"".join(group), len(group)) for group in groups]


class LoadGenerator:
    """Telemetry from `robots` simulated robots at `rate` msgs/s (0: flood), in a process."""

    def __init__(self, port: int, robots: int, rate: float, host: str = "127.0.0.1") -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads
        self._sent: Synchronized[int] = context.Value("q", 0, lock=False)
        self._process = context.Process(
            target=_generate, args=(host, port, robots, rate, self._sent), daemon=True
        )

    def start(self) -> None:
        self._process.start()

    def sent(self) -> int:
        """Messages written to the broker so far."""
        return int(self._sent.value)

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=10)

    @property
    def pid(self) -> int | None:
        return self._process.pid


def _generate(host: str, port: int, robots: int, rate: float, sent: Synchronized[int]) -> None:
    chunks = telemetry_chunks(robots, chunk_size(rate))
    sock = open_publisher(host, port, "bench-load")
    try:
        publish_forever(sock, chunks, rate, sent)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the broker went away first: the run is over
    finally:
        sock.close()


def open_publisher(host: str, port: int, client_id: str) -> socket.socket:
    sock = socket.create_connection((host, port))
    sock.sendall(connect_packet(client_id))
    connack = _read_exactly(sock, 4)
    if connack[0] != 0x20 or connack[3] != 0:
        raise ConnectionError(f"broker refused the load generator: CONNACK {connack.hex()}")
    return sock


def publish_forever(
    sock: socket.socket, chunks: list[tuple[bytes, int]], rate: float, sent: Synchronized[int]
) -> None:
    """Send the chunks round and round, on a fixed schedule at `rate` msgs/s (0: flood)."""
    next_at = time.monotonic()
    while True:
        for chunk, count in chunks:
            sock.sendall(chunk)
            sent.value += count
            if rate > 0:
                next_at += count / rate
                _sleep_until(next_at)


def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        part = sock.recv(size - len(data))
        if not part:
            raise ConnectionError("the broker closed the connection")
        data += part
    return data
