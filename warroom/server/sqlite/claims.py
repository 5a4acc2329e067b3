"""Delivery claims: which process is sending a given delivery, for how long.

A dispatcher claims a delivery before it sends it, and only the holder of an unexpired
claim sends. Several ``warroom serve`` processes on one database therefore never send
the same delivery at once; when the holder dies mid-send, its lease runs out and another
(or the restarted one) claims it and sends again under the same delivery id, which the
receiver dedupes on. A claim is never deleted: the record's receipt, not the claim,
says a delivery is done, so a claim left behind costs one row.

The table lives in the server's database but outside its migrations (``CREATE TABLE IF
NOT EXISTS``): it holds no part of the record. A room without a server keeps the same
table in a file of its own (``notify/solo.py``).
"""

import sqlite3
import threading
import time
from pathlib import Path

from warroom.server.sqlite.schema import connect

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


class SQLiteClaims:
    """Claims with leases in one SQLite file; safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        conn = self._conn()
        conn.execute(_TABLE)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
        return conn

    def claim(self, delivery_id: str, holder: str, lease_s: float) -> bool:
        """Take (or extend) the claim on ``delivery_id`` for ``lease_s`` seconds; False
        while another holder's lease runs. One statement, so two processes racing for
        the same delivery cannot both win."""
        now = time.time()
        conn = self._conn()
        cursor = conn.execute(_CLAIM, (delivery_id, holder, now + lease_s, now))
        return cursor.rowcount == 1

    def release(self, delivery_id: str, holder: str) -> None:
        """Let the lease go at once (after the receipt is recorded, or on a failure)."""
        self._conn().execute(
            "UPDATE delivery_claims SET lease_until = 0 WHERE delivery_id = ? AND holder = ?",
            (delivery_id, holder),
        )

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
