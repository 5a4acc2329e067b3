"""The dispatcher's record in a room without a server: the local store, written through
``WarRoom`` like every other change, and claims in a file of their own in the home (the
same claim table a server keeps, so two sessions on one home send each delivery once)."""

from collections.abc import Iterable
from pathlib import Path

from warroom.actions import WarRoom
from warroom.core.delivery import SUBJECT_KINDS, Subject, page_of
from warroom.core.state import IncidentState
from warroom.notify.claims import SQLiteClaims
from warroom.notify.dispatcher import Receipt

CLAIMS_FILE = "deliveries.db"


class LocalClaims:
    """``Claims`` on ``deliveries.db`` in the home."""

    def __init__(self, home: Path) -> None:
        self._claims = SQLiteClaims(home / CLAIMS_FILE)

    def claim_deliveries(self, delivery_ids: list[str], holder: str, lease_s: float) -> set[str]:
        return self._claims.claim(delivery_ids, holder, lease_s)

    def release_deliveries(self, delivery_ids: list[str], holder: str) -> None:
        self._claims.release(delivery_ids, holder)

    def close(self) -> None:
        self._claims.close()


class LocalRecord:
    """The local store as the dispatcher's ``Record``; receipts go through ``room``."""

    def __init__(self, room: WarRoom) -> None:
        self.room = room
        self._counts: dict[str, int] = {}
        self._pages: dict[str, dict[str, Subject]] = {}
        """Incidents that may owe a delivery (a notice or an escalation on the record),
        with their pages."""

    def refresh(self) -> None:
        """Re-read every incident whose log grew since the last call."""
        store = self.room.store
        for incident_id in store.incident_ids():
            count = store.state(incident_id).event_count
            if self._counts.get(incident_id) == count:
                continue
            self._counts[incident_id] = count
            events = store.events(incident_id)
            if any(event.kind in SUBJECT_KINDS for event in events):
                pages = (page_of(event) for event in events)
                self._pages[incident_id] = {p.subject_id: p for p in pages if p is not None}

    def pending(self) -> Iterable[tuple[IncidentState, list[Subject]]]:
        for incident_id, pages in self._pages.items():
            yield self.state(incident_id), list(pages.values())

    def state(self, incident_id: str) -> IncidentState:
        return self.room.store.state(incident_id)

    def write(self, incident_id: str, receipts: list[Receipt]) -> None:
        for receipt in receipts:
            if self.room.store.event_ids_starting(incident_id, receipt.event_id):
                continue  # written already (a second session on this home got there first)
            self.room.record_delivery(
                incident_id, receipt.payload, event_id=receipt.event_id, at=receipt.at
            )
