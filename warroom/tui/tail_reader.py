"""The first screenful of a long incident, read before its fold (issue 11).

Opening an incident needs its folded state and its timeline order. Both come from caches
(the snapshot in ``warroom.store.local_fold``, the order in ``warroom.store.timeline``) plus
the rows behind them; without the caches — a home written before them, a bulk insert, a
``FOLD_VERSION`` bump — a million events take seconds to fold and to sort, and even
with them the snapshot of a long incident takes seconds to read. The reader then shows
the tail first: the newest rows straight from the store, and the title from
the declaration (a title is never changed after it), so the incident is on screen at
once; the fold and the order follow on the same thread and replace the preview whole.
These queries only read.
"""

import sqlite3
from array import array
from collections.abc import Callable

from warroom.tui.messages import Tail
from warroom.tui.rows import Row

COLD_ROWS = 5000
"""Rows behind the caches from which the tail is shown before the fold: below it the
fold and the order are quick enough to be the first thing shown."""

LONG_ROWS = 100_000
"""Rows from which the tail goes first even with fresh caches: the snapshot of a long
incident is itself long to read (a million events with 200,000 hypotheses: ~2 s)."""


def tail_first(conn: sqlite3.Connection, incident_id: str, through_seq: int) -> bool:
    """Whether opening ``incident_id`` shows its tail before its fold: at least
    ``COLD_ROWS`` rows to fold or to sort behind its caches, or ``LONG_ROWS`` in all
    (each counted only up to that many, so the count itself stays cheap)."""
    from warroom.store.local import FOLD_VERSION
    from warroom.store.timeline import CACHE_VERSION

    snapshot = conn.execute(
        "SELECT through_seq FROM snapshots WHERE incident_id = ? AND fold_version = ?",
        (incident_id, FOLD_VERSION),
    ).fetchone()
    order = conn.execute(
        "SELECT through_seq FROM timeline_cache"
        " WHERE incident_id = ? AND version = ? AND through_seq <= ?",
        (incident_id, CACHE_VERSION, through_seq),
    ).fetchone()
    cached = min(snapshot[0] if snapshot else 0, order[0] if order else 0)
    return (
        _rows_between(conn, incident_id, cached, through_seq, COLD_ROWS) >= COLD_ROWS
        or _rows_between(conn, incident_id, 0, through_seq, LONG_ROWS) >= LONG_ROWS
    )


def _rows_between(
    conn: sqlite3.Connection, incident_id: str, after: int, through: int, most: int
) -> int:
    """The incident's rows with ``after < seq <= through``, counted up to ``most``."""
    (count,) = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM events"
        " WHERE incident_id = ? AND seq > ? AND seq <= ? LIMIT ?)",
        (incident_id, after, through, most),
    ).fetchone()
    return count


def tail(
    conn: sqlite3.Connection,
    incident_id: str,
    through_seq: int,
    count: int,
    to_rows: Callable[[list[tuple[int, str]]], list[Row]],
) -> Tail:
    """The ``Tail`` message: the newest ``count`` rows, in timeline order, and the title."""
    rows = to_rows(tail_bodies(conn, incident_id, through_seq, count))
    rows.sort(key=lambda row: row.order_key)
    seqs = array("q", (row.seq for row in rows))
    stamps = array("d", (row.order_key[0] for row in rows))
    return Tail(incident_id, declared_title(conn, incident_id), seqs, stamps, rows)


def tail_bodies(
    conn: sqlite3.Connection, incident_id: str, through_seq: int, count: int
) -> list[tuple[int, str]]:
    """The incident's newest ``count`` rows up to ``through_seq``, oldest first: (seq,
    body). Newest by ``seq``: the order of occurrence comes with the fold, and rows are
    nearly always recorded in the order they happen."""
    rows = conn.execute(
        "SELECT seq, body FROM events WHERE incident_id = ? AND seq <= ? ORDER BY seq DESC LIMIT ?",
        (incident_id, through_seq, count),
    ).fetchall()
    rows.reverse()
    return rows


def declared_title(conn: sqlite3.Connection, incident_id: str) -> str:
    """The title the incident was declared with ("" when its first row is not a
    declaration, e.g. a record caught up from its middle)."""
    from warroom.core.events import Declaration, Event

    row = conn.execute(
        "SELECT e.body FROM incidents i JOIN events e ON e.seq = i.first_seq WHERE i.id = ?",
        (incident_id,),
    ).fetchone()
    if row is None:
        return ""
    try:
        payload = Event.model_validate_json(row[0]).payload
    except ValueError:  # the fold will say what is wrong with it
        return ""
    return payload.title if isinstance(payload, Declaration) else ""
