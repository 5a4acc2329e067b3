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
batch rather than one per alert — and that next batch is decided while the one before
commits (on the view with its entries folded in), then committed once it has landed, so
deciding and the disk's commit overlap. Should a batch fail, each payload in it is tried
again alone, so one bad payload fails only itself, and the batch decided on it is
decided again. A batch the storage refuses (an incident closed between the decision and
the append) is 503: Alertmanager retries, and the retry is decided afresh.
"""

import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import BaseModel

from warroom.core.alert_eval import summary_of
from warroom.core.alerts import Alert, GenericAlert, WebhookPayload, from_generic, from_webhook
from warroom.core.errors import InvalidInput
from warroom.core.policy import Policy
from warroom.intake.apply import Applied, Runbooks, apply_alerts, intake_actor
from warroom.server import errors
from warroom.server.authored import Batch, BatchRefused, ServerAuthor
from warroom.server.errors import AUTHENTICATED
from warroom.server.fastpush import PushLane
from warroom.server.jsonbody import StrictJSONRoute
from warroom.server.open_view import OpenIncidentsView
from warroom.server.storage import EventStorage, Principal

MAX_BATCH_ALERTS = 2000
"""At most this many alerts decided and appended together."""
PIPELINE_RUN_S = 0.5
"""How long the desk keeps the view for a run of batches before it lets the ladder in."""


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


Waiting = list[tuple[list[Alert], asyncio.Future]]
"""Payloads queued for a decision, each with the future its request awaits."""


@dataclass
class _Decided:
    """A batch of payloads decided (its entries folded into the view) and not yet landed."""

    payloads: Waiting
    written: Batch
    applied: list[Applied] = field(default_factory=list)
    error: Exception | None = None
    """Why the decision failed (its folds are forgotten already)."""
    commit: asyncio.Task | None = None


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
        self._waiting: Waiting = []
        self._worker: asyncio.Task | None = None
        self._arrived = asyncio.Event()
        """Set when a payload joins ``_waiting`` (a run waiting on a commit decides it)."""

    async def receive(self, alerts: list[Alert]) -> list[Applied]:
        """What was done with each alert, once it is durably on the record."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((alerts, future))
        self._arrived.set()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        return await future

    async def _work(self) -> None:
        while self._waiting:
            async with self.view.deciding:
                await self._run()

    async def _run(self) -> None:
        """Batches in a pipeline, holding the view: each is decided while the one before
        it commits, and committed once that one has landed (so a batch is only ever
        committed on a record that holds what it was decided on). The run ends when
        nothing waits, after ``PIPELINE_RUN_S`` (the ladder gets its turn, and the view
        catches up on other writers' entries, which the storage meanwhile judges at the
        append: ``authored``), or on a failure, after which each payload is tried alone."""
        await self.view.catch_up()
        loop = asyncio.get_running_loop()
        until = loop.time() + PIPELINE_RUN_S
        flight: _Decided | None = None
        while True:
            if flight is not None and not self._waiting:
                await self._arrival_or(flight)
            upcoming = None
            if self._waiting and (flight is None or loop.time() < until):
                payloads = self._next_batch()
                alerts = [alert for each, _ in payloads for alert in each]
                upcoming = await self._decide(alerts, payloads)
            if flight is not None and not await self._land(flight):
                if upcoming is not None:  # decided on what did not land: decide again
                    await self.view.forget(upcoming.written.touched)
                    self._waiting[:0] = upcoming.payloads
                await self._alone(flight)
                return
            if upcoming is None:
                return
            if upcoming.error is not None:
                await self._alone(upcoming)
                return
            upcoming.commit = asyncio.ensure_future(upcoming.written.commit(self.storage))
            flight = upcoming

    async def _arrival_or(self, flight: _Decided) -> None:
        """Until a payload arrives or the batch in flight has landed."""
        assert flight.commit is not None
        self._arrived.clear()
        arrival = asyncio.ensure_future(self._arrived.wait())
        await asyncio.wait((flight.commit, arrival), return_when=asyncio.FIRST_COMPLETED)
        arrival.cancel()

    async def _decide(self, alerts: list[Alert], payloads: Waiting) -> _Decided:
        """Decide ``alerts`` (those of ``payloads``) on the view as it stands, folding
        their entries in ahead; a failure is kept in the result, its folds forgotten."""
        written = self.author.batch(intake_actor(alerts), self.policy, self.view.states)
        decided = _Decided(payloads, written)
        incidents = [summary_of(state) for state in self.view.states.values()]
        try:
            decided.applied = apply_alerts(written.room, alerts, incidents, self.runbooks)
        except Exception as exc:
            await self.view.forget(written.touched)
            decided.error = exc
            return decided
        self.view.folded_ahead(written.events)
        return decided

    async def _land(self, decided: _Decided) -> bool:
        """Wait for the batch's commit; answer its payloads if it is on the record, else
        forget what it folded and keep the failure for ``_alone``."""
        assert decided.commit is not None
        try:
            await decided.commit
        except Exception as exc:
            await self.view.forget(decided.written.touched)
            decided.error = exc
            return False
        start = 0
        for alerts, future in decided.payloads:
            future.set_result(decided.applied[start : start + len(alerts)])
            start += len(alerts)
        return True

    async def _alone(self, failed: _Decided) -> None:
        """A failed batch: a single payload fails with its error; of several, each is
        decided and committed alone, so only a bad one fails."""
        if len(failed.payloads) == 1:
            failed.payloads[0][1].set_exception(failed.error or RuntimeError("failed"))
            return
        for alerts, future in failed.payloads:
            try:
                future.set_result(await self._apply(alerts))
            except Exception as alone:
                future.set_exception(alone)

    def _next_batch(self) -> Waiting:
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
        """Decide and commit one payload on its own (the view is held by the caller)."""
        await self.view.catch_up()
        decided = await self._decide(alerts, [])
        if decided.error is not None:
            raise decided.error
        try:
            await decided.written.commit(self.storage)
        except BaseException:
            await self.view.forget(decided.written.touched)
            raise
        return decided.applied


