"""The dispatcher inside ``warroom serve``: the server's storage as its record.

``serve_dispatcher`` wires it in (the CLI calls it); ``ServedRecord`` is the record.

It follows the storage's feed (as a client would, from its own cursor), folds each
incident that may owe a delivery — from its log, once the first page or notice of it
shows in the feed, then entry by entry — and appends receipts as the server (``ServerAuthor``, actor
``warroom``) through the same ``append`` and access rules as any push, so the receipts
are sequenced, chained and streamed to every client. Its claims are the
storage's (``EventStorage.claim_delivery``), shared by every process on the database.

Every other incident's entries (a storm's alerts, most of all) are passed over on a
look at their text, not decoded, validated and folded: the record of an incident holds
a page or a notice only in an entry whose text has the kind as a quoted string
(``SUBJECT_MARKS``), so an entry without one, of an incident not folded, changes nothing
the dispatcher reads.

The dispatcher runs on a thread of its own (``Periodic``: it survives its errors and
reports on ``/v1/health``), reaching the storage's coroutines on the server's loop.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from warroom.core import events as ev
from warroom.core.delivery import SUBJECT_KINDS, Subject, page_of
from warroom.core.fold import apply
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.notify.channels import CHANNELS_FILE, load_channels
from warroom.notify.dispatcher import DISPATCHER_ACTOR, Dispatcher, Receipt
from warroom.notify.subscriptions import load_subscriptions
from warroom.notify.wiring import dispatcher_for
from warroom.server.authored import ServerAuthor
from warroom.server.open_view import PAGE, incident_of
from warroom.server.storage import EventStorage
from warroom.server.threads import Periodic

STORAGE_CALL_S = 30.0
SUBJECT_MARKS = tuple(f'"{kind}"' for kind in sorted(SUBJECT_KINDS))
"""Text an entry that may owe a delivery holds (its kind, a quoted JSON string)."""


class ServedRecord:
    """``Record`` over an ``EventStorage``, used from the dispatcher's thread."""

    def __init__(
        self,
        storage: EventStorage,
        loop: asyncio.AbstractEventLoop,
        policy: Policy,
        author: ServerAuthor,
    ) -> None:
        self.storage, self.loop, self.policy, self.author = storage, loop, policy, author
        self._after = 0
        self._states: dict[str, IncidentState] = {}
        self._pages: dict[str, dict[str, Subject]] = {}
        """Incidents that may owe a delivery, with their pages."""

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(STORAGE_CALL_S)

    def refresh(self) -> None:
        while True:
            page = self._call(self.storage.feed(self._after, 1000))
            for item in page.items:
                incident_id = incident_of(item.record)  # None: not plainly there, decode
                if (
                    incident_id is not None
                    and incident_id not in self._states
                    and not any(mark in item.record for mark in SUBJECT_MARKS)
                ):
                    continue  # nothing the dispatcher reads (module docstring)
                event = ev.Event.model_validate(json.loads(item.record)["event"])
                if event.incident_id not in self._states and event.kind in SUBJECT_KINDS:
                    self._load(event.incident_id)
                if event.incident_id in self._states:
                    self._ingest(event)
            self._after = self.storage.parse_cursor(page.cursor)
            if page.up_to_date:
                return

    def _load(self, incident_id: str) -> None:
        """Fold an incident from its log, which may run ahead of the feed: the fold
        passes over an entry it has seen when the feed brings it."""
        self._states[incident_id] = IncidentState(id=incident_id)
        after = 0
        while True:
            page = self._call(self.storage.incident_log(incident_id, after, PAGE))
            if page is None:
                return
            for record in page.records:
                self._ingest(ev.Event.model_validate(json.loads(record)["event"]))
            after = page.next_after
            if page.up_to_date:
                return

    def _ingest(self, event: ev.Event) -> None:
        apply(self._states[event.incident_id], event)
        if event.kind in SUBJECT_KINDS:
            pages = self._pages.setdefault(event.incident_id, {})
            if (page := page_of(event)) is not None:
                pages[page.subject_id] = page

    def pending(self) -> Iterable[tuple[IncidentState, list[Subject]]]:
        for incident_id, pages in self._pages.items():
            yield self._states[incident_id], list(pages.values())

    def state(self, incident_id: str) -> IncidentState:
        return self._states[incident_id]

    def write(self, incident_id: str, receipts: list[Receipt]) -> None:
        """Append an incident's receipts as the server, in one push; a failed append
        forgets what it folded (the feed is read again from the start)."""
        batch = self.author.batch(DISPATCHER_ACTOR, self.policy, self._states)
        for receipt in receipts:
            batch.room.record_delivery(
                incident_id, receipt.payload, event_id=receipt.event_id, at=receipt.at
            )
        try:
            self._call(batch.commit(self.storage))
        except BaseException:
            for touched in batch.touched:
                self._states.pop(touched, None)
            self._after = 0
            raise


def serve_dispatcher(
    app: FastAPI,
    storage: EventStorage,
    author: ServerAuthor,
    home: Path,
    policy: Policy,
    *,
    every_s: float,
    **options: float,
) -> None:
    """Deliver from ``warroom serve``: a dispatcher over the server's storage, its claims
    in that storage (``claim_deliveries``), run beside ``app`` for as long as it serves —
    started after the storage, stopped before it. ``home``'s channel book and
    subscriptions are read now, so a broken file stops ``serve`` with its file:line;
    without a channel book there is nothing to deliver through, and no dispatcher."""
    if not (home / CHANNELS_FILE).is_file():
        return
    load_channels(home)
    load_subscriptions(home)

    def make(record: ServedRecord) -> Dispatcher:
        return dispatcher_for(home, record, storage, policy, **options)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with inner(app) as state:
            dispatcher = make(ServedRecord(storage, asyncio.get_running_loop(), policy, author))
            job = Periodic("notify", dispatcher.tick, every_s)
            job.start()
            try:
                yield state
            finally:
                await asyncio.to_thread(job.stop)
                await asyncio.to_thread(dispatcher.close)

    app.router.lifespan_context = lifespan
