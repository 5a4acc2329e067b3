"""The order of an incident's timeline — every event's ``seq`` sorted by when it happened
— read fast enough to open an incident of a million events in well under a second.

The screen keeps the whole order (two arrays, 16 bytes an entry) and pages the rows it
shows. Building it means reading every row's time, turning it into a timestamp and
sorting: seconds at a million rows in Python. So:

* SQLite turns the stored times into the very floats Python's ``datetime`` would
  (``STAMP_SQL``), and the rows arrive nearly sorted already (events are mostly
  recorded in the order they happen), which timsort finishes in linear time;
* the order is cached as two packed arrays (``timeline_cache``) once enough rows piled
  up behind it, like the folded snapshot: an open reads the blobs and sorts in only the
  rows written since. ``Replica._invalidate`` drops a cache that includes a row sync
  moved or deleted; a version bump drops every cache.
"""

import contextlib
import sqlite3
from array import array
from bisect import bisect_right
from datetime import datetime

from warroom.store.cache_write import cache_write

CACHE_VERSION = 1
CACHE_EVERY = 1000
"""Save the order once this many rows were sorted in behind the cached one."""
INSERT_AT_MOST = 256
"""Pairs merged by insertion (a memmove each); more are sorted in with the rest."""


def stamp_sql(column: str) -> str:
    """``stamp`` in SQL for a column of the store's times (``datetime.isoformat`` of an
    aware time: seconds, optional microseconds, ``+HH:MM``): whole seconds from SQLite's
    date parser (without the fraction, which SQLite would round to milliseconds), then
    microseconds divided as Python's ``timedelta.total_seconds`` does — exact integers
    and one correctly rounded division — so both give the same float. NULL for any
    other form."""
    return (
        f"(CAST(strftime('%s', substr({column}, 1, 19) || substr({column}, -6)) AS INTEGER)"
        f" * 1000000 + CASE WHEN substr({column}, 20, 1) = '.'"
        f" THEN CAST(substr({column}, 21, 6) AS INTEGER) ELSE 0 END) / 1000000.0"
    )


STAMP_SQL = stamp_sql("occurred_at")

Order = tuple[array, array]
"""(positions, timestamps) in timeline order: by time, then position."""


def stamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def sorted_order(keyed: list[tuple[float, int]]) -> Order:
    """Sort (timestamp, position) pairs into an ``Order`` (sorts ``keyed`` in place)."""
    keyed.sort()
    stamps, positions = zip(*keyed, strict=True) if keyed else ((), ())
    return array("q", positions), array("d", stamps)


def stamped(conn: sqlite3.Connection, query: str, params: tuple) -> list[tuple[float, int]]:
    """(timestamp, position) rows of ``query``, whose first column is ``{time}``: computed
    by SQLite, or read in Python for the rows whose time SQLite cannot read alike."""
    rows = conn.execute(query.format(time=STAMP_SQL), params).fetchall()
    if any(row[0] is None for row in rows):
        rows = [
            (stamp(at), position)
            for at, position in conn.execute(query.format(time="occurred_at"), params)
        ]
    return rows


def event_order(
    conn: sqlite3.Connection, incident_id: str, through_seq: int, *, keep: bool = False
) -> Order:
    """The incident's events up to ``through_seq`` in timeline order, from the cache
    plus the rows after it (saving a fresher cache when many were added, or with
    ``keep`` when any were: the end of a catch-up)."""
    cached = conn.execute(
        "SELECT through_seq, seqs, stamps FROM timeline_cache"
        " WHERE incident_id = ? AND version = ? AND through_seq <= ?",
        (incident_id, CACHE_VERSION, through_seq),
    ).fetchone()
    after, seqs, stamps = 0, array("q"), array("d")
    if cached is not None:
        after = cached[0]
        seqs.frombytes(cached[1])
        stamps.frombytes(cached[2])
    tail = stamped(
        conn,
        "SELECT {time}, seq FROM events WHERE incident_id = ? AND seq > ? AND seq <= ?"
        " ORDER BY seq",
        (incident_id, after, through_seq),
    )
    if len(tail) >= CACHE_EVERY or (keep and tail):
        # Saved as through the incident's own newest row, never a larger ``seq``: one
        # freed by deleting another incident's newest row is given to the next insert.
        newest = tail[-1][1]
        seqs, stamps = merge((seqs, stamps), tail)
        save_order(conn, incident_id, newest, (seqs, stamps))
        return seqs, stamps
    return merge((seqs, stamps), tail)


def merge(order: Order, keyed: list[tuple[float, int]]) -> Order:
    """``order`` with (timestamp, position) pairs sorted in: appended when they all come
    after it (the usual tail), inserted one by one when they are few (rejected entries),
    and otherwise everything is sorted afresh."""
    seqs, stamps = order
    keyed.sort()
    if not seqs:
        return sorted_order(keyed)
    if not keyed or keyed[0] > (stamps[-1], seqs[-1]):
        seqs.extend(position for _, position in keyed)
        stamps.extend(at for at, _ in keyed)
        return order
    if len(keyed) > INSERT_AT_MOST:
        return sorted_order(list(zip(stamps, seqs, strict=True)) + keyed)
    for at, position in keyed:
        index = bisect_right(stamps, at)
        while index > 0 and stamps[index - 1] == at and seqs[index - 1] > position:
            index -= 1
        seqs.insert(index, position)
        stamps.insert(index, at)
    return order


def save_order(conn: sqlite3.Connection, incident_id: str, through: int, order: Order) -> None:
    """Keep the order of the rows up to ``through`` for the next open; a cache, so a
    busy or read-only home skips it."""
    seqs, stamps = order
    with contextlib.suppress(sqlite3.OperationalError), cache_write(conn):
        conn.execute(
            "INSERT OR REPLACE INTO timeline_cache"
            " (incident_id, version, through_seq, seqs, stamps) VALUES (?, ?, ?, ?, ?)",
            (incident_id, CACHE_VERSION, through, seqs.tobytes(), stamps.tobytes()),
        )
