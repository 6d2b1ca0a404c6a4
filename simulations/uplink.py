"""The robot's uplink as a TCP proxy on loopback that can be cut (flaky internet, a broker outage).

It runs an asyncio loop in a thread of its own. `cut()` closes every connection at
once and refuses new ones (accepted, then closed at once, as a dead uplink looks to
a client that keeps retrying); `restore()` lets connections through again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future

CHUNK = 65536


class CuttableProxy:
    def __init__(self, target_host: str, target_port: int, listen_port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.port = listen_port
        self.cuts = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._open = True

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen()).result(timeout=10)

    def stop(self) -> None:
        self._call(self._shutdown()).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def cut(self) -> None:
        self.cuts += 1
        self._call(self._cut()).result(timeout=10)

    def restore(self) -> None:
        self._call(self._restore()).result(timeout=10)

    def _call(self, coroutine: object) -> Future[None]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)  # type: ignore[arg-type]

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])  # port 0: any free port

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._cut()

    async def _cut(self) -> None:
        self._open = False
        for writer in list(self._writers):
            _close(writer)
        self._writers.clear()

    async def _restore(self) -> None:
        self._open = True

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._open:
            _close(writer)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _close(writer)  # the broker is down: the client sees the link drop, and retries
            return
        self._writers.update((writer, upstream_writer))
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            # One side ended: end the other too, as a real link drop would.
            self._writers.discard(writer)
            _close(writer)


def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        transport = writer.transport
        # abort(), not close(): drop what is buffered, like a cut cable.
        transport.abort()
