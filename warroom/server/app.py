"""The HTTP API, assembled: ``create_app(storage)`` with its middleware, the push and the
health routes; the feed (``feed_routes``), tokens (``token_routes``), intake and status
page are routers of their own, included here in that order.

Every response to a mistake is a 4xx with a one-line ``detail`` a person can act on:
401 without a valid token, 403 for what the token's role may not do, 404 for unknown
incidents and tokens, 409 for revoking the last admin token, 413 for bodies over 4 MiB,
422 for malformed ones and for an entry over 64 KiB encoded. Incident-role
rules are not HTTP errors: a pushed event that breaks one comes back ``rejected`` with
its reason, so a batch from a client that was offline is judged event by event.
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from pydantic_core import to_json
from starlette.middleware.gzip import GZipMiddleware

from warroom import __version__
from warroom.core.access import check_append
from warroom.core.delivery import RECEIPT_KINDS
from warroom.core.events import Event
from warroom.core.policy import Policy, default_policy
from warroom.core.token_roles import WRITING_ROLES
from warroom.server import errors
from warroom.server.auth import TokenFirst
from warroom.server.authored import ServerAuthor
from warroom.server.body_limit import BodyLimit
from warroom.server.errors import AUTHENTICATED
from warroom.server.fastpush import LanedFastAPI, PushLane
from warroom.server.feed_routes import feed_router
from warroom.server.intake import IntakeDesk, Runbooks, intake_lanes, intake_router
from warroom.server.jsonbody import StrictJSONRoute
from warroom.server.ladder_task import ServerLadder
from warroom.server.leader import BackgroundJobs
from warroom.server.open_view import OpenIncidentsView
from warroom.server.principals import principal_dependencies, require
from warroom.server.status_page import status_router
from warroom.server.storage import EventStorage, Principal
from warroom.server.token_routes import token_router

MAX_BODY = 4 * 1024 * 1024
"""Largest request body read (413 beyond): a full push of ordinary entries fits."""
MAX_PUSH_EVENTS = 1000
HEARTBEAT_S = 15.0


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


GZIP_MINIMUM = 1024
GZIP_LEVEL = 5
"""9 costs 3x the CPU for ~5% smaller pages."""

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

    anyone, principal = principal_dependencies(storage)
    Who = Annotated[Principal, Depends(principal)]

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
        require(who, *WRITING_ROLES, doing="write entries (viewer tokens are read-only)")
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
        writers=WRITING_ROLES,
        max_body=max_body,
        gzip_minimum=GZIP_MINIMUM,
        gzip_level=GZIP_LEVEL,
    )

    app.include_router(feed_router(storage, principal, heartbeat_s))
    app.include_router(token_router(storage, principal))

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
