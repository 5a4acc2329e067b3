"""Leases in the server database: which server process runs the background jobs.

A lease is a row (name, holder, expiry). Taking one, renewing it and reading who holds
it is one ``INSERT … ON CONFLICT DO UPDATE … WHERE`` statement, atomic in SQLite, so
two processes asking at once cannot both get it. Expiry is wall-clock time: every
process of one SQLite server runs on the machine that holds its data folder.
"""

import sqlite3
import threading
import time
from pathlib import Path

from warroom.server.sqlite.schema import connect

_TAKE = """
INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4
RETURNING holder"""


class Leases:
    """The ``leases`` table on a connection of its own (never the writer's, so a lease
    renewal waits for no group commit), used from one thread at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self.path)
        return self._conn

    def hold(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take or renew ``name`` for ``holder`` until ``ttl_s`` from now, if it is free,
        expired or already ``holder``'s; whether ``holder`` holds it now."""
        now = time.time()
        with self._lock:
            # fetchall steps the statement to its end, which commits it (autocommit)
            rows = self._connection().execute(_TAKE, (name, holder, now + ttl_s, now)).fetchall()
        return bool(rows)

    def release(self, name: str, holder: str) -> None:
        """Give ``name`` up at once (a clean shutdown), if ``holder`` holds it."""
        with self._lock:
            self._connection().execute(
                "DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)
            )

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
