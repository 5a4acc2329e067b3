"""HTTP calls to a warroom server, with failures sorted into what the caller can do.

``Offline`` means try again later (no route, timeout, 5xx, a cut stream); ``AuthFailed``
and ``Forbidden`` mean a person must act (log in again, ask for another role) and are
raised as ``WarroomError`` so the CLI prints them on one line.
"""

import ipaddress
import json
import re
import ssl
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from warroom import __version__
from warroom.core.errors import WarroomError
from warroom.store.feed_records import DecodedPage, GarbledPage, decode_page

T = TypeVar("T")


class Offline(Exception):
    """The server cannot be reached right now; retry with backoff."""


class AuthFailed(WarroomError):
    """The token is missing, unknown or revoked."""


class Forbidden(WarroomError):
    """The token's role may not do this (e.g. a viewer pushing entries)."""


class ServerRefused(WarroomError):
    """The server answered 4xx for a reason of its own (its message is kept verbatim)."""

    def __init__(self, base_url: str, detail: str) -> None:
        super().__init__(f"{base_url}: {detail}")
        self.detail = detail


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail or response.text[:200] or response.reason_phrase)


_END_OF_LINE = re.compile(rb"\r\n|\r|\n")


def sse_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The lines of an event stream, split only where the SSE format ends lines (CRLF,
    LF or CR) — not also on U+2028, U+2029 or U+0085 as ``str.splitlines`` does, which
    cut any entry holding one in two. An unfinished last line is dropped, like an
    unfinished event."""
    partial = bytearray()
    after_cr = False  # a chunk ended on CR: a LF opening the next one is the same break
    for chunk in chunks:
        if not chunk:
            continue
        if after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        after_cr = False
        start = 0
        for end in _END_OF_LINE.finditer(chunk):
            partial += chunk[start : end.start()]
            yield partial.decode("utf-8", "replace")
            partial.clear()
            start = end.end()
            after_cr = end.group() == b"\r" and start == len(chunk)
        partial += chunk[start:]


def on_loopback(base_url: str) -> bool:
    """Whether ``base_url`` names this machine (127.0.0.0/8, ::1 or localhost)."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_for(base_url: str) -> ssl.SSLContext | bool:
    """How a client of ``base_url`` checks TLS certificates: against the certificate
    store (``True``, httpx's default), unless it can never open a TLS connection.

    Loading the store costs about 20 ms of CPU, a tenth of a fresh client's catch-up of
    10,000 events, and a client of an http:// server has no use for it: it asks only
    its own base URL and follows no redirect, so only a proxy reached over https:// (named
    in the environment, which httpx reads) would speak TLS. Such a client gets a context
    that requires a valid certificate and trusts none: a TLS connection it somehow made
    would fail, never go unchecked."""
    if urlsplit(base_url).scheme == "http" and not any(
        str(proxy).lower().startswith("https:") for proxy in urllib.request.getproxies().values()
    ):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return True


def _feed_params(after: str | None, limit: int) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    return params


