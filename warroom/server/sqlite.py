"""The embedded backend: one SQLite file, one writer thread, group commit.

Durability: WAL with ``synchronous=FULL``, so an acknowledged event survives ``kill -9``
and power loss. Throughput: a single writer thread drains every push waiting in its
queue into one transaction (group commit), so fsync is paid once per group instead of
once per request — about 13% of throughput instead of 60% (``reference/``). Each push
runs in its own savepoint, so one failing push never takes its neighbours down.

Ordering: SQLite admits one writer at a time, so the global position (``gseq``, the feed
cursor) is the commit order and per-incident ``seq`` is dense; readers on their own
connections can never skip a committed event. The fold and the chain head of every
touched incident are cached in the writer; they are evicted whenever a savepoint or a
commit fails, and rebuilt from the database on next use.

Device counters: ``device_counters`` maps each ``(device_id, device_seq)`` the server has
seen — applied or rejected — to the event that used it, so the highest counter of a
device is one index lookup away. A new event that claims a pair another event holds is
refused (see ``storage.device_clash``); the claim is made in the push's savepoint, so it
commits or rolls back with the append it guards.

Schema: ``PRAGMA user_version`` counts the migrations applied; each runs once, in order,
in one transaction when the storage is opened, so an existing server's database is
brought up to date (and back-filled) on its first start with a newer warroom.
"""

import asyncio
import concurrent.futures
import hashlib
import json
import queue
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from warroom.core.chain import Head, canonical_text, checkpoint_message, key_id, link
from warroom.core.events import EVENT_LIST, Event, StatusChanged
from warroom.core.fold import apply, fold
from warroom.core.state import IncidentState
from warroom.core.timeparse import utcnow
from warroom.server.keys import ServerKey
from warroom.server.storage import (
    RESYNC,
    Admit,
    AppendResult,
    FeedItem,
    FeedPage,
    IncidentPage,
    InvalidCursor,
    Principal,
    StorageError,
    TokenInfo,
    TokenRole,
    device_clash,
)

DB_FILE = "server.db"
GROUP_MAX_EVENTS = 2000
"""At most this many events per group commit, so one transaction stays short."""
CHECKPOINT_EVERY_S = 1.0
"""How often the WAL is copied back into the database (see ``_checkpoint_loop``)."""
AUTH_CACHE_S = 1.0
"""How long a valid token is remembered without asking the database again."""
SUBSCRIBER_BACKLOG = 1000
"""Batches a slow subscriber may have queued before it is told to re-read the feed."""

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
"""Device counters (see the module docstring)."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (_SCHEMA_V1, _SCHEMA_V2)
SCHEMA_VERSION = len(MIGRATIONS)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def _migrate(path: Path) -> None:
    """Bring the database at ``path`` to ``SCHEMA_VERSION`` (see the module docstring)."""
    conn = _connect(path)
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


def hash_secret(secret: str) -> str:
    """Tokens are 256 random bits, so one SHA-256 is enough to store them safely."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class _Job:
    events: list[Event]
    admit: Admit
    token_id: str
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)


class _Subscription:
    def __init__(self, owner: "SQLiteStorage") -> None:
        self._owner = owner
        self.queue: asyncio.Queue[tuple[FeedItem, ...]] = asyncio.Queue()

    async def get(self) -> tuple[FeedItem, ...]:
        return await self.queue.get()

    def close(self) -> None:
        self._owner._subscribers.discard(self)


