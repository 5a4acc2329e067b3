"""Alerts in over HTTP: ``POST /v1/intake/alertmanager`` and ``POST /v1/intake/generic``.

Only an ``intake`` token may post here (any other role is 403, no token 401), and an
intake token may post nowhere else (``app.principal``). The bodies are the models of
``warroom.core.alerts`` — the Alertmanager webhook (version 4; Grafana's contact point
sends the same shape with more fields) and the small generic form — so the OpenAPI
document describes them as they are read; a malformed body is a 422 naming the field in
plain words, and nothing of it is written.

What an alert does is decided exactly as ``warroom intake`` decides it on one machine:
``warroom.intake.apply.apply_alerts`` (the rules of ``core.alert_eval``, carried out
through a ``WarRoom``), here over a server-authored batch (``authored``) judged against
the open incidents (``open_view``), and appended as one push: all of a payload, or none.

Decisions are made one batch at a time (``IntakeDesk``): two payloads for one service
arriving together must not both declare an incident. Payloads that queue up while a
batch commits are decided together in the next one, so a storm costs one commit per
batch rather than one per alert; should that shared batch fail, each payload in it is
tried again alone, so one bad payload fails only itself. A batch the storage refuses
(an incident closed between the decision and the append) is 503: Alertmanager retries,
and the retry is decided afresh.
"""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from warroom.core.alert_eval import summary_of
from warroom.core.alerts import Alert, GenericAlert, WebhookPayload, from_generic, from_webhook
from warroom.core.errors import InvalidInput
from warroom.core.policy import Policy
from warroom.core.wording import field_path, plain_message
from warroom.intake.apply import Applied, Runbooks, apply_alerts, intake_actor
from warroom.server import errors
from warroom.server.authored import BatchRefused, ServerAuthor
from warroom.server.errors import AUTHENTICATED
from warroom.server.fastpush import PushLane
from warroom.server.jsonbody import StrictJSONRoute
from warroom.server.open_view import OpenIncidentsView
from warroom.server.storage import EventStorage, Principal

MAX_BATCH_ALERTS = 2000
"""At most this many alerts decided and appended together."""


class AppliedAlert(BaseModel):
    fingerprint: str
    status: Literal["firing", "resolved"]
    summary: str
    news: Literal["new", "repeat", "resolution"]
    incident: str
    """The incident the alert is on; empty when no rule fired and none holds it."""
    done: list[str]
    """What intake did with it, for a person: declared, recorded, why, paged, …"""


class IntakeResult(BaseModel):
    alerts: list[AppliedAlert]


