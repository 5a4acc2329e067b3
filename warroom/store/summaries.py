"""One line per incident — what ``warroom list`` and the screen's picker show — kept
beside the events, so listing 10,000 incidents is one query instead of 10,000 folds.

A summary is a projection of the folded state (``LocalStore.state``), saved with the
``seq`` of the incident's newest row at the time. It is fresh while that row is still
the newest: an append, or sync moving rows behind remote ones (moved rows get new
``seq`` values), makes a newer row, so the summary is refolded — from the snapshot cache
plus the tail — on the next read. A rejection deletes a row, which can leave the newest
row in place, so ``Replica._invalidate`` drops the summaries that had folded it, exactly
as it drops snapshots. A summary is a cache: if it cannot be saved (a busy or read-only
home), the listing is still right, only not faster next time.
"""

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from warroom.core.errors import StoreError
from warroom.core.ids import RISK_PREFIX
from warroom.core.summary import IncidentSummary
from warroom.store.cache_write import cache_write
from warroom.store.local import LocalStore

if TYPE_CHECKING:  # only folding a stale summary needs the state model
    from warroom.core.state import IncidentState

SUMMARY_VERSION = 12001
"""The saved summaries' own version, apart from ``FOLD_VERSION``: bump it when
``summarize``'s fields change or a change to the fold changes what they hold (the
pinned summary in ``tests/store/test_summary_version.py`` fails until it is bumped).
A fold bump that changes only the snapshot's format or parts of the state a summary
never reads keeps every saved summary: refolding 10,000 incidents for the first listing
after one took 24 s. (12001 is what ``FOLD_VERSION * 1000 + 1`` gave at fold 12, so
summaries saved before the split stay in use.)"""


def summarize(state: "IncidentState") -> IncidentSummary:
    declared = state.milestones.get("declared")
    return IncidentSummary(
        id=state.id,
        title=state.title,
        severity=state.severity,
        status=state.status,
        phase=state.phase,
        commander=state.commander,
        drill=state.drill,
        declared_at=declared.isoformat() if declared else None,
        events=state.event_count,
    )


def summary_row(incident_id: str, newest: int, summary: IncidentSummary) -> tuple:
    """The ``summaries`` row of ``summary``, fresh while row ``newest`` is the newest."""
    return (incident_id, SUMMARY_VERSION, newest, json.dumps(asdict(summary)))


def incident_summaries(store: LocalStore) -> list[IncidentSummary]:
    """Every incident's summary, most recently active first; stale ones are refolded."""
    return [IncidentSummary(**record) for record in summary_records(store)]


def summary_records(store: LocalStore) -> list[dict]:
    """``incident_summaries`` as the dicts saved for them (``IncidentSummary``'s fields,
    in order): what ``warroom list --json`` prints, without an object made per line."""
    rows = store.conn.execute(
        "SELECT i.id, (SELECT MAX(seq) FROM events WHERE incident_id = i.id) AS newest,"
        " s.through_seq, s.summary FROM incidents i"
        " LEFT JOIN summaries s ON s.incident_id = i.id AND s.version = ?"
        f" WHERE i.id NOT LIKE '{RISK_PREFIX}%'"  # risks have a register of their own
        " ORDER BY newest DESC",
        (SUMMARY_VERSION,),
    ).fetchall()
    fresh = [saved for _, newest, through, saved in rows if saved and through == newest]
    decoded = iter(json.loads("[" + ",".join(fresh) + "]"))  # at once: half the cost
    found, refreshed = [], []
    for incident_id, newest, through, saved in rows:
        if saved and through == newest:
            found.append(next(decoded))
            continue
        summary = summarize(store.state(incident_id))
        found.append(asdict(summary))
        refreshed.append(summary_row(incident_id, newest, summary))
    if refreshed and not store.read_only:
        save_cache(store, "summaries", "summary", refreshed)
    return found


def save_cache(store: LocalStore, table: str, column: str, rows: list[tuple]) -> None:
    """Save (incident_id, version, through_seq, value) rows of a per-incident cache
    table; the follow-ups cache (``store/followups.py``) is kept the same way."""
    try:
        with cache_write(store.conn), store._transaction():
            store.conn.executemany(
                f"INSERT OR REPLACE INTO {table} (incident_id, version, through_seq, {column})"
                " VALUES (?, ?, ?, ?)",
                rows,
            )
    except StoreError:
        pass  # a cache: the next listing refolds what could not be saved
