"""Cache writes that do not wait for the disk.

The local store keeps caches beside the log — folded snapshots (``local_fold``), summaries
(``summaries``), timeline orders (``timeline``) — and writes them on read paths. Under
``synchronous=FULL`` each of those commits waits for an fsync, which on a busy disk costs
more than folding thousands of events.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cache_write(conn: sqlite3.Connection) -> Iterator[None]:
    """Commit a cache (a folded snapshot, summaries, a timeline order) without waiting
    for the disk: ``synchronous=NORMAL`` for its commit, ``FULL`` again after. A cache
    lost in a crash is folded again, so only the log's writes need the fsync, and a read
    — ``status``, ``list``, opening an incident — should not wait for one (on a busy
    disk a single fsync costs more than folding thousands of events). The WAL keeps the
    file consistent either way; the next durable commit syncs these pages too. Inside
    a transaction the level cannot change: the cache then commits with it."""
    relax = not conn.in_transaction
    if relax:
        conn.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        if relax:
            conn.execute("PRAGMA synchronous=FULL")
