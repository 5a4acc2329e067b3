"""Keep an incident's read caches current where its events arrive in bulk: a catch-up.

Every reader of a long incident starts from caches — the folded snapshot
(``LocalStore.state``), the timeline order (``warroom.store.timeline``) and the
incident's summary line (``warroom.store.summaries``) — and folds or sorts only the rows
behind them. A fresh client that catches up on a million events has none of them, so
without this the first ``status`` folds a million events and the first screen open also
sorts them (23.6 s measured). ``CatchUpCaches`` brings them forward while the catch-up
runs: every time the rows behind the caches reach half of what they already cover (and
at least ``REFRESH_AT_LEAST``), and once at its end; the growing threshold keeps the
rewriting of the caches themselves linear in the incident's size.

The rows a page stored are still in memory (``Replica.take_stored``), so each page is
folded and its times sorted in as it is stored (``_Kept``), by the store's own fold
(``LocalStore.fold_onto``) and timeline merge: the same state and order a read of the
table gives, without reading back and decoding every row (the caches' CPU at 100k
events: 3.6 us an event that way, 1.7 us this one). A kept fold vouches only for rows
this connection stored itself, after rows the table already held: an incident whose
older rows moved or were rewritten (this device's own events came back), one with a
page of only known records, and every incident once another connection committed
anything (``PRAGMA data_version``: another sync process's page may sit between two of
this one's) are brought forward from the table instead, as before (``refresh``), and
kept again from the next page on.
"""

from dataclasses import dataclass
from datetime import datetime

from warroom.core.errors import StoreError
from warroom.core.ids import RISK_PREFIX
from warroom.core.state import IncidentState
from warroom.store.local import FoldRow, LocalStore
from warroom.store.replica import Stored
from warroom.store.summaries import save_cache, summarize, summary_row
from warroom.store.timeline import Order, event_order, merge, save_order

REFRESH_AT_LEAST = 250_000
"""Events ingested before the caches are brought forward during a catch-up: a catch-up
of up to this many folds once, at its end (each refresh during one also writes and
reads back a snapshot and a timeline order: about a third of the caches' cost at 100k
events with refreshes per 50k), and a longer one every quarter of a million or more."""


def refresh(store: LocalStore, incident_ids: set[str]) -> None:
    """Bring the snapshot, timeline order and summary of ``incident_ids`` up to their
    newest row from the table (each folds and sorts only what is behind it, and is saved
    even when that is only a few rows: nothing is left for the first reader to fold)."""
    summaries = []
    for incident_id in sorted(incident_ids):
        (newest,) = store.conn.execute(
            "SELECT MAX(seq) FROM events WHERE incident_id = ?", (incident_id,)
        ).fetchone()
        if newest is None:  # every entry refused: nothing to cache
            continue
        state = store.state(incident_id, keep=True)
        event_order(store.conn, incident_id, newest, keep=True)
        if not incident_id.startswith(RISK_PREFIX):  # risks are listed by their register
            summaries.append(summary_row(incident_id, newest, summarize(state)))
    if summaries:
        save_cache(store, "summaries", "summary", summaries)


@dataclass
class _Kept:
    """An incident folded and ordered through its row ``through`` during a catch-up."""

    state: IncidentState | None
    through: int
    order: Order