class IntakeRoute(StrictJSONRoute):
    """A route whose malformed body is answered in plain words (``core.wording``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def plain_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                error = exc.errors()[0]
                where = field_path([p for p in error.get("loc", ()) if p != "body"]) or "body"
                return JSONResponse(
                    status_code=422, content={"detail": f"{where}: {plain_message(error)}"}
                )

        return plain_errors


class IntakeDesk:
    """Decides and appends payloads in order, one batch at a time (module docstring)."""

    def __init__(
        self,
        storage: EventStorage,
        policy: Policy,
        author: ServerAuthor,
        runbooks: Runbooks,
        view: OpenIncidentsView | None = None,
    ) -> None:
        """``view`` is the server's view of its open incidents, shared with the ladder."""
        self.storage, self.policy, self.author, self.runbooks = storage, policy, author, runbooks
        self.view = view or OpenIncidentsView(storage)
        self._waiting: list[tuple[list[Alert], asyncio.Future]] = []
        self._worker: asyncio.Task | None = None

    async def receive(self, alerts: list[Alert]) -> list[Applied]:
        """What was done with each alert, once it is durably on the record."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((alerts, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        return await future

    async def _work(self) -> None:
        while self._waiting:
            batch = self._next_batch()
            try:
                applied = await self._apply([a for alerts, _ in batch for a in alerts])
            except Exception as exc:
                if len(batch) == 1:
                    batch[0][1].set_exception(exc)
                    continue
                for alerts, future in batch:  # alone, so only the bad one fails
                    try:
                        future.set_result(await self._apply(alerts))
                    except Exception as alone:
                        future.set_exception(alone)
                continue
            start = 0
            for alerts, future in batch:
                future.set_result(applied[start : start + len(alerts)])
                start += len(alerts)

    def _next_batch(self) -> list[tuple[list[Alert], asyncio.Future]]:
        """The payloads waiting from one sender (one actor), up to ``MAX_BATCH_ALERTS``."""
        first = self._waiting[0][0]
        actor, size, taken = intake_actor(first), 0, 0
        for alerts, _ in self._waiting:
            if intake_actor(alerts) != actor or (taken and size + len(alerts) > MAX_BATCH_ALERTS):
                break
            size, taken = size + len(alerts), taken + 1
        batch, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return batch

    async def _apply(self, alerts: list[Alert]) -> list[Applied]:
        async with self.view.deciding:
            await self.view.catch_up()
            batch = self.author.batch(intake_actor(alerts), self.policy, self.view.states)
            incidents = [summary_of(state) for state in self.view.states.values()]
            try:
                applied = apply_alerts(batch.room, alerts, incidents, self.runbooks)
                self.view.folded_ahead(batch.events)
                await batch.commit(self.storage)
            except BaseException:
                await self.view.forget(batch.touched)
                raise
            return applied


ALERTMANAGER_PATH = "/v1/intake/alertmanager"
GENERIC_PATH = "/v1/intake/generic"


async def take(desk: IntakeDesk, alerts: list[Alert]) -> IntakeResult:
    """What was done with each alert, or the route's refusal (503 retry, 422)."""
    try:
        applied = await desk.receive(alerts)
    except BatchRefused as exc:
        raise HTTPException(503, f"the alerts could not be recorded now ({exc}); retry") from None
    except InvalidInput as exc:
        raise HTTPException(422, str(exc)) from None
    return IntakeResult(alerts=[AppliedAlert(**vars(one)) for one in applied])


def intake_router(
    desk: IntakeDesk, principal: Callable[..., Coroutine[Any, Any, Principal]]
) -> APIRouter:
    """The two intake routes; ``principal`` authenticates any role (intake included)."""
    router = APIRouter(route_class=IntakeRoute)
    responses = {200: {"model": IntakeResult}, **errors.errors(*AUTHENTICATED, 403, 413)}

    async def intake_only(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role != "intake":
            raise HTTPException(
                403, f"only an intake token may post alerts; this is a {who.role} token"
            )
        return who

    Intake = Annotated[Principal, Depends(intake_only)]

    @router.post(ALERTMANAGER_PATH, responses=responses)
    async def alertmanager(body: WebhookPayload, who: Intake) -> IntakeResult:
        """A Prometheus Alertmanager webhook notification (version 4), or Grafana's
        webhook contact point (the same shape with ``values``, ``dashboardURL``, …)."""
        return await take(desk, from_webhook(body))

    @router.post(GENERIC_PATH, responses=responses)
    async def generic(body: GenericAlert, who: Intake) -> IntakeResult:
        """One alert in the generic form: ``summary`` (required), ``severity``,
        ``source``, ``dedup_key``, ``status`` (firing or resolved), ``labels``,
        ``annotations``, ``values``, ``links``."""
        return await take(desk, [from_generic(body)])

    return router


def intake_lanes(desk: IntakeDesk, **lane: Any) -> dict[str, PushLane]:
    """The intake routes' fast lanes (``fastpush``): a well-formed notification with an
    intake token is decided without FastAPI's layers, which cost more CPU per alert than
    the decision itself; anything else goes to the routes above, answered as before.
    ``lane`` is ``PushLane``'s storage and body and compression settings."""

    async def answer(alerts: list[Alert], who: Principal) -> bytes:
        return (await take(desk, alerts)).model_dump_json().encode()

    def webhook(body: Any) -> list[Alert]:
        return from_webhook(WebhookPayload.model_validate(body))

    def generic(body: Any) -> list[Alert]:
        return [from_generic(GenericAlert.model_validate(body))]

    return {
        path: PushLane(parse=parse, answer=answer, writers=("intake",), **lane)
        for path, parse in ((ALERTMANAGER_PATH, webhook), (GENERIC_PATH, generic))
    }
