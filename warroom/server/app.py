"""The HTTP API: push, pull, live stream, long-poll, tokens. ``create_app(storage)``.

Every response to a mistake is a 4xx with a one-line ``detail`` a person can act on:
401 without a valid token, 403 for what the token's role may not do, 404 for unknown
incidents and tokens, 409 for revoking the last admin token, 413 for bodies over 4 MiB,
422 for malformed ones and for an entry over 64 KiB encoded. Incident-role
rules are not HTTP errors: a pushed event that breaks one comes back ``rejected`` with
its reason, so a batch from a client that was offline is judged event by event.

Live updates follow one rule, so nothing is lost across reconnects: subscribe first,
replay the feed from the client's cursor (``Last-Event-ID`` or ``?after=``) until up to
date, then send live batches, dropping positions already sent.
"""

import asyncio
import gc
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from pydantic_core import to_json
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warroom import __version__
from warroom.core.access import check_append
from warroom.core.delivery import RECEIPT_KINDS
from warroom.core.events import INT64_MAX, Event
from warroom.core.policy import Policy, default_policy
from warroom.server import errors
from warroom.server.auth import TokenFirst, identify
from warroom.server.authored import ServerAuthor
from warroom.server.errors import AUTHENTICATED
from warroom.server.fastpush import LanedFastAPI, PushLane
from warroom.server.intake import IntakeDesk, Runbooks, intake_lanes, intake_router
from warroom.server.jsonbody import StrictJSONRoute
from warroom.server.ladder_task import ServerLadder
from warroom.server.leader import BackgroundJobs
from warroom.server.open_view import OpenIncidentsView
from warroom.server.sse import LiveFrames, frames
from warroom.server.status_page import status_router
from warroom.server.storage import (
    NAME_MAX,
    EventStorage,
    FeedPage,
    LastAdminToken,
    Principal,
    TokenInfo,
    TokenRevoked,
    TokenRole,
    token_fields,
)

MAX_BODY = 4 * 1024 * 1024
"""Largest request body read (413 beyond): a full push of ordinary entries fits."""
MAX_PUSH_EVENTS = 1000
PAGE_LIMIT = 5000
REPLAY_PAGE = 1000
HEARTBEAT_S = 15.0
LONG_POLL_MAX_S = 60.0

CURSOR_PATTERN = r"^[0-9]{0,18}$"
"""What a feed cursor looks like: a storage's position (``parse_cursor``), in decimal."""
Cursor = Annotated[
    str | None,
    Query(pattern=CURSOR_PATTERN, max_length=18, description="A cursor this server returned."),
]


class PushRequest(BaseModel):
    events: list[Event] = Field(max_length=MAX_PUSH_EVENTS)


class PushResult(BaseModel):
    id: str
    status: Literal["applied", "rejected"]
    duplicate: bool
    incident_id: str
    server_seq: int | None = None
    hash: str | None = None
    reason: str | None = None


class PushResponse(BaseModel):
    results: list[PushResult]


class Record(BaseModel):
    """One sequenced event; ``checkpoint`` is set when the server signed at this event."""

    cursor: str
    incident_id: str
    server_seq: int
    hash: str
    event: dict[str, Any]
    checkpoint: dict[str, Any] | None


class FeedPageModel(BaseModel):
    items: list[Record]
    cursor: str
    up_to_date: bool


class IncidentPageModel(BaseModel):
    incident_id: str
    records: list[Record]
    next_after: int
    up_to_date: bool
    head: dict[str, Any]


class ThreadReport(BaseModel):
    state: Literal["running", "retrying", "stopped", "dead"]
    errors: int
    last_error: str | None
    failing_for_s: float | None


class LeaderReport(BaseModel):
    """Whether this replica runs the background jobs (``server/leader.py``)."""

    holder: str
    leading: bool
    jobs: list[str]


class HealthReport(BaseModel):
    """``/v1/health``: the same body with 200 (all running) or 503 (one is not)."""

    status: Literal["ok", "degraded"]
    threads: dict[str, ThreadReport]
    leader: LeaderReport


