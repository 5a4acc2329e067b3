"""The push route's fast lane: a well-formed push answered without FastAPI's layers.

Why: a durable append is the server's hot path, and most of its CPU went to the layers
around it rather than to the append — routing, dependency solving, five middlewares
wrapping ``send`` and ``receive``, request objects built twice. Measured side by side
(``bench/bench_server_floor.py``) that made one append cost about three times what a
minimal Starlette endpoint doing the same durable work costs.

What it takes: ``POST /v1/push`` with ``Content-Type: application/json``, a
``Content-Length`` within the body limit, a token whose role may write, and a body that
decodes strictly (``jsonbody.quick_decode``) and validates as a ``PushRequest``. That is every
push a client makes. Anything else — no token, a viewer's token, a chunked or oversized
body, JSON the record cannot hold, a malformed event, a client gone mid-body — is handed
to the full app, with the body bytes already read replayed to it, so every mistake is
answered exactly as before, by the same code (401, 403, 413, 422 and their one-line
details). The lane itself only answers what the append answers: the results, or the
storage's own errors through the same handlers (``errors.problem``).
"""

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warroom.server import errors
from warroom.server.auth import bearer_token
from warroom.server.jsonbody import quick_decode
from warroom.server.storage import EventStorage, EventTooLarge, Principal, StorageError

PUSH_PATH = "/v1/push"
_JSON = (b"content-type", b"application/json")

Parse = Callable[[Any], list]
"""A decoded body's items (a push's events, a notification's alerts), validated as the
route's body model validates them."""
Answer = Callable[[list, Principal], Awaitable[bytes]]
"""Append a push's events as ``who`` and give the JSON of the results (``create_app``);
an ``HTTPException`` is answered as the route would answer it (the intake lanes)."""


class PushLane:
    """Answers the common push itself; everything else goes to ``app`` (``fallback``)."""

    def __init__(
        self,
        storage: EventStorage,
        parse: Parse,
        answer: Answer,
        *,
        writers: tuple[str, ...],
        max_body: int,
        gzip_minimum: int,
        gzip_level: int,
    ) -> None:
        self.storage = storage
        self.parse = parse
        self.answer = answer
        self.writers = writers
        self.max_body = max_body
        self.gzip_minimum = gzip_minimum
        self.gzip_level = gzip_level

    async def __call__(self, scope: Scope, receive: Receive, send: Send, fallback: ASGIApp) -> None:
        authorization = content_type = length = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
        if (
            chunked
            or length is None
            or not length.isdigit()
            or int(length) > self.max_body
            or content_type is None
            or content_type.split(b";")[0].strip().lower() != b"application/json"
            or authorization is None
        ):
            await fallback(scope, receive, send)
            return
        token = bearer_token(authorization.decode("latin-1"))
        who = await self.storage.authenticate(token) if token else None
        if who is None or who.role not in self.writers:
            await fallback(scope, receive, send)  # its 401 or 403, body unread
            return
        received, body = await _read_body(receive)
        if body is None:  # the client went away: the full app sees the same disconnect
            await fallback(scope, _replay(received, receive), send)
            return
        value = quick_decode(body)
        if value is None:  # ``decode`` refuses it, or takes it: the full app says which
            await fallback(scope, _replay(received, receive), send)
            return
        try:
            events = self.parse(value)
        except (RequestValidationError, ValidationError):
            await fallback(scope, _replay(received, receive), send)
            return
        try:
            text = await self.answer(events, who)
        except (StorageError, EventTooLarge) as exc:
            await errors.problem(exc)(scope, receive, send)
            return
        except HTTPException as exc:
            refusal = JSONResponse(status_code=exc.status_code, content={"detail": exc.detail})
            await refusal(scope, receive, send)
            return
        await self._send_json(scope, receive, send, text)

    async def _send_json(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
        """``body`` as a 200 JSON answer, compressed as the full app's GZip would (a small
        one is sent as Starlette's ``Response`` sends it, without building one)."""
        if len(body) < self.gzip_minimum:
            headers = [(b"content-length", str(len(body)).encode()), _JSON]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        response = Response(body, media_type="application/json")
        compressing = GZipMiddleware(
            response, minimum_size=self.gzip_minimum, compresslevel=self.gzip_level
        )
        await compressing(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[list[Message], bytes | None]:
    """The messages received and the whole body (None if the client disconnected)."""
    received: list[Message] = []
    while True:
        message = await receive()
        received.append(message)
        if message["type"] != "http.request":
            return received, None
        if not message.get("more_body", False):
            break
    if len(received) == 1:
        return received, received[0].get("body", b"")
    return received, b"".join(m.get("body", b"") for m in received)


def _replay(received: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives the messages already read again, then the real ones."""
    pending = list(received)

    async def again() -> Message:
        return pending.pop(0) if pending else await receive()

    return again


class LanedFastAPI(FastAPI):
    """FastAPI with the push lane in front of its middleware (set ``push_lane``), and
    lanes for other POST paths (``more_lanes``: the intake routes, ``server.intake``)."""

    push_lane: PushLane | None = None
    more_lanes: Mapping[str, PushLane] = MappingProxyType({})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = scope["path"]
            lane = self.push_lane if path == PUSH_PATH else self.more_lanes.get(path)
            if lane is not None:
                await lane(scope, receive, send, super().__call__)
                return
        await super().__call__(scope, receive, send)
