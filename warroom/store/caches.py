"""Keep an incident's read caches current where its events arrive in bulk: a catch-up.

Every reader of a long incident starts from caches — the folded snapshot
(``LocalStore.state``), the timeline order (``warroom.store.timeline``) and the
incident's summary line (``warroom.store.summaries``) — and folds or sorts only the rows
behind them. A fresh client that catches up on a million events has none of them, so
without this the first ``status`` folds a million events and the first screen open also
sorts them (23.6 s measured). ``CatchUpCaches`` brings them forward from the rows
ingested while the catch-up runs: every time the rows behind the caches reach half of
what they already cover (and at least ``REFRESH_AT_LEAST``), and once at its end. Each
refresh folds and sorts only the rows added since the previous one, and the growing
threshold keeps the rewriting of the caches themselves linear in the incident's size.
"""

from warroom.core.ids import RISK_PREFIX
from warroom.store.local import LocalStore
from warroom.store.summaries import save_cache, summarize, summary_row
from warroom.store.timeline import event_order

REFRESH_AT_LEAST = 250_000
"""Events ingested before the caches are brought forward during a catch-up: a catch-up
of up to this many folds once, at its end (each refresh during one also writes and
reads back a snapshot and a timeline order: about a third of the caches' cost at 100k
events with refreshes per 50k), and a longer one every quarter of a million or more."""


def refresh(store: LocalStore, incident_ids: set[str]) -> None:
    """Bring the snapshot, timeline order and summary of ``incident_ids`` up to their
    newest row (each folds and sorts only what is behind it, and is saved even when that
    is only a few rows: nothing is left for the first reader to fold)."""
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


class CatchUpCaches:
    """Counts what one catch-up ingested, and refreshes the caches on schedule."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.touched: set[str] = set()
        self.behind = 0
        """Events ingested since the last refresh."""
        self.covered = 0
        """Events ingested up to the last refresh."""

    def ingested(self, incident_ids: set[str], count: int) -> None:
        """Note a stored page; refresh once enough piled up behind the caches."""
        self.touched |= incident_ids
        self.behind += count
        if self.behind >= max(REFRESH_AT_LEAST, self.covered // 2):
            self.finish()

    def finish(self) -> None:
        """Refresh what the catch-up touched (at its end, or on schedule)."""
        if self.behind and self.touched and not self.store.read_only:
            refresh(self.store, self.touched)
        self.covered += self.behind
        self.behind = 0
        self.touched = set()