class CatchUpCaches:
    """Follows what one catch-up stored, and refreshes the caches on schedule."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.touched: set[str] = set()
        self.stale: set[str] = set()
        """Touched incidents whose rows behind the caches are not all in ``kept``."""
        self.kept: dict[str, _Kept] = {}
        self.behind = 0
        """Events ingested since the last refresh."""
        self.covered = 0
        """Events ingested up to the last refresh."""
        self.version = self._data_version()

    def ingested(self, stored: Stored, count: int) -> None:
        """Fold and order a stored page (``count`` new rows); refresh once enough piled
        up behind the caches."""
        self.touched |= stored.incidents
        self._others_committed()  # maybe between this page's rows: none of it is kept
        rows = _rows_by_incident(stored)
        for incident_id in stored.incidents:
            new = rows.get(incident_id)
            if (
                new is None
                or incident_id in stored.disturbed
                or incident_id in self.stale
                or not self._fold_on(incident_id, new)
            ):
                self._drop(incident_id)
        self.behind += count
        if self.behind >= max(REFRESH_AT_LEAST, self.covered // 2):
            self.finish()

    def finish(self) -> None:
        """Refresh what the catch-up touched (at its end, or on schedule)."""
        if self.behind and self.touched and not self.store.read_only:
            self._others_committed()
            for incident_id in self.touched - self.stale:
                (newest,) = self.store.conn.execute(
                    "SELECT MAX(seq) FROM events WHERE incident_id = ?", (incident_id,)
                ).fetchone()
                if newest != self.kept[incident_id].through:  # a row it did not see
                    self._drop(incident_id)
            self._save_kept(self.touched - self.stale)
            refresh(self.store, self.touched & self.stale)
        self.covered += self.behind
        self.behind = 0
        self.touched = set()
        self.stale = set()

    def _fold_on(self, incident_id: str, rows: list[FoldRow]) -> bool:
        """Fold and order ``rows`` onto the incident's kept fold (made from the table
        the first time); False if that fold cannot vouch for them: the table decides."""
        kept = self.kept.get(incident_id)
        if kept is None:
            kept = self._base(incident_id, rows[0][0])
            if kept is None:
                return False
            self.kept[incident_id] = kept
        elif rows[0][0] <= kept.through:
            return False
        try:
            kept.state, kept.through, _ = self.store.fold_onto(
                incident_id, rows, kept.state, kept.through
            )
        except StoreError:  # a row that does not decode: the table's fold says which
            return False
        # The fold's ids are what it checks repeats against, and every row it will be
        # given is new to ``events``, whose ids are unique: held from page to page they
        # only grew (a quarter of a million strings between two refreshes at 1M events).
        kept.state.seen_ids.clear()
        stamps = [(datetime.fromisoformat(at).timestamp(), seq) for seq, _, _, at, _ in rows]
        kept.order = merge(kept.order, stamps)
        return True

    def _base(self, incident_id: str, first: int) -> _Kept | None:
        """The incident's fold and order from the table, up to the row before ``first``
        (the first this catch-up stored since the caches were last brought forward);
        None if a snapshot already covers that row."""
        cached, through = self.store.snapshot(incident_id)
        if through >= first:
            return None
        state, _, _ = self.store.fold_rows(incident_id, through, cached, first - 1)
        return _Kept(state, first - 1, event_order(self.store.conn, incident_id, first - 1))

    def _save_kept(self, incident_ids: set[str]) -> None:
        """Save the kept folds and orders as the table's would be saved (``refresh``)."""
        summaries = []
        for incident_id in sorted(incident_ids):
            kept = self.kept[incident_id]
            self.store.save_snapshot(incident_id, kept.state, kept.through)
            save_order(self.store.conn, incident_id, kept.through, kept.order)
            if not incident_id.startswith(RISK_PREFIX):
                summaries.append(summary_row(incident_id, kept.through, summarize(kept.state)))
        if summaries:
            save_cache(self.store, "summaries", "summary", summaries)

    def _drop(self, incident_id: str) -> None:
        self.kept.pop(incident_id, None)
        self.stale.add(incident_id)

    def _others_committed(self) -> None:
        """Drop every kept fold if another connection committed since the last look."""
        version = self._data_version()
        if version != self.version:
            self.stale |= self.touched
            self.kept.clear()
            self.version = version

    def _data_version(self) -> int:
        return self.store.conn.execute("PRAGMA data_version").fetchone()[0]


def _rows_by_incident(stored: Stored) -> dict[str, list[FoldRow]]:
    """The stored rows of each incident, as the fold reads them, in ``seq`` order."""
    rows: dict[str, list[FoldRow]] = {}
    for first, run in stored.runs:  # (id, incident, kind, actor, occurred_at, ..., body, ...)
        for seq, row in enumerate(run, first):  # indexed: unpacking eleven took twice as long
            rows.setdefault(row[1], []).append((seq, row[2], row[0], row[4], row[8]))
    return rows
