"""An in-process HTTP-aware TCP proxy on 127.0.0.1 that loses answers and cuts streams.

A response is recognised by its status line. With probability ``drop`` an ordinary
response is swallowed and its connection killed (the server did the work; the client
never hears of it). Event streams are let through but every connection is cut after at
most ``max_life`` seconds, so a live stream dies about once a second. The feed pages
numbered in ``garble`` (counting from 1) arrive whole but are not JSON, as from a
middlebox that mangled them.
"""

import asyncio
import random
import socket
import threading


class FaultProxy:
    def __init__(
        self,
        upstream_port: int,
        *,
        drop: float = 0.2,
        max_life: float = 1.0,
        garble: frozenset[int] = frozenset(),
    ) -> None:
        self.upstream_port = upstream_port
        self.drop = drop
        self.max_life = max_life
        self.garble = garble
        self.pages = 0
        self.garbled = 0
        self.responses = 0
        self.dropped = 0
        self.streams_cut = 0
        self._rng = random.Random(1234)
        self._loop = asyncio.new_event_loop()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FaultProxy":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(5)
        return self

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, sock=self._sock)

    def stop(self) -> None:
        async def shutdown() -> None:
            self._server.close()  # refuse new connections before anything else
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _garbled(self, body: bytes) -> bytes:
        """The start of a response's body as sent, or with a feed page's first byte made
        '<' (the same length: the answer still arrives whole)."""
        if not body.startswith(b'{"items"'):
            return body
        self.pages += 1
        if self.pages not in self.garble:
            return body
        self.garbled += 1
        return b"<" + body[1:]

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        up_w = None
        streaming = False

        async def upstream_to_client(up_r: asyncio.StreamReader) -> None:
            nonlocal streaming
            body_next = False  # a head arrived alone: its body starts the next read
            while data := await up_r.read(65536):
                if body_next:
                    data, body_next = self._garbled(data), False
                if data.startswith(b"HTTP/1.1 "):
                    self.responses += 1
                    head, separator, body = data.partition(b"\r\n\r\n")
                    streaming = b"text/event-stream" in head
                    if not streaming and self._rng.random() < self.drop:
                        self.dropped += 1
                        return
                    body_next = not body
                    data = head + separator + self._garbled(body)
                client_w.write(data)
                await client_w.drain()

        async def client_to_upstream() -> None:
            while data := await client_r.read(65536):
                up_w.write(data)
                await up_w.drain()

        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            tasks = [
                asyncio.ensure_future(client_to_upstream()),
                asyncio.ensure_future(upstream_to_client(up_r)),
            ]
            life = self._rng.uniform(self.max_life / 2, self.max_life)
            try:
                done, _ = await asyncio.wait(
                    tasks, timeout=life, return_when=asyncio.FIRST_COMPLETED
                )
                if not done and streaming:
                    self.streams_cut += 1
            finally:
                for task in tasks:
                    task.cancel()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            for writer in (client_w, up_w):
                if writer is not None:
                    writer.transport.abort()