class TokenCreate(BaseModel):
    """Name and device are checked by ``token_fields``, as ``warroom token create`` does."""

    name: str = Field(max_length=NAME_MAX)
    role: TokenRole
    device: str = Field(default="", max_length=NAME_MAX)


class TokenOut(BaseModel):
    id: str
    name: str
    role: TokenRole
    device: str
    created_at: str
    revoked_at: str | None
    token: str | None = None
    """Only in the answer to creation: the secret is never shown again."""


def _token_out(info: TokenInfo, secret: str | None = None) -> TokenOut:
    return TokenOut(
        id=info.id,
        name=info.name,
        role=info.role,
        device=info.device,
        created_at=info.created_at.isoformat(),
        revoked_at=info.revoked_at.isoformat() if info.revoked_at else None,
        token=secret,
    )


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 before the app reads them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"request body too large (limit {self.limit} bytes)"})
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})


class _TooLarge(Exception):
    pass


def _page_response(page: FeedPage) -> Response:
    """A feed page as JSON, assembled from the stored record texts without re-encoding."""
    records = ",".join(item.record for item in page.items)
    flag = json.dumps(page.up_to_date)
    text = f'{{"items":[{records}],"cursor":"{page.cursor}","up_to_date":{flag}}}'
    return Response(text, media_type="application/json")


GZIP_MINIMUM = 1024
GZIP_LEVEL = 5
"""9 costs 3x the CPU for ~5% smaller pages."""
WRITERS = ("responder", "admin")
"""The token roles that may push entries."""

GC_THRESHOLDS = (50_000, 20, 100)
"""Young-generation collections every 50,000 allocations rather than Python's 700."""


