"""Delivery claims: which process is sending a given delivery, for how long.

A dispatcher claims a delivery before it sends it, and only the holder of an unexpired
claim sends. Several ``warroom serve`` processes on one database therefore never send
the same delivery at once; when the holder dies mid-send, its lease runs out and another
(or the restarted one) claims it and sends again under the same delivery id, which the
receiver dedupes on. A claim is never deleted: the record's receipt, not the claim,
says a delivery is done, so a claim left behind costs one row.

The table lives in the server's database (``SQLiteStorage`` keeps its claims here) but
outside its migrations (``CREATE TABLE IF NOT EXISTS``): it holds no part of the record.
A room without a server keeps the same table in a file of its own (``notify/solo.py``).
"""

import sqlite3
import threading
import time
from pathlib import Path

_TABLE = """
CREATE TABLE IF NOT EXISTS delivery_claims (
    delivery_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    lease_until REAL NOT NULL
) WITHOUT ROWID"""

_CLAIM = """
INSERT INTO delivery_claims (delivery_id, holder, lease_until) VALUES (?, ?, ?)
ON CONFLICT (delivery_id) DO UPDATE SET holder = excluded.holder,
    lease_until = excluded.lease_until
WHERE delivery_claims.lease_until < ? OR delivery_claims.holder = excluded.holder"""


def _connect(path: Path) -> sqlite3.Connection:
    """Autocommit on the WAL, every commit durable: a claim must hold across a crash."""
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


class SQLiteClaims:
    """Claims with leases in one SQLite file; safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use (with the table made if missing):
        a storage that never delivers opens none."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _connect(self.path)
            conn.execute(_TABLE)
        return conn

    def claim(self, delivery_ids: list[str], holder: str, lease_s: float) -> set[str]:
        """Take (or extend) the claims on ``delivery_ids`` for ``lease_s`` seconds; the
        ids won — not those another holder's lease still covers. Each claim is one
        statement, so two processes racing for a delivery cannot both win; all of them
        commit together (one write to disk a round)."""
        if not delivery_ids:
            return set()
        now = time.time()
        conn = self._conn()
        won = set()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for delivery_id in delivery_ids:
                cursor = conn.execute(_CLAIM, (delivery_id, holder, now + lease_s, now))
                if cursor.rowcount == 1:
                    won.add(delivery_id)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return won

    def release(self, delivery_ids: list[str], holder: str) -> None:
        """Let ``holder``'s leases go at once (a failed attempt may be retried anywhere)."""
        if delivery_ids:
            self._conn().executemany(
                "UPDATE delivery_claims SET lease_until = 0 WHERE delivery_id = ? AND holder = ?",
                [(delivery_id, holder) for delivery_id in delivery_ids],
            )

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
