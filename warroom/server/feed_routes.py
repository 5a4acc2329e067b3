"""The read side of the API: the feed after a cursor (``/v1/events``), one incident's log
by its own sequence (``/v1/incidents/{id}/events``), the live stream (``/v1/stream``)
and its long-poll fallback (``/v1/poll``).

Live updates follow one rule, so nothing is lost across reconnects: subscribe first,
replay the feed from the client's cursor (``Last-Event-ID`` or ``?after=``) until up to
date, then send live batches, dropping positions already sent. Pages are assembled from
the stored record texts, never re-encoded.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from warroom.core.events import INT64_MAX
from warroom.server import errors
from warroom.server.errors import AUTHENTICATED
from warroom.server.jsonbody import StrictJSONRoute
from warroom.server.principals import PrincipalDependency
from warroom.server.sse import LiveFrames, frames
from warroom.server.storage import EventStorage, FeedPage, Principal, TokenRevoked

PAGE_LIMIT = 5000
REPLAY_PAGE = 1000
LONG_POLL_MAX_S = 60.0

CURSOR_PATTERN = r"^[0-9]{0,18}$"
"""What a feed cursor looks like: a storage's position (``parse_cursor``), in decimal."""
Cursor = Annotated[
    str | None,
    Query(pattern=CURSOR_PATTERN, max_length=18, description="A cursor this server returned."),
]


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


def _page_response(page: FeedPage) -> Response:
    """A feed page as JSON, assembled from the stored record texts without re-encoding."""
    records = ",".join(item.record for item in page.items)
    flag = json.dumps(page.up_to_date)
    text = f'{{"items":[{records}],"cursor":"{page.cursor}","up_to_date":{flag}}}'
    return Response(text, media_type="application/json")


def feed_router(
    storage: EventStorage, principal: PrincipalDependency, heartbeat_s: float
) -> APIRouter:
    """The four read routes over ``storage``; a stream pings every ``heartbeat_s``."""
    router = APIRouter(route_class=StrictJSONRoute)  # malformed requests: errors.install
    Who = Annotated[Principal, Depends(principal)]

    @router.get(
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

    @router.get(
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

    @router.get(
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

    @router.get(
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

    return router