def settle_heap() -> None:
    """Keep the garbage collector off the append path's tail latency.

    A push allocates hundreds of short-lived objects, so with Python's default thresholds
    the collector runs about 170 times a second, and every few seconds a full collection
    walks every object the process holds — FastAPI's, pydantic's and uvicorn's included —
    for 40–70 ms: measured, that was most of the append p99. Freezing what exists once
    the server is up moves those objects out of the collector's sight (they live as long
    as the process anyway), and a higher first threshold makes young collections rare.
    Cycles are still collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def create_app(
    storage: EventStorage,
    *,
    policy: Policy | None = None,
    heartbeat_s: float = HEARTBEAT_S,
    max_body: int = MAX_BODY,
    author: ServerAuthor | None = None,
    runbooks: Runbooks | None = None,
    ladder_every_s: float = 0,
    jobs: BackgroundJobs | None = None,
) -> FastAPI:
    """The ASGI app over ``storage``; the policy's ``[access]`` rules judge every append.

    With ``author`` (the server's own identity) it takes alerts too (``intake``), and
    their rules may attach ``runbooks``; with ``ladder_every_s`` too, it runs the
    escalation ladder that often (``ladder_task``) — among the ``jobs`` that run while
    this replica holds the background-jobs lease (``leader``)."""
    rules = policy or default_policy()
    background = jobs or BackgroundJobs(storage)
    writers_view = OpenIncidentsView(storage)  # one for intake and the ladder (open_view)
    if author is not None and ladder_every_s > 0:
        ladder = ServerLadder(storage, rules, author, writers_view)
        background.register(ladder, every_s=ladder_every_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await storage.start()
        await background.start()
        settle_heap()
        try:
            yield
        finally:
            await background.stop()
            await storage.close()

    app = LanedFastAPI(
        title="warroom",
        version=__version__,
        description="The shared record of a terminal war room: push, pull and live events.",
        lifespan=lifespan,
    )
    app.router.route_class = StrictJSONRoute
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM, compresslevel=GZIP_LEVEL)
    app.add_middleware(BodyLimit, limit=max_body)
    app.add_middleware(TokenFirst, storage=storage)  # outermost: before any body is read
    errors.install(app)
    bearer = HTTPBearer(auto_error=False)

    async def anyone(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        return await identify(storage, credentials.credentials if credentials else None)

    async def principal(who: Annotated[Principal, Depends(anyone)]) -> Principal:
        if who.role == "intake":
            raise HTTPException(403, "an intake token may only post alerts")
        return who

    Who = Annotated[Principal, Depends(principal)]

    def require(who: Principal, *roles: str, doing: str) -> None:
        if who.role not in roles:
            raise HTTPException(403, f"a {who.role} token may not {doing}")

    @app.get("/v1/info", responses=errors.errors(*AUTHENTICATED))
    async def info(who: Who) -> dict[str, Any]:
        """Who the token belongs to and the key that signs checkpoints (pin it at login)."""
        return {
            "server": "warroom",
            "version": __version__,
            "public_key": storage.public_key,
            "you": {"name": who.name, "role": who.role, "token_id": who.token_id},
        }

    @app.post(
        "/v1/push",
        response_model=None,
        responses={200: {"model": PushResponse}, **errors.errors(*AUTHENTICATED, 403, 413)},
    )
    async def push(body: PushRequest, who: Who) -> Response:
        """Append a batch in order; retries return the original outcome (``duplicate``)."""
        require(who, *WRITERS, doing="write entries (viewer tokens are read-only)")
        return Response(await append_push(body.events, who), media_type="application/json")

    async def append_push(events: list[Event], who: Principal) -> bytes:
        """The push's results as JSON; ``push`` and the push lane (``fastpush``) share it."""

        def admit(state, event, log_of):
            if event.kind in RECEIPT_KINDS:  # proof of delivery comes from the dispatcher
                return "delivery receipts are written by the server as it delivers, not pushed"
            admin = who.role == "admin"
            return check_append(rules, state, event, author=who.name, admin=admin, log_of=log_of)

        results = await storage.append(events, admit, who.token_id)
        # Plain JSON from the storage's results: re-validating them per request is pure cost.
        return to_json({"results": results})

    app.push_lane = PushLane(
        storage,
        lambda body: PushRequest.model_validate(body).events,
        append_push,
        writers=WRITERS,
        max_body=max_body,
        gzip_minimum=GZIP_MINIMUM,
        gzip_level=GZIP_LEVEL,
    )

    @app.get(
        "/v1/events",
        response_model=None,
        responses={200: {"model": FeedPageModel}, **errors.errors(*AUTHENTICATED, 400)},
    )
    async def events(
        who: Who,
        after: Cursor = None,
        limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT)] = 1000,
    ) -> Response:
        """Every incident's events after a cursor, in commit order (catch-up)."""
        page = await storage.feed(storage.parse_cursor(after), limit)
        return _page_response(page)

    @app.get(
        "/v1/incidents/{incident_id}/events",
        response_model=None,
        responses={200: {"model": IncidentPageModel}, **errors.errors(*AUTHENTICATED, 404)},
    )
    async def incident_events(
        incident_id: str,
        who: Who,
        after: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
        limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT)] = 1000,
    ) -> Response:
        """One incident's log by its own sequence numbers, with the current head."""
        page = await storage.incident_log(incident_id, after, limit)
        if page is None:
            raise HTTPException(404, f"no incident {incident_id!r} on this server")
        head = json.dumps({"seq": page.head_seq, "hash": page.head_hash})
        text = (
            f'{{"incident_id":{json.dumps(incident_id)},"records":[{",".join(page.records)}],'
            f'"next_after":{page.next_after},"up_to_date":{json.dumps(page.up_to_date)},'
            f'"head":{head}}}'
        )
        return Response(text, media_type="application/json")

    @app.get(
        "/v1/stream",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events."},
            **errors.errors(*AUTHENTICATED, 400),
        },
    )
    async def stream(
        who: Who,
        after: Cursor = None,
        last_event_id: Annotated[str | None, Header(pattern=CURSOR_PATTERN, max_length=18)] = None,
    ) -> StreamingResponse:
        """Server-Sent Events: replay from ``Last-Event-ID`` (or ``after``), then live.

        ``event: up_to_date`` marks the end of the replay; ``: ping`` comments keep
        proxies from closing an idle stream.
        """
        position = storage.parse_cursor(last_event_id or after)
        subscription = storage.subscribe(who.token_id)
        try:
            first = await storage.feed(position, REPLAY_PAGE)  # a bad cursor is a 400 here
        except BaseException:
            subscription.close()
            raise

        async def body() -> AsyncIterator[bytes]:
            live, page = LiveFrames(subscription, position, heartbeat_s), first
            try:
                while not subscription.revoked:  # revoked: the stream ends (see storage)
                    if page.items:
                        live.last = page.items[-1].position
                        for chunk in frames(page.items):
                            yield chunk
                    if not page.up_to_date:
                        page = await storage.feed(live.last, REPLAY_PAGE)
                        continue
                    yield f'event: up_to_date\ndata: {{"cursor":"{live.last}"}}\n\n'.encode()
                    # live, until the subscription asks for a re-read (None)
                    while (chunks := await live.next()) is not None:
                        for chunk in chunks:
                            yield chunk
                    page = await storage.feed(live.last, REPLAY_PAGE)
            except TokenRevoked:
                pass
            finally:
                live.close()
                subscription.close()

        return StreamingResponse(
            body(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get(
        "/v1/poll",
        response_model=None,
        responses={200: {"model": FeedPageModel}, **errors.errors(*AUTHENTICATED, 400)},
    )
    async def poll(
        who: Who,
        after: Cursor = None,
        timeout: Annotated[float, Query(ge=0, le=LONG_POLL_MAX_S, allow_inf_nan=False)] = 25.0,
        limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT)] = 1000,
    ) -> Response:
        """Long-poll fallback for proxies that buffer streams: same cursor, same pages."""
        position = storage.parse_cursor(after)
        subscription = storage.subscribe(who.token_id)
        try:
            page = await storage.feed(position, limit)
            if not page.items and timeout > 0:
                try:
                    await asyncio.wait_for(subscription.get(), timeout)
                except TimeoutError:
                    pass
                except TokenRevoked:
                    raise HTTPException(
                        401, "the token was revoked", headers={"WWW-Authenticate": "Bearer"}
                    ) from None
                else:
                    page = await storage.feed(position, limit)
        finally:
            subscription.close()
        return _page_response(page)

    @app.get("/v1/tokens", responses=errors.errors(*AUTHENTICATED, 403))
    async def tokens(who: Who) -> list[TokenOut]:
        require(who, "admin", doing="list tokens")
        return [_token_out(info) for info in await storage.list_tokens()]

    @app.post("/v1/tokens", status_code=201, responses=errors.errors(*AUTHENTICATED, 403, 413))
    async def create_token(body: TokenCreate, who: Who) -> TokenOut:
        """Create a token; the secret is in this answer only (it is stored hashed)."""
        require(who, "admin", doing="create tokens")
        try:
            name, device = token_fields(body.name, body.device)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        info, secret = await storage.create_token(name, body.role, device)
        return _token_out(info, secret)

    @app.delete("/v1/tokens/{token_id}", responses=errors.errors(*AUTHENTICATED, 403, 404, 409))
    async def revoke_token(token_id: str, who: Who) -> dict[str, str]:
        require(who, "admin", doing="revoke tokens")
        try:
            revoked = await storage.revoke_token(token_id, keep_an_admin=True)
        except LastAdminToken as exc:
            raise HTTPException(409, str(exc)) from None
        if not revoked:
            raise HTTPException(404, f"no active token {token_id!r}")
        return {"revoked": token_id}

    @app.get(
        "/v1/health",
        response_model=None,
        responses={
            200: {"model": HealthReport},
            503: {
                "model": HealthReport,
                "description": "a background thread is retrying after errors, or died",
            },
        },
    )
    async def health() -> JSONResponse:
        """Each background thread's state, without a token (for monitoring): 200 while
        every one is running, 503 when one is retrying after errors or has died."""
        threads = storage.health() | background.health()
        ok = all(thread["state"] == "running" for thread in threads.values())
        return JSONResponse(
            status_code=200 if ok else 503,
            content={
                "status": "ok" if ok else "degraded",
                "threads": threads,
                "leader": background.leader(),
            },
        )

    app.include_router(status_router(storage))  # public: delivered external notices
    if author is not None:
        desk = IntakeDesk(storage, rules, author, runbooks or {}, writers_view)
        app.include_router(intake_router(desk, anyone))
        app.more_lanes = intake_lanes(
            desk,
            storage=storage,
            max_body=max_body,
            gzip_minimum=GZIP_MINIMUM,
            gzip_level=GZIP_LEVEL,
        )
    return app