ALERTMANAGER_PATH = "/v1/intake/alertmanager"
GENERIC_PATH = "/v1/intake/generic"
JSON = "application/json"


async def take(desk: IntakeDesk, alerts: list[Alert]) -> bytes:
    """What was done with each alert as the JSON of an ``IntakeResult``, or the route's
    refusal (503 retry, 422).

    Written with ``json.dumps`` in pydantic's own compact form: ``Applied`` holds the
    fields of ``AppliedAlert`` already, so building and serialising the models on every
    request only spent CPU to write the same bytes."""
    try:
        applied = await desk.receive(alerts)
    except BatchRefused as exc:
        raise HTTPException(503, f"the alerts could not be recorded now ({exc}); retry") from None
    except InvalidInput as exc:
        raise HTTPException(422, str(exc)) from None
    answer = {"alerts": [vars(one) for one in applied]}
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


def intake_router(
    desk: IntakeDesk, principal: Callable[..., Coroutine[Any, Any, Principal]]
) -> APIRouter:
    """The two intake routes; ``principal`` authenticates any role (intake included)."""
    router = APIRouter(route_class=StrictJSONRoute)  # malformed bodies: errors.install
    responses = {200: {"model": IntakeResult}, **errors.errors(*AUTHENTICATED, 403, 413)}

    async def intake_only(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role != "intake":
            raise HTTPException(
                403, f"only an intake token may post alerts; this is a {who.role} token"
            )
        return who

    Intake = Annotated[Principal, Depends(intake_only)]

    @router.post(ALERTMANAGER_PATH, responses=responses)
    async def alertmanager(body: WebhookPayload, who: Intake) -> Response:
        """A Prometheus Alertmanager webhook notification (version 4), or Grafana's
        webhook contact point (the same shape with ``values``, ``dashboardURL``, …)."""
        return Response(await take(desk, from_webhook(body)), media_type=JSON)

    @router.post(GENERIC_PATH, responses=responses)
    async def generic(body: GenericAlert, who: Intake) -> Response:
        """One alert in the generic form: ``summary`` (required), ``severity``,
        ``source``, ``dedup_key``, ``status`` (firing or resolved), ``labels``,
        ``annotations``, ``values``, ``links``."""
        return Response(await take(desk, [from_generic(body)]), media_type=JSON)

    return router


def intake_lanes(desk: IntakeDesk, **lane: Any) -> dict[str, PushLane]:
    """The intake routes' fast lanes (``fastpush``): a well-formed notification with an
    intake token is decided without FastAPI's layers, which cost more CPU per alert than
    the decision itself; anything else goes to the routes above, answered as before.
    ``lane`` is ``PushLane``'s storage and body and compression settings."""

    async def answer(alerts: list[Alert], who: Principal) -> bytes:
        return await take(desk, alerts)

    def webhook(body: Any) -> list[Alert]:
        return from_webhook(WebhookPayload.model_validate(body))

    def generic(body: Any) -> list[Alert]:
        return [from_generic(GenericAlert.model_validate(body))]

    return {
        path: PushLane(parse=parse, answer=answer, writers=("intake",), **lane)
        for path, parse in ((ALERTMANAGER_PATH, webhook), (GENERIC_PATH, generic))
    }
