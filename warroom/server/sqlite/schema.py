"""The server database's schema and its migrations.

``PRAGMA user_version`` counts the migrations applied; each runs once, in order, in one
transaction when the storage is opened, so an existing server's database is brought up
to date (and back-filled) on its first start with a newer warroom.
"""

import os
import sqlite3
from pathlib import Path

from warroom.server.storage import StorageError

DB_FILE = "server.db"

_SCHEMA_V1 = (
    """
CREATE TABLE IF NOT EXISTS events (
    gseq INTEGER PRIMARY KEY,
    incident_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL,
    token_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    record TEXT NOT NULL,
    UNIQUE (incident_id, seq)
)""",
    """
CREATE TABLE IF NOT EXISTS rejections (
    event_id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    body TEXT NOT NULL,
    token_id TEXT NOT NULL,
    received_at TEXT NOT NULL
)""",
    """
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT
)""",
)
"""The first schema, from before migrations were counted (``IF NOT EXISTS``: a database
made then is at version 0 and already has it)."""

_SCHEMA_V2 = (
    """
CREATE TABLE device_counters (
    device_id TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (device_id, device_seq)
) WITHOUT ROWID""",
    # Back-fill from what the server already holds, first come first kept: a clash that
    # slipped in before the check existed stays in the record, later ones are refused.
    """
INSERT OR IGNORE INTO device_counters
SELECT json_extract(record, '$.event.device_id'), json_extract(record, '$.event.device_seq'),
       event_id
FROM events ORDER BY gseq""",
    """
INSERT OR IGNORE INTO device_counters
SELECT json_extract(body, '$.device_id'), json_extract(body, '$.device_seq'), event_id
FROM rejections ORDER BY received_at, rowid""",
)
"""Device counters (see ``writer``)."""

_SCHEMA_V3 = (
    """
CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL
) WITHOUT ROWID""",
    # Each device belongs to the author of its first applied entry, first come first kept.
    """
INSERT OR IGNORE INTO devices
SELECT json_extract(record, '$.event.device_id'), json_extract(record, '$.event.actor')
FROM events ORDER BY gseq""",
    # A refused entry holds nothing: counters taken by rejections (a squatter's included)
    # are handed back.
    "DELETE FROM device_counters WHERE event_id NOT IN (SELECT event_id FROM events)",
)
"""Device owners; refused entries no longer hold counters (see ``writer``)."""

_SCHEMA_V4 = (
    """
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID""",
)
"""Leases: which server process runs the background jobs (see ``leases``)."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3, _SCHEMA_V4)
SCHEMA_VERSION = len(MIGRATIONS)


PRIVATE_SUFFIXES = ("", "-wal", "-shm", "-journal")
"""The database and the files SQLite keeps beside it: every one holds the record."""


def make_private(path: Path) -> None:
    """Create the database at ``path`` readable by this user alone, and take group and
    other access off it and its companions if a folder made earlier left them open.

    SQLite gives its WAL and shared-memory files the database file's mode, so creating
    the database as 0600 (whatever the umask) keeps every later one private too."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for suffix in PRIVATE_SUFFIXES:
        companion = path.with_name(path.name + suffix)
        try:
            if companion.stat().st_mode & 0o077:
                os.chmod(companion, 0o600)
        except FileNotFoundError:
            pass


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode on the WAL, every commit durable (``FULL``)."""
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def migrate(path: Path) -> None:
    """Bring the database at ``path`` to ``SCHEMA_VERSION`` (see the module docstring)."""
    conn = connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"{path} is from a newer warroom (schema {version}); upgrade warroom"
                )
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()
