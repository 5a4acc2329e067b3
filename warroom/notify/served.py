"""The dispatcher inside ``warroom serve``: the server's storage as its record.

It follows the storage's feed (as a client would, from its own cursor), folds each
incident it has seen, and appends receipts as the server — actor ``warroom``, a device
of its own per process — through the same ``append`` and access rules as any push, so
the receipts are sequenced, chained and streamed to every client. Its claims are the
storage's (``EventStorage.claim_delivery``), shared by every process on the database.

The dispatcher runs on a thread of its own (``Periodic``: it survives its errors and
reports on ``/v1/health``), reaching the storage's coroutines on the server's loop.
"""

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from warroom.core import events as ev
from warroom.core.access import check_append
from warroom.core.delivery import Subject, subject_of
from warroom.core.fold import apply
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.core.timeparse import utcnow
from warroom.notify.dispatcher import DISPATCHER_ACTOR, Dispatcher
from warroom.server.storage import EventStorage, StorageError
from warroom.server.threads import Periodic

STORAGE_CALL_S = 30.0
TOKEN_ID = "notify"
"""What the storage records as the token of the receipts: the server itself."""


class ServedRecord:
    """``Record`` over an ``EventStorage``, used from the dispatcher's thread."""

    def __init__(self, storage: EventStorage, loop: asyncio.AbstractEventLoop, policy: Policy):
        self.storage, self.loop, self.policy = storage, loop, policy
        self.device_id = "notify-" + secrets.token_hex(6)
        self._device_seq = 0
        self._after = 0
        self._states: dict[str, IncidentState] = {}
        self._subjects: dict[str, dict[str, Subject]] = {}

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(STORAGE_CALL_S)

    def refresh(self) -> None:
        while True:
            page = self._call(self.storage.feed(self._after, 1000))
            for item in page.items:
                event = ev.Event.model_validate(json.loads(item.record)["event"])
                self._ingest(event)
            self._after = self.storage.parse_cursor(page.cursor)
            if page.up_to_date:
                return

    def _ingest(self, event: ev.Event) -> None:
        state = self._states.get(event.incident_id)
        if state is None:
            state = self._states[event.incident_id] = IncidentState(id=event.incident_id)
        apply(state, event)
        subject = subject_of(event)
        if subject is not None:
            self._subjects.setdefault(event.incident_id, {})[subject.subject_id] = subject

    def pending(self) -> Iterable[tuple[IncidentState, list[Subject]]]:
        for incident_id, subjects in self._subjects.items():
            yield self._states[incident_id], list(subjects.values())

    def state(self, incident_id: str) -> IncidentState:
        return self._states[incident_id]

    def write(self, incident_id: str, payload: ev._Payload, event_id: str, at: datetime) -> None:
        self._device_seq += 1
        event = ev.Event(
            id=event_id,
            incident_id=incident_id,
            actor=DISPATCHER_ACTOR,
            occurred_at=at,
            recorded_at=utcnow(),
            device_id=self.device_id,
            device_seq=self._device_seq,
            payload=payload,
        )

        def admit(state: IncidentState | None, proposed: ev.Event) -> str | None:
            return check_append(self.policy, state, proposed, author=DISPATCHER_ACTOR, admin=True)

        (result,) = self._call(self.storage.append([event], admit, TOKEN_ID))
        if result.status != "applied":
            raise StorageError(f"the receipt {event_id} was refused: {result.reason}")
        self._ingest(event)


def serve_deliveries(
    app: FastAPI,
    storage: EventStorage,
    policy: Policy,
    make: Callable[[ServedRecord], Dispatcher],
    every_s: float = 0.5,
) -> None:
    """Run a dispatcher beside ``app`` for as long as it serves: started after the
    storage, stopped before it. ``make`` builds the dispatcher over the served record."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with inner(app) as state:
            dispatcher = make(ServedRecord(storage, asyncio.get_running_loop(), policy))
            job = Periodic("notify", dispatcher.tick, every_s)
            job.start()
            try:
                yield state
            finally:
                await asyncio.to_thread(job.stop)
                await asyncio.to_thread(dispatcher.close)

    app.router.lifespan_context = lifespan
