"""``SQLiteStorage``: the embedded backend, one SQLite file in the server's data folder.

This module holds what the HTTP layer calls: the lifecycle of the background threads,
the readers (feed, one incident's log), subscriptions and tokens. Appends go to the one
writer thread (``writer``), which owns sequencing and group commit; the schema and its
migrations are in ``schema``, token storage in ``tokens``.

Background threads — the writer, the WAL checkpoint, the revocation watch — survive
their errors and report in ``health`` (``threads``).

Revocation reaches open streams: every subscription knows its token, and a revoked
token's subscriptions are ended at once when it was revoked over HTTP, and within
``REVOCATION_WATCH_S`` when ``warroom token revoke`` did it from another process.
"""

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

from warroom.core.chain import key_id
from warroom.core.events import Event
from warroom.notify.claims import SQLiteClaims
from warroom.server.keys import ServerKey
from warroom.server.sqlite.leases import Leases
from warroom.server.sqlite.schema import DB_FILE, connect, make_private, migrate
from warroom.server.sqlite.tokens import TokenStore
from warroom.server.sqlite.writer import Writer
from warroom.server.storage import (
    PAGE_BYTES,
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
    TokenRevoked,
    TokenRole,
)
from warroom.server.threads import Periodic

CHECKPOINT_EVERY_S = 1.0
"""How often the WAL is copied back into the database (see ``_Checkpoints``)."""
REVOCATION_WATCH_S = 0.5
"""How often the tokens table is read for revocations made by another process."""
SUBSCRIBER_BACKLOG = 1000
"""Batches a slow subscriber may have queued before it is told to re-read the feed."""


class _Subscription:
    def __init__(self, owner: "SQLiteStorage", token_id: str) -> None:
        self._owner = owner
        self.token_id = token_id
        self.revoked = False
        self.queue: asyncio.Queue[tuple[FeedItem, ...]] = asyncio.Queue()

    async def get(self) -> tuple[FeedItem, ...]:
        batch = await self.queue.get()
        if self.revoked:
            raise TokenRevoked(self.token_id)
        return batch

    def ready(self) -> list[tuple[FeedItem, ...]]:
        queue, taken = self.queue, []
        while not queue.empty():
            taken.append(queue.get_nowait())
        return taken

    def revoke(self) -> None:
        """End this subscription: a waiting ``get`` raises ``TokenRevoked``."""
        self.revoked = True
        self.close()
        self.queue.put_nowait(RESYNC)

    def close(self) -> None:
        self._owner._subscribers.discard(self)


class _Rows(list[tuple[int, str]]):
    """Rows of a page; ``whole`` is False when ``PAGE_BYTES`` cut it short."""

    whole = True


def _bounded(conn: sqlite3.Connection, query: str, *params: object) -> _Rows:
    """``(position, record)`` rows of ``query`` — which selects those and the record's
    length in bytes — until their records pass ``PAGE_BYTES`` (at least one row, so a
    page always moves the cursor on)."""
    rows, size = _Rows(), 0
    cursor = conn.execute(query, params)
    try:  # left unfinished, the statement would hold this reader's snapshot open
        for position, record, length in cursor:
            size += length
            if rows and size > PAGE_BYTES:
                rows.whole = False
                break
            rows.append((position, record))
    finally:
        cursor.close()
    return rows