class ServerClient:
    """One connection pool to one server; not shared between threads."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.answers = 0
        """Responses received; the sync loop resets its backoff when this moves."""
        headers = {"Authorization": f"Bearer {token}", "User-Agent": f"warroom/{__version__}"}
        if on_loopback(self.base_url):
            # Compressing a page on loopback saves no time: it cost the server more than
            # half of its CPU per caught-up event (gzip), and the client its inflating.
            headers["Accept-Encoding"] = "identity"
        self.http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            verify=tls_for(self.base_url),
        )

    def close(self) -> None:
        self.http.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code < 500:
            self.answers += 1
        if response.status_code == 401:
            raise AuthFailed(f"{self.base_url} refused the token: {_detail(response)}")
        if response.status_code == 403:
            raise Forbidden(f"{self.base_url}: {_detail(response)}")
        if response.status_code >= 500:
            raise Offline(f"{self.base_url} answered {response.status_code}: {_detail(response)}")
        if response.status_code >= 400:
            raise ServerRefused(self.base_url, _detail(response))
        return response

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON (see ``_send``)."""
        try:
            return self._send(method, path, **kwargs).json()
        except ValueError:
            raise Offline(f"{self.base_url} sent a garbled answer") from None

    def _page(self, path: str, **kwargs: Any) -> DecodedPage:
        """A feed page, decoded from the answer's bytes for ``Replica.ingest_records``."""
        try:
            return decode_page(self._page_bytes(path, **kwargs))
        except GarbledPage:
            raise Offline(f"{self.base_url} sent a garbled answer") from None

    def _page_bytes(self, path: str, **kwargs: Any) -> bytes:
        """A feed page's body as it arrived.

        The bytes are read off the stream, not kept by the response: an httpx response
        and its stream refer to each other, so a body the response held lived until the
        cyclic collector ran, which a catch-up holds (``SyncEngine.pull_all``): a MB per
        page, for as long as the catch-up lasted."""

        def read() -> bytes:
            with self.http.stream("GET", path, **kwargs) as response:
                if response.status_code >= 400:
                    response.read()  # the refusal's words, for ``_check``
                self._check(response)
                return b"".join(response.iter_bytes())

        return self._once_more(read)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The answer to one request, checked (``_check``)."""
        return self._check(self._once_more(lambda: self.http.request(method, path, **kwargs)))

    def _once_more(self, attempt: Callable[[], T]) -> T:
        """``attempt()``, the HTTP failures it meets raised as ``Offline``. Every call is
        idempotent (pushes by event id), so a connection that died while idle in the pool
        is retried once at once instead of waiting out a backoff."""
        try:
            try:
                return attempt()
            except httpx.TransportError:
                if self.http.is_closed:  # closed by ``SyncEngine.stop`` from another thread
                    raise
                return attempt()
        except httpx.HTTPError as exc:
            raise Offline(f"{self.base_url} unreachable: {exc or type(exc).__name__}") from None
        except RuntimeError:  # "the client has been closed": the engine is stopping
            if not self.http.is_closed:
                raise
            raise Offline("sync stopped") from None

    def info(self) -> dict[str, Any]:
        return self._request("GET", "/v1/info")

    def push(self, bodies: list[str]) -> list[dict[str, Any]]:
        """Push stored event JSON verbatim; returns one result per event, in order."""
        content = '{"events":[' + ",".join(bodies) + "]}"
        answer = self._request(
            "POST", "/v1/push", content=content, headers={"Content-Type": "application/json"}
        )
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != len(bodies):
            raise Offline(f"{self.base_url} sent an incomplete push answer")
        return results

    def feed(self, after: str | None, limit: int = 5000) -> DecodedPage:
        return self._page("/v1/events", params=_feed_params(after, limit))

    def feed_bytes(self, after: str | None, limit: int = 5000) -> bytes:
        """``feed``'s page undecoded, for a caller that decodes it on another thread
        (``decode_page``; ``feed`` again if it is garbled)."""
        return self._page_bytes("/v1/events", params=_feed_params(after, limit))

    def poll(self, after: str | None, timeout: float) -> DecodedPage:
        params: dict[str, Any] = {"timeout": timeout}
        if after:
            params["after"] = after
        return self._page("/v1/poll", params=params, timeout=httpx.Timeout(10.0, read=timeout + 10))

    def incident_log(
        self, incident_id: str, after: int, limit: int = 5000
    ) -> dict[str, Any] | None:
        try:
            return self._request(
                "GET",
                f"/v1/incidents/{incident_id}/events",
                params={"after": after, "limit": limit},
            )
        except ServerRefused:
            return None

    def stream(self, after: str | None, read_timeout: float) -> Iterator[tuple[str, Any]]:
        """Server-Sent Events from ``after``: ``("event", record)``, ``("up_to_date",
        cursor)`` and ``("ping", None)`` for heartbeats. Raises ``Offline`` when the
        stream is cut or goes silent for longer than ``read_timeout`` (the server pings
        well within it)."""
        headers = {"Accept": "text/event-stream"}
        if after:
            headers["Last-Event-ID"] = after
        timeout = httpx.Timeout(10.0, read=read_timeout)
        try:
            with self.http.stream("GET", "/v1/stream", headers=headers, timeout=timeout) as rsp:
                self._check(rsp)
                kind, data = "message", []
                for line in sse_lines(rsp.iter_bytes()):
                    if line.startswith(":"):
                        yield "ping", None
                    elif line == "":
                        if data:
                            yield self._frame(kind, "\n".join(data))
                        kind, data = "message", []
                    elif line.startswith("data:"):
                        data.append(line[5:].removeprefix(" "))
                    elif line.startswith("event:"):
                        kind = line[6:].strip()
        except httpx.HTTPError as exc:
            raise Offline(f"stream from {self.base_url} cut: {exc or type(exc).__name__}") from None
        except RuntimeError:
            if not self.http.is_closed:
                raise
            raise Offline("sync stopped") from None
        raise Offline(f"stream from {self.base_url} ended")

    def _frame(self, kind: str, data: str) -> tuple[str, Any]:
        try:
            value = json.loads(data)
        except ValueError:
            raise Offline(f"{self.base_url} sent a garbled stream frame") from None
        if kind == "up_to_date":
            return "up_to_date", value.get("cursor")
        return "event", value
