"""The escalation ladder in ``warroom serve``: ``LadderRunner`` over server-authored events.

Each ``tick(now)`` catches up on the open incidents (``open_view``), lets the runner fire
what is due through a ``WarRoom`` over one server-authored batch per incident
(``authored``), and appends each batch: a step's severity raise and its escalation land
together or not at all. The storage's admit runs ``check_append`` — which refuses a
step already on the record — so a server restarted after ``kill -9`` reads its firings
back from the feed and fires nothing twice, and a second server racing this one (before
the leader lease exists) loses the append instead of paging again.

``ServerLadder`` is one of the background jobs ``create_app`` registers: its ``tick``
runs on the leader-lease holder only (``leader``), so two replicas never page twice.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from warroom.actions import WarRoom
from warroom.core.ladder_runner import FINISHED, LADDER_ACTOR, Fired, LadderRunner, RoomSteps
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.server.authored import Batch, BatchRefused, ServerAuthor
from warroom.server.open_view import OpenIncidentsView
from warroom.server.storage import EventStorage

log = logging.getLogger(__name__)


class _BatchWriter(RoomSteps):
    """A ``StepWriter`` whose writes go into one batch per incident, committed later."""

    def __init__(self, author: ServerAuthor, policy: Policy, view: OpenIncidentsView) -> None:
        self.author, self.policy, self.view = author, policy, view
        self.batches: dict[str, Batch] = {}

    def active_states(self) -> Iterable[IncidentState]:
        return [s for s in self.view.states.values() if s.status not in FINISHED]

    def room_for(self, incident_id: str) -> WarRoom:
        batch = self.batches.get(incident_id)
        if batch is None:
            batch = self.author.batch(LADDER_ACTOR, self.policy, self.view.states)
            self.batches[incident_id] = batch
        return batch.room


class ServerLadder:
    """The ladder of one server: its own view of the open incidents, kept between ticks."""

    name = "ladder"

    def __init__(
        self,
        storage: EventStorage,
        policy: Policy,
        author: ServerAuthor,
        view: OpenIncidentsView | None = None,
    ) -> None:
        """``view`` is the server's view of its open incidents, shared with intake."""
        self.storage, self.policy, self.author = storage, policy, author
        self.view = view or OpenIncidentsView(storage)

    async def tick(self, now: datetime) -> list[Fired]:
        """Fire and append every step due at ``now``; what is durably on the record."""
        if not self.policy.escalations:
            return []
        async with self.view.deciding:  # intake decides on the same view: take turns
            return await self._tick(now)

    async def _tick(self, now: datetime) -> list[Fired]:
        await self.view.catch_up()
        writer = _BatchWriter(self.author, self.policy, self.view)
        fired = LadderRunner(writer).tick(now)
        committed: set[str] = set()
        for incident_id, batch in writer.batches.items():
            self.view.folded_ahead(batch.events)
            try:
                await batch.commit(self.storage)
            except BatchRefused as refusal:  # fired elsewhere meanwhile, or closed: refold
                log.info("ladder firing on %s not appended: %s", incident_id, refusal)
                await self.view.forget(batch.touched)
                continue
            except BaseException:
                await self.view.forget(batch.touched)
                raise
            committed.add(incident_id)
        return [f for f in fired if f.incident_id in committed]