class SQLiteStorage:
    """``EventStorage`` on one SQLite file in ``data_dir``."""

    def __init__(
        self, data_dir: Path, *, checkpoint_every: int = 100, key: ServerKey | None = None
    ) -> None:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = data_dir / DB_FILE
        self.key = key or ServerKey.load_or_create(data_dir)
        self.public_key = self.key.public_key
        self.key_id = key_id(self.public_key)
        self.checkpoint_every = checkpoint_every
        _migrate(self.path)
        self._readers = threading.local()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._checkpointer: threading.Thread | None = None
        self._closing = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: set[_Subscription] = set()
        self._auth_cache: dict[str, tuple[Principal, float]] = {}
        # writer-thread state
        self._states: dict[str, IncidentState | None] = {}
        self._heads: dict[str, Head] = {}
        self._next_gseq = 0

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._closing.clear()
        self._writer = threading.Thread(target=self._write_loop, name="warroom-writer", daemon=True)
        self._writer.start()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="warroom-wal-checkpoint", daemon=True
        )
        self._checkpointer.start()

    async def close(self) -> None:
        self._closing.set()
        if self._writer is not None:
            self._jobs.put(None)
            await asyncio.to_thread(self._writer.join)
            self._writer = None
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.join)
            self._checkpointer = None

    def _checkpoint_loop(self) -> None:
        """Copy the WAL into the database off the writer's path.

        The writer has automatic checkpoints turned off: one inside its commit stalls every
        append waiting in the group (the 180 ms p99 in reference/sync-protocols.md §4b).
        A PASSIVE checkpoint here never blocks the writer or the readers.
        """
        conn = _connect(self.path)
        try:
            while not self._closing.wait(CHECKPOINT_EVERY_S):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    # -- reading -------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = self._readers.conn = _connect(self.path)
        return conn

    def parse_cursor(self, cursor: str | None) -> int:
        if cursor is None or cursor == "":
            return 0
        if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 18:
            raise InvalidCursor(f"bad cursor {cursor[:40]!r}: use one this server returned")
        return int(cursor)

    async def feed(self, after: int, limit: int) -> FeedPage:
        return await asyncio.to_thread(self._feed, after, limit)

    def _feed(self, after: int, limit: int) -> FeedPage:
        conn = self._reader()
        if (
            after
            and after > conn.execute("SELECT COALESCE(MAX(gseq), 0) FROM events").fetchone()[0]
        ):
            raise InvalidCursor(
                f"cursor {after} is ahead of this server's log: was its data replaced?"
                " Use a fresh WARROOM_HOME to follow this server"
            )
        rows = conn.execute(
            "SELECT gseq, record FROM events WHERE gseq > ? ORDER BY gseq LIMIT ?",
            (after, limit),
        ).fetchall()
        items = [FeedItem(position=g, cursor=str(g), record=r) for g, r in rows]
        last = items[-1].position if items else after
        return FeedPage(items=items, cursor=str(last), up_to_date=len(items) < limit)

    async def incident_log(self, incident_id: str, after: int, limit: int) -> IncidentPage | None:
        return await asyncio.to_thread(self._incident_log, incident_id, after, limit)

    def _incident_log(self, incident_id: str, after: int, limit: int) -> IncidentPage | None:
        conn = self._reader()
        head = conn.execute(
            "SELECT seq, hash FROM events WHERE incident_id = ? ORDER BY seq DESC LIMIT 1",
            (incident_id,),
        ).fetchone()
        if head is None:
            return None
        rows = conn.execute(
            "SELECT seq, record FROM events WHERE incident_id = ? AND seq > ? AND seq <= ?"
            " ORDER BY seq LIMIT ?",
            (incident_id, after, head[0], limit),
        ).fetchall()
        next_after = rows[-1][0] if rows else after
        return IncidentPage(
            records=[r for _, r in rows],
            next_after=next_after,
            up_to_date=next_after >= head[0],
            head_seq=head[0],
            head_hash=head[1],
        )

    def subscribe(self) -> _Subscription:
        sub = _Subscription(self)
        self._subscribers.add(sub)
        return sub

    def _publish(self, items: tuple[FeedItem, ...]) -> None:
        for sub in list(self._subscribers):
            if sub.queue.qsize() >= SUBSCRIBER_BACKLOG:
                sub.queue = asyncio.Queue()
                sub.queue.put_nowait(RESYNC)
            else:
                sub.queue.put_nowait(items)

    # -- tokens --------------------------------------------------------------------------

    async def authenticate(self, secret: str) -> Principal | None:
        """Look a token up, remembering valid ones for ``AUTH_CACHE_S`` (a revocation by
        ``warroom token revoke`` in another process takes effect within that time)."""
        digest = hash_secret(secret)
        now = time.monotonic()
        cached = self._auth_cache.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        found = await asyncio.to_thread(self._authenticate, digest)
        if found is None:
            self._auth_cache.pop(digest, None)
        else:
            self._auth_cache[digest] = (found, now + AUTH_CACHE_S)
        return found

    def _authenticate(self, digest: str) -> Principal | None:
        row = (
            self._reader()
            .execute(
                "SELECT id, name, role, device FROM tokens"
                " WHERE secret_hash = ? AND revoked_at IS NULL",
                (digest,),
            )
            .fetchone()
        )
        return Principal(token_id=row[0], name=row[1], role=row[2], device=row[3]) if row else None

    async def create_token(
        self, name: str, role: TokenRole, device: str = ""
    ) -> tuple[TokenInfo, str]:
        return await asyncio.to_thread(self._create_token, name, role, device)

    def _create_token(self, name: str, role: TokenRole, device: str) -> tuple[TokenInfo, str]:
        token_id = "tok-" + secrets.token_hex(4)
        secret = f"wr_{token_id.removeprefix('tok-')}_{secrets.token_urlsafe(32)}"
        now = utcnow()
        with _connect(self.path) as conn:
            conn.execute(
                "INSERT INTO tokens (id, secret_hash, name, role, device, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (token_id, hash_secret(secret), name, role, device, now.isoformat()),
            )
        return TokenInfo(token_id, name, role, device, now, None), secret

    async def list_tokens(self) -> list[TokenInfo]:
        return await asyncio.to_thread(self._list_tokens)

    def _list_tokens(self) -> list[TokenInfo]:
        rows = self._reader().execute(
            "SELECT id, name, role, device, created_at, revoked_at FROM tokens ORDER BY created_at"
        )
        return [
            TokenInfo(
                r[0],
                r[1],
                r[2],
                r[3],
                datetime.fromisoformat(r[4]),
                datetime.fromisoformat(r[5]) if r[5] else None,
            )
            for r in rows
        ]

    async def revoke_token(self, token_id: str) -> bool:
        self._auth_cache.clear()
        return await asyncio.to_thread(self._revoke_token, token_id)

    def _revoke_token(self, token_id: str) -> bool:
        with _connect(self.path) as conn:
            cursor = conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (utcnow().isoformat(), token_id),
            )
        return cursor.rowcount == 1

    # -- writing -------------------------------------------------------------------------

    async def append(self, events: list[Event], admit: Admit, token_id: str) -> list[AppendResult]:
        if self._writer is None:
            raise StorageError("the storage is not started")
        job = _Job(events, admit, token_id)
        self._jobs.put(job)
        return await asyncio.wrap_future(job.future)

    def _write_loop(self) -> None:
        conn = _connect(self.path)
        conn.execute("PRAGMA wal_autocheckpoint=0")  # see _checkpoint_loop
        self._reset_caches(conn)
        while True:
            job = self._jobs.get()
            if job is None:
                conn.close()
                return
            group = [job]
            size = len(job.events)
            while size < GROUP_MAX_EVENTS:
                try:
                    extra = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if extra is None:
                    self._jobs.put(None)
                    break
                group.append(extra)
                size += len(extra.events)
            self._commit_group(conn, group)

    def _reset_caches(self, conn: sqlite3.Connection) -> None:
        self._states.clear()
        self._heads.clear()
        self._next_gseq = conn.execute("SELECT COALESCE(MAX(gseq), 0) + 1 FROM events").fetchone()[
            0
        ]

    def _commit_group(self, conn: sqlite3.Connection, group: list[_Job]) -> None:
        outcomes: list[tuple[_Job, list[AppendResult] | BaseException]] = []
        published: list[FeedItem] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in group:
                conn.execute("SAVEPOINT push")
                mark, touched = self._next_gseq, set()
                try:
                    results, items = self._apply_job(conn, job, touched)
                    conn.execute("RELEASE push")
                except Exception as exc:  # one bad push must not sink the group
                    conn.execute("ROLLBACK TO push")
                    conn.execute("RELEASE push")
                    self._next_gseq = mark
                    for incident_id in touched:
                        self._states.pop(incident_id, None)
                        self._heads.pop(incident_id, None)
                    outcomes.append((job, exc))
                    continue
                outcomes.append((job, results))
                published.extend(items)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._reset_caches(conn)
            failure = StorageError(f"the server could not commit: {exc}")
            for job in group:
                job.future.set_exception(failure)
            return
        for job, outcome in outcomes:
            if isinstance(outcome, BaseException):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome)
        if published and self._loop is not None:
            self._loop.call_soon_threadsafe(self._publish, tuple(published))

    def _state(self, conn: sqlite3.Connection, incident_id: str) -> IncidentState | None:
        if incident_id not in self._states:
            rows = conn.execute(
                "SELECT record FROM events WHERE incident_id = ? ORDER BY seq", (incident_id,)
            ).fetchall()
            events = EVENT_LIST.validate_python([json.loads(r[0])["event"] for r in rows])
            self._states[incident_id] = fold(events) if events else None
        return self._states[incident_id]

    def _head(self, conn: sqlite3.Connection, incident_id: str) -> Head:
        if incident_id not in self._heads:
            row = conn.execute(
                "SELECT seq, hash FROM events WHERE incident_id = ? ORDER BY seq DESC LIMIT 1",
                (incident_id,),
            ).fetchone()
            self._heads[incident_id] = (
                Head(seq=row[0], hash=row[1]) if row else Head.start(incident_id)
            )
        return self._heads[incident_id]

    def _apply_job(
        self, conn: sqlite3.Connection, job: _Job, touched: set[str]
    ) -> tuple[list[AppendResult], list[FeedItem]]:
        results: list[AppendResult] = []
        items: list[FeedItem] = []
        now = utcnow().isoformat()
        for event in job.events:
            incident_id = event.incident_id
            known = conn.execute(
                "SELECT incident_id, seq, hash FROM events WHERE event_id = ?", (event.id,)
            ).fetchone()
            if known:
                results.append(
                    AppendResult(event.id, "applied", True, known[0], known[1], known[2])
                )
                continue
            refused = conn.execute(
                "SELECT incident_id, reason FROM rejections WHERE event_id = ?", (event.id,)
            ).fetchone()
            if refused:
                results.append(
                    AppendResult(event.id, "rejected", True, refused[0], reason=refused[1])
                )
                continue
            touched.add(incident_id)
            state = self._state(conn, incident_id)
            body = canonical_text(event)
            reason = self._claim_counter(conn, event) or job.admit(state, event)
            if reason:
                conn.execute(
                    "INSERT INTO rejections VALUES (?, ?, ?, ?, ?, ?)",
                    (event.id, incident_id, reason, body, job.token_id, now),
                )
                results.append(
                    AppendResult(event.id, "rejected", False, incident_id, reason=reason)
                )
                continue
            head = self._head(conn, incident_id)
            seq = head.seq + 1
            digest = link(head.hash, seq, body.encode())
            checkpoint = self._maybe_checkpoint(event, seq, digest)
            gseq = self._next_gseq
            record = (
                f'{{"cursor":"{gseq}","incident_id":{json.dumps(incident_id)},'
                f'"server_seq":{seq},"hash":"{digest}","event":{body},'
                f'"checkpoint":{checkpoint}}}'
            )
            conn.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (gseq, incident_id, seq, event.id, digest, job.token_id, now, record),
            )
            self._next_gseq += 1
            self._heads[incident_id] = Head(seq=seq, hash=digest)
            if state is None:
                self._states[incident_id] = fold([event])
            else:
                apply(state, event)
            results.append(AppendResult(event.id, "applied", False, incident_id, seq, digest))
            items.append(FeedItem(position=gseq, cursor=str(gseq), record=record))
        return results, items

    def _claim_counter(self, conn: sqlite3.Connection, event: Event) -> str | None:
        """Take the event's ``(device_id, device_seq)``; the reason to refuse it when
        another event holds them already (the caller has ruled out a retry)."""
        claimed = conn.execute(
            "INSERT INTO device_counters VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (event.device_id, event.device_seq, event.id),
        ).rowcount
        if claimed:
            return None
        holder, highest = conn.execute(
            "SELECT event_id, (SELECT MAX(device_seq) FROM device_counters WHERE device_id = ?)"
            " FROM device_counters WHERE device_id = ? AND device_seq = ?",
            (event.device_id, event.device_id, event.device_seq),
        ).fetchone()
        return device_clash(event.device_id, event.device_seq, holder, highest)

    def _maybe_checkpoint(self, event: Event, seq: int, digest: str) -> str:
        """Sign every ``checkpoint_every`` events and on resolution; JSON or ``null``."""
        resolved = isinstance(event.payload, StatusChanged) and event.payload.status == "resolved"
        if seq % self.checkpoint_every and not resolved:
            return "null"
        signed_at = utcnow()
        signature = self.key.sign(checkpoint_message(event.incident_id, seq, digest, signed_at))
        return json.dumps(
            {
                "incident_id": event.incident_id,
                "seq": seq,
                "head": digest,
                "signed_at": signed_at.isoformat(),
                "key_id": self.key_id,
                "signature": signature,
            },
            sort_keys=True,
        )
