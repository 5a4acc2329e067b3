"""``SQLiteStorage``: the embedded backend, one SQLite file in the server's data folder.

This module holds what the HTTP layer calls: the lifecycle of the background threads,
the readers (feed, one incident's log), subscriptions and tokens. Appends go to the one
writer thread (``writer``), which owns sequencing and group commit; the schema and its
migrations are in ``schema``, token storage in ``tokens``.
"""

import asyncio
import sqlite3
import threading
from pathlib import Path

from warroom.core.chain import key_id
from warroom.core.events import Event
from warroom.server.keys import ServerKey
from warroom.server.sqlite.schema import DB_FILE, connect, migrate
from warroom.server.sqlite.tokens import TokenStore
from warroom.server.sqlite.writer import Writer
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
)

CHECKPOINT_EVERY_S = 1.0
"""How often the WAL is copied back into the database (see ``_checkpoint_loop``)."""
SUBSCRIBER_BACKLOG = 1000
"""Batches a slow subscriber may have queued before it is told to re-read the feed."""


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
        migrate(self.path)
        self._readers = threading.local()
        self._writer = Writer(self.path, self.key, self.key_id, checkpoint_every, self._published)
        self._tokens = TokenStore(self.path, self._reader)
        self._checkpointer: threading.Thread | None = None
        self._closing = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: set[_Subscription] = set()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._closing.clear()
        self._writer.start()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="warroom-wal-checkpoint", daemon=True
        )
        self._checkpointer.start()

    async def close(self) -> None:
        self._closing.set()
        await asyncio.to_thread(self._writer.stop)
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.join)
            self._checkpointer = None

    def _checkpoint_loop(self) -> None:
        """Copy the WAL into the database off the writer's path.

        The writer has automatic checkpoints turned off: one inside its commit stalls every
        append waiting in the group (the 180 ms p99 in reference/sync-protocols.md §4b).
        A PASSIVE checkpoint here never blocks the writer or the readers.
        """
        conn = connect(self.path)
        try:
            while not self._closing.wait(CHECKPOINT_EVERY_S):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

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

    def _published(self, items: tuple[FeedItem, ...]) -> None:
        """Called by the writer thread after each commit."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._publish, items)

    def _publish(self, items: tuple[FeedItem, ...]) -> None:
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

    async def revoke_token(self, token_id: str) -> bool:
        return await self._tokens.revoke(token_id)

    # -- writing -------------------------------------------------------------------------

    async def append(self, events: list[Event], admit: Admit, who: Principal) -> list[AppendResult]:
        if not self._writer.running:
            raise StorageError("the storage is not started")
        return await asyncio.wrap_future(self._writer.submit(events, admit, who))
