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
        self._seq = 0
        """The store's highest row read so far: a round reads only what came after it."""
        self._pages: dict[str, dict[str, Subject]] = {}
        """Incidents that may owe a delivery (a notice or an escalation on the record),
        with their pages."""
        self._states: dict[str, IncidentState] = {}
        """Their states, folded again only when their log grew."""

    def refresh(self) -> None:
        """Read the rows written since the last call (a solo home only appends)."""
        conn = self.room.store.conn
        top = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        if top == self._seq:
            return
        grown = conn.execute(
            "SELECT DISTINCT incident_id FROM events WHERE seq > ? AND seq <= ?",
            (self._seq, top),
        ).fetchall()
        for (incident_id,) in grown:
            for event in self.room.store.events(incident_id, after_seq=self._seq):
                if event.kind in SUBJECT_KINDS:
                    pages = self._pages.setdefault(incident_id, {})
                    if (page := page_of(event)) is not None:
                        pages[page.subject_id] = page
            if incident_id in self._pages:
                self._states[incident_id] = self.room.store.state(incident_id)
        self._seq = top

    def pending(self) -> Iterable[tuple[IncidentState, list[Subject]]]:
        for incident_id, pages in self._pages.items():
            yield self._states[incident_id], list(pages.values())

    def state(self, incident_id: str) -> IncidentState:
        return self._states[incident_id]

    def write(self, incident_id: str, receipts: list[Receipt]) -> None:
        for receipt in receipts:
            if self.room.store.event_ids_starting(incident_id, receipt.event_id):
                continue  # written already (a second session on this home got there first)
            self.room.record_delivery(
                incident_id, receipt.payload, event_id=receipt.event_id, at=receipt.at
            )
