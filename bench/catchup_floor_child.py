"""The floor of a fresh client's catch-up, for ``bench_catchup_floor.py``: what any client
must do to take the server's feed into a local SQLite file, written as plainly as
Python allows, with none of warroom's layers.

    .venv/bin/python bench/catchup_floor_child.py DATABASE URL TOKEN

Per page of ``/v1/events`` (gzip, the sizes warroom asks for): ``json.loads``; per event,
its canonical bytes (``json.dumps`` with sorted keys), the chain's hash checked against
the one before, and each checkpoint's Ed25519 signature checked; then the rows inserted
into a table with the columns and indexes of warroom's ``events`` (the chain's head and
the cursor beside them) in one transaction per page, WAL, ``synchronous=NORMAL``, as
warroom's ingest commits. What it leaves out is warroom's own work beyond the record:
the read caches, the settling of this device's own events, transactions per
``INGEST_CHUNK``. Everything is imported before the clock starts.

Prints {"pulled", "catch_up_s", "cpu_s"} as JSON, as ``catchup_child.py`` does.
"""

import base64
import hashlib
import json
import sqlite3
import sys
import time

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CHAIN_FORMAT = "warroom-chain/1"  # the protocol's constants (warroom.core.chain)
CHECKPOINT_ORIGIN = "warroom-checkpoint/1"
FIRST_PAGE, PAGE = 500, 5000  # warroom.sync.engine's page sizes
SCHEMA = (
    "CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, incident_id TEXT NOT NULL,"
    " kind TEXT NOT NULL, actor TEXT, occurred_at TEXT, recorded_at TEXT, device_id TEXT,"
    " device_seq INTEGER, body TEXT NOT NULL, server_seq INTEGER, hash TEXT)",
    "CREATE UNIQUE INDEX events_id ON events (id)",
    "CREATE INDEX events_incident_seq ON events (incident_id, seq)",
    "CREATE UNIQUE INDEX events_incident_server_seq ON events (incident_id, server_seq)",
    "CREATE TABLE heads (incident_id TEXT PRIMARY KEY, seq INTEGER, hash TEXT)",
    "CREATE TABLE checkpoints (incident_id TEXT, seq INTEGER, head TEXT, signed_at TEXT,"
    " key_id TEXT, signature TEXT, PRIMARY KEY (incident_id, seq))",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
)
INSERT = (
    "INSERT INTO events (id, incident_id, kind, actor, occurred_at, recorded_at, device_id,"
    " device_seq, body, server_seq, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def canonical(value: dict) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def main() -> None:
    database, url, token = sys.argv[1:4]
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for statement in SCHEMA:
        conn.execute(statement)
    http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
    key = Ed25519PublicKey.from_public_bytes(
        base64.b64decode(http.get("/v1/info").json()["public_key"])
    )
    cpu, start = time.process_time(), time.monotonic()
    heads: dict[str, tuple[int, str]] = {}
    cursor, size, pulled = None, FIRST_PAGE, 0
    while True:
        params = {"limit": size} if cursor is None else {"limit": size, "after": cursor}
        page = json.loads(http.get("/v1/events", params=params).content)
        rows, signed = [], []
        for item in page["items"]:
            event, incident, seq, digest = (
                item["event"],
                item["incident_id"],
                item["server_seq"],
                item["hash"],
            )
            text = canonical(event)
            at, previous = heads.get(incident) or (
                0,
                hashlib.sha256(f"{CHAIN_FORMAT}|{incident}".encode()).hexdigest(),
            )
            link = hashlib.sha256(bytes.fromhex(previous) + seq.to_bytes(8, "big") + text.encode())
            if seq != at + 1 or link.hexdigest() != digest:
                raise SystemExit(f"{incident}: the chain breaks at #{seq}")
            heads[incident] = (seq, digest)
            checkpoint = item.get("checkpoint")
            if checkpoint:
                message = {"origin": CHECKPOINT_ORIGIN, "incident_id": incident, "seq": seq}
                message.update(head=checkpoint["head"], signed_at=checkpoint["signed_at"])
                key.verify(base64.b64decode(checkpoint["signature"]), canonical(message).encode())
                signed.append(
                    (
                        incident,
                        seq,
                        checkpoint["head"],
                        checkpoint["signed_at"],
                        checkpoint["key_id"],
                        checkpoint["signature"],
                    )
                )
            rows.append(
                (
                    event["id"],
                    incident,
                    event["payload"]["kind"],
                    event["actor"],
                    event["occurred_at"],
                    event["recorded_at"],
                    event["device_id"],
                    event["device_seq"],
                    text,
                    seq,
                    digest,
                )
            )
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT, rows)
        conn.executemany("INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?, ?, ?)", signed)
        conn.executemany(
            "INSERT OR REPLACE INTO heads VALUES (?, ?, ?)",
            [(incident, seq, digest) for incident, (seq, digest) in heads.items()],
        )
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('cursor', ?)", (page["cursor"],))
        conn.execute("COMMIT")
        pulled += len(rows)
        cursor, size = page["cursor"], min(2 * size, PAGE)
        if page.get("up_to_date", True):
            break
    took, cpu = time.monotonic() - start, time.process_time() - cpu
    http.close()
    conn.close()
    print(json.dumps({"pulled": pulled, "catch_up_s": took, "cpu_s": cpu}))


if __name__ == "__main__":
    main()
