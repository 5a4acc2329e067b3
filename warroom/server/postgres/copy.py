"""``warroom migrate``: move a SQLite server's data into an empty PostgreSQL database.

Everything is copied as it is, in one PostgreSQL transaction: the event records byte for
byte (so every hash and signed checkpoint stays valid), their global positions (the feed
cursor clients hold is the same number on the new server, so they carry on where they
were), tokens with their hashes (the same tokens keep working), device owners and
counters, rejections, and the signing key (the key clients pinned at login). Each
incident's chain is then verified from its genesis against that key before the copy
commits. The SQLite server should be stopped first: what it writes later is not copied.
"""

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from warroom.core.chain import ChainedEvent, ChainError, Checkpoint, verify_log
from warroom.core.errors import WarroomError
from warroom.server.keys import KEY_FILE, ServerKey
from warroom.server.postgres.schema import connect, migrate
from warroom.server.sqlite.schema import DB_FILE
from warroom.server.sqlite.schema import migrate as migrate_sqlite

_TABLES = {
    "events": ("gseq, incident_id, seq, event_id, hash, token_id, received_at, record", "gseq"),
    "rejections": ("event_id, incident_id, reason, body, token_id, received_at", "rowid"),
    "tokens": ("id, secret_hash, name, role, device, created_at, revoked_at", "rowid"),
    "devices": ("device_id, owner", "device_id"),
    "device_counters": ("device_id, device_seq, event_id", "device_id, device_seq"),
}
"""What is copied: SQLite columns in PostgreSQL's column order (``gseq`` becomes ``pos``),
and the order to read them in."""


@dataclass(frozen=True)
class Copied:
    counts: dict[str, int]
    incidents: int
    last_position: int
    public_key: str


def copy_sqlite(data_dir: Path, url: str) -> Copied:
    """Copy the SQLite server in ``data_dir`` into the database at ``url``."""
    path = data_dir / DB_FILE
    if not path.is_file():
        raise WarroomError(f"no SQLite server data in {data_dir} (no {DB_FILE} there)")
    migrate_sqlite(path)  # an older server's file is brought up to date first
    key = ServerKey.load_or_create(data_dir)
    pem = (data_dir / KEY_FILE).read_text("ascii")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        source.execute("BEGIN")  # one consistent snapshot of the source
        with connect(url, autocommit=True) as target:
            migrate(target)
            with target.transaction():
                return _copy(source, target, key, pem)
    finally:
        source.close()


def _copy(source: sqlite3.Connection, target, key: ServerKey, pem: str) -> Copied:
    (existing,) = target.execute("SELECT count(*) FROM events").fetchone()
    if existing:
        raise WarroomError(
            f"the database already holds {existing} events: migrate into an empty database"
        )
    target.execute("SELECT pos FROM feed_head FOR UPDATE")
    counts: dict[str, int] = {}
    for table, (columns, order) in _TABLES.items():
        target_columns = columns.replace("gseq", "pos")
        rows = source.execute(f"SELECT {columns} FROM {table} ORDER BY {order}")
        conflict = " ON CONFLICT DO NOTHING" if table == "tokens" else ""
        counts[table] = 0
        if conflict:  # a token made on the new database already stays
            for row in rows:
                target.execute(
                    f"INSERT INTO {table} ({target_columns}) VALUES"
                    f" ({', '.join(['%s'] * len(row))}){conflict}",
                    row,
                )
                counts[table] += 1
            continue
        with target.cursor().copy(f"COPY {table} ({target_columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                counts[table] += 1
    target.execute(
        "INSERT INTO incident_heads SELECT DISTINCT ON (incident_id) incident_id, seq, hash"
        " FROM events ORDER BY incident_id, seq DESC"
    )
    (last,) = target.execute(
        "UPDATE feed_head SET pos = (SELECT coalesce(max(pos), 0) FROM events) RETURNING pos"
    ).fetchone()
    target.execute(
        "INSERT INTO server_key VALUES (1, %s) ON CONFLICT (id) DO UPDATE SET pem = excluded.pem",
        (pem,),
    )
    incidents = _verify(target, key.public_key)
    return Copied(counts, incidents, last, key.public_key)


def _verify(target, public_key: str) -> int:
    """Verify every copied incident's chain and checkpoints; how many there are."""
    incidents = [row[0] for row in target.execute("SELECT incident_id FROM incident_heads")]
    for incident_id in incidents:
        chained, checkpoints = [], []
        for (raw,) in target.execute(
            "SELECT record FROM events WHERE incident_id = %s ORDER BY seq", (incident_id,)
        ):
            record = json.loads(raw)
            chained.append(
                ChainedEvent(
                    server_seq=record["server_seq"], hash=record["hash"], event=record["event"]
                )
            )
            if record.get("checkpoint"):
                checkpoints.append(Checkpoint.model_validate(record["checkpoint"]))
        try:
            verify_log(incident_id, chained, checkpoints, public_key)
        except ChainError as exc:
            raise WarroomError(f"nothing was copied: the source does not verify: {exc}") from None
    return len(incidents)