class _Checkpoints:
    """Copy the WAL into the database off the writer's path, on a thread of its own.

    The writer has automatic checkpoints turned off: one inside its commit stalls every
    append waiting in the group (the 180 ms p99 in reference/sync-protocols.md §4b).
    A PASSIVE checkpoint here never blocks the writer or the readers.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def run(self) -> None:
        self._conn = self._conn or connect(self.path)
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


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
        make_private(self.path)
        migrate(self.path)
        self._readers = threading.local()
        self._writer = Writer(self.path, self.key, self.key_id, checkpoint_every, self._publish)
        self._tokens = TokenStore(self.path, self._reader)
        self._checkpoints = _Checkpoints(self.path)
        self._leases = Leases(self.path)
        self._checkpointer = Periodic(
            "wal-checkpoint", self._checkpoints.run, CHECKPOINT_EVERY_S, self._checkpoints.close
        )
        self._revocations = Periodic(
            "revocation-watch", self._watch_revocations, REVOCATION_WATCH_S
        )
        self._revoked: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: set[_Subscription] = set()
        self._claims = SQLiteClaims(self.path)

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._revoked = await asyncio.to_thread(self._tokens.revoked_ids)
        self._writer.start()
        self._checkpointer.start()
        self._revocations.start()

    async def close(self) -> None:
        await asyncio.to_thread(self._writer.stop)
        await asyncio.to_thread(self._checkpointer.stop)
        await asyncio.to_thread(self._revocations.stop)
        await asyncio.to_thread(self._leases.close)

    def health(self) -> dict[str, dict[str, Any]]:
        """Each background thread's state (see ``threads.ThreadHealth.report``)."""
        threads = (self._writer.health, self._checkpointer.health, self._revocations.health)
        return {health.name: health.report() for health in threads}

    # -- reading -------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = self._readers.conn = connect(self.path)
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
        rows = _bounded(
            conn,
            "SELECT gseq, record, length(CAST(record AS BLOB)) FROM events WHERE gseq > ?"
            " ORDER BY gseq LIMIT ?",
            after,
            limit,
        )
        items = [FeedItem(position=g, cursor=str(g), record=r) for g, r in rows]
        last = items[-1].position if items else after
        return FeedPage(items=items, cursor=str(last), up_to_date=len(rows) < limit and rows.whole)

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
        rows = _bounded(
            conn,
            "SELECT seq, record, length(CAST(record AS BLOB)) FROM events"
            " WHERE incident_id = ? AND seq > ? AND seq <= ?"
            " ORDER BY seq LIMIT ?",
            incident_id,
            after,
            head[0],
            limit,
        )
        next_after = rows[-1][0] if rows else after
        return IncidentPage(
            records=[r for _, r in rows],
            next_after=next_after,
            up_to_date=next_after >= head[0],
            head_seq=head[0],
            head_hash=head[1],
        )

    def subscribe(self, token_id: str) -> _Subscription:
        sub = _Subscription(self, token_id)
        self._subscribers.add(sub)
        if token_id in self._revoked:  # revoked while its request was on the way
            sub.revoke()
        return sub

    def _publish(self, items: tuple[FeedItem, ...]) -> None:
        """Called on the event loop after each commit (``Writer``)."""
        for sub in list(self._subscribers):
            if sub.queue.qsize() >= SUBSCRIBER_BACKLOG:
                sub.queue = asyncio.Queue()
                sub.queue.put_nowait(RESYNC)
            else:
                sub.queue.put_nowait(items)

    # -- tokens --------------------------------------------------------------------------

    async def authenticate(self, secret: str) -> Principal | None:
        return await self._tokens.authenticate(secret)

    async def create_token(
        self, name: str, role: TokenRole, device: str = ""
    ) -> tuple[TokenInfo, str]:
        return await self._tokens.create(name, role, device)

    async def list_tokens(self) -> list[TokenInfo]:
        return await self._tokens.all()

    async def revoke_token(self, token_id: str, *, keep_an_admin: bool = False) -> bool:
        revoked = await self._tokens.revoke(token_id, keep_an_admin=keep_an_admin)
        if revoked:
            self._end_streams({token_id})
        return revoked

    def _watch_revocations(self) -> None:
        """On the watch thread: pass on revocations made by another process."""
        revoked = self._tokens.revoked_ids()
        if not revoked <= self._revoked and self._loop is not None:
            self._loop.call_soon_threadsafe(self._end_streams, revoked)

    def _end_streams(self, token_ids: set[str]) -> None:
        """On the event loop: end every subscription of a revoked token, forget it."""
        fresh = token_ids - self._revoked
        self._revoked |= fresh
        self._tokens.forget_cached()
        for sub in list(self._subscribers):
            if sub.token_id in fresh:
                sub.revoke()

    # -- leases --------------------------------------------------------------------------

    async def hold_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        return await asyncio.to_thread(self._leases.hold, name, holder, ttl_s)

    async def release_lease(self, name: str, holder: str) -> None:
        await asyncio.to_thread(self._leases.release, name, holder)

    # -- writing -------------------------------------------------------------------------

    async def append(self, events: list[Event], admit: Admit, token_id: str) -> list[AppendResult]:
        if not self._writer.running:
            raise StorageError("the storage is not started")
        return await self._writer.submit(events, admit, token_id)

    # -- delivery claims -----------------------------------------------------------------

    def claim_deliveries(self, delivery_ids: list[str], holder: str, lease_s: float) -> set[str]:
        return self._claims.claim(delivery_ids, holder, lease_s)

    def release_deliveries(self, delivery_ids: list[str], holder: str) -> None:
        self._claims.release(delivery_ids, holder)
