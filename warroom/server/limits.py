"""Time and size limits on what a client sends, enforced in the HTTP protocol itself.

uvicorn closes a connection that stays idle after a response (``timeout_keep_alive``),
but nothing else: a connection that never sends a request, or sends its headers a byte
at a time, stays open for ever, and thousands of them exhaust the server's file
descriptors (slowloris). Its options end there (``h11_max_incomplete_event_size`` only
bounds header size, and only for h11), and an ASGI middleware cannot help, since the app
is called only once the headers are complete. So ``slow_client_protocol`` extends
uvicorn's httptools protocol: from the moment a connection opens, and again from the
first byte of each request, the headers must be complete within ``header_timeout_s`` and
at most ``MAX_HEADER_BYTES`` long; the body then has ``body_timeout_s``. A connection
that misses either is closed (the app, if it is waiting for the body, sees a disconnect).
"""

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEADER_BYTES = 64 * 1024
KEEP_ALIVE_S = 5
"""How long an idle connection stays open after a response (uvicorn's own timer)."""


class _SlowClientProtocol(HttpToolsProtocol):
    header_timeout_s: float
    body_timeout_s: float

    _deadline: float | None = None
    """When the current phase must be over (loop time); ``None`` between requests."""
    _timer: asyncio.TimerHandle | None = None
    _timer_at: float = 0.0
    """When ``_timer`` fires: never after ``_deadline``, often before it."""
    _header_bytes: int | None = None
    """Bytes received of the current request's headers; ``None`` once they are complete."""

    def _expire_after(self, seconds: float | None) -> None:
        """Move the deadline. The timer is not cancelled and made anew for each of a
        request's three phases (an eighth of the server's own time per append): it stays
        armed and, when it fires early, is armed again for what is left of the deadline;
        only a deadline earlier than the armed timer re-arms it at once."""
        if seconds is None:
            self._deadline = None
            return
        self._deadline = self.loop.time() + seconds
        if self._timer is None or self._deadline < self._timer_at:
            self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = self._deadline
        self._timer = self.loop.call_at(self._deadline, self._check)

    def _check(self) -> None:
        self._timer = None
        if self._deadline is None:  # no phase under way: the next one arms it again
            return
        if self.loop.time() < self._deadline:
            self._arm()
        elif not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_bytes = 0
        self._expire_after(self.header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._header_bytes is not None:  # still in the headers after this chunk
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
                self.send_400_response("Request headers too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_bytes is None:  # a new request on a kept-alive connection
            self._header_bytes = 0
            self._expire_after(self.header_timeout_s)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._header_bytes = None
        self._expire_after(self.body_timeout_s)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._expire_after(None)


def slow_client_protocol(header_timeout_s: float, body_timeout_s: float) -> type[HttpToolsProtocol]:
    """The protocol class to give uvicorn (``http=``), with these two time limits
    (``warroom serve --header-timeout``, ``--body-timeout``)."""
    return type(
        "SlowClientProtocol",
        (_SlowClientProtocol,),
        {"header_timeout_s": header_timeout_s, "body_timeout_s": body_timeout_s},
    )
