"""``PostgresStorage``: several stateless ``warroom serve`` replicas on one database.

What is the same as the embedded backend is SQLite's: subscriptions and their backlog,
the token facade with its short cache, the revocation watch (``SQLiteStorage`` is the
base class; this one replaces its lifecycle, readers, writer and tables). What differs:

* appends go to this replica's writer thread (``writer``), which serialises them per
  incident with row locks and takes dense, commit-ordered global positions;
* readers use a ``psycopg_pool`` pool, one connection per reading thread at a time;
* live: each replica relays the committed feed to its own subscribers in position order
  (``relay``). Its own commits are relayed at once; another replica's reach it through a
  ``LISTEN`` hint (payload-free as far as it is concerned: a hint only says "read the
  feed"), and a safety poll reads the feed anyway every ``SAFETY_POLL_S``, so a dropped
  notification (a listener reconnecting, say) costs at most that delay.
"""

import asyncio
import uuid
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from warroom.core.chain import key_id
from warroom.server.postgres.group import NOTIFY_CHANNEL
from warroom.server.postgres.relay import Relay
from warroom.server.postgres.schema import by_key, connect, load_or_create_key, migrate
from warroom.server.postgres.tokens import PostgresTokens
from warroom.server.postgres.writer import Writer
from warroom.server.sqlite.store import REVOCATION_WATCH_S, SQLiteStorage
from warroom.server.storage import (
    PAGE_BYTES,
    FeedItem,
    FeedPage,
    IncidentPage,
    InvalidCursor,
)
from warroom.server.threads import Periodic

SAFETY_POLL_S = 0.5
"""The longest a missed LISTEN hint can delay another replica's events to a stream."""
POOL_MAX = 10

_PAGE = """
SELECT position, record, rows_read FROM (
    SELECT position, record,
           sum(octet_length(record)) OVER (ORDER BY position) AS upto,
           row_number() OVER (ORDER BY position) AS n,
           count(*) OVER () AS rows_read
    FROM ({rows}) AS page
) AS sized
WHERE n = 1 OR upto <= %(bytes)s
ORDER BY position
"""
"""Rows of ``rows`` (which selects ``position, record`` in order, limited) until their
records pass ``PAGE_BYTES`` (at least one row), measured in the database so a page never
brings more than that over the wire."""


_TAKE_LEASE = """
INSERT INTO leases (name, holder, expires_at)
VALUES (%s, %s, clock_timestamp() + make_interval(secs => %s))
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE leases.holder = excluded.holder OR leases.expires_at <= clock_timestamp()
RETURNING holder"""
"""Take, renew or fail to get a lease (see ``EventStorage.hold_lease``)."""

_CLAIM_DELIVERY = """
INSERT INTO delivery_claims (delivery_id, holder, lease_until)
VALUES (%s, %s, clock_timestamp() + make_interval(secs => %s))
ON CONFLICT (delivery_id) DO UPDATE SET holder = excluded.holder,
    lease_until = excluded.lease_until
WHERE delivery_claims.lease_until < clock_timestamp()
    OR delivery_claims.holder = excluded.holder
RETURNING delivery_id"""
"""Take or extend one delivery's claim (see ``EventStorage.claim_deliveries``)."""


def _bounded(conn: psycopg.Connection, rows: str, params: dict) -> tuple[list, bool]:
    """``(position, record)`` rows and whether the byte bound left none of them out."""
    found = conn.execute(_PAGE.format(rows=rows), {**params, "bytes": PAGE_BYTES}).fetchall()
    whole = not found or len(found) == found[0][2]
    return [(position, record) for position, record, _ in found], whole


class PostgresStorage(SQLiteStorage):
    """``EventStorage`` on the PostgreSQL database at ``url``."""

    def __init__(self, url: str, *, checkpoint_every: int = 100) -> None:  # no SQLite file
        self.url = url
        with connect(url, autocommit=True) as conn:
            migrate(conn)
            self.key = load_or_create_key(conn)
        self.public_key = self.key.public_key
        self.key_id = key_id(self.public_key)
        self.replica_id = uuid.uuid4().hex[:12]
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=POOL_MAX,
            kwargs={"autocommit": True, **by_key(url)},
            open=False,
            name=f"warroom-{self.replica_id}",
        )
        self._pool_open = False
        self._writer = Writer(
            url, self.key, self.key_id, checkpoint_every, self._published, self.replica_id
        )
        self._tokens = PostgresTokens(self._pooled())
        self._relay = Relay(self)
        self._listener = Periodic(
            "live-hints", self._relay.listen, 0.001, self._relay.stop_listening
        )
        self._revocations = Periodic(
            "revocation-watch", self._watch_revocations, REVOCATION_WATCH_S
        )
        self._revoked: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers = set()

    def _pooled(self) -> ConnectionPool:
        """The pool, opened on first use (token commands use it without ``start``)."""
        if not self._pool_open:
            self._pool.open()
            self._pool_open = True
        return self._pool

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._pooled()
        self._revoked = await asyncio.to_thread(self._tokens.revoked_ids)
        await self._relay.start(NOTIFY_CHANNEL)
        self._writer.start()
        self._listener.start()
        self._revocations.start()

    async def close(self) -> None:
        await asyncio.to_thread(self._writer.stop)
        await asyncio.to_thread(self._listener.stop)
        await asyncio.to_thread(self._revocations.stop)
        await self._relay.stop()
        if self._pool_open:
            await asyncio.to_thread(self._pool.close)
            self._pool_open = False

    def health(self) -> dict[str, dict[str, Any]]:
        threads = (self._writer.health, self._listener.health, self._revocations.health)
        return {health.name: health.report() for health in threads}

    # -- reading -------------------------------------------------------------------------

    def last_position(self) -> int:
        with self._pooled().connection() as conn:
            return conn.execute("SELECT pos FROM feed_head WHERE id = 1").fetchone()[0]

    def _feed(self, after: int, limit: int) -> FeedPage:
        with self._pooled().connection() as conn:
            if after and after > conn.execute("SELECT pos FROM feed_head").fetchone()[0]:
                raise InvalidCursor(
                    f"cursor {after} is ahead of this server's log: was its data replaced?"
                    " Use a fresh WARROOM_HOME to follow this server"
                )
            rows, whole = _bounded(
                conn,
                "SELECT pos AS position, record FROM events WHERE pos > %(after)s"
                " ORDER BY pos LIMIT %(limit)s",
                {"after": after, "limit": limit},
            )
        items = [FeedItem(position=g, cursor=str(g), record=r) for g, r in rows]
        last = items[-1].position if items else after
        return FeedPage(items=items, cursor=str(last), up_to_date=len(rows) < limit and whole)

    def _incident_log(self, incident_id: str, after: int, limit: int) -> IncidentPage | None:
        if "\x00" in incident_id:  # PostgreSQL text cannot hold NUL: no such incident
            return None
        with self._pooled().connection() as conn:
            head = conn.execute(
                "SELECT seq, hash FROM incident_heads WHERE incident_id = %s AND seq > 0",
                (incident_id,),
            ).fetchone()
            if head is None:
                return None
            rows, _ = _bounded(
                conn,
                "SELECT seq AS position, record FROM events WHERE incident_id = %(incident)s"
                " AND seq > %(after)s AND seq <= %(head)s ORDER BY seq LIMIT %(limit)s",
                {"incident": incident_id, "after": after, "head": head[0], "limit": limit},
            )
        next_after = rows[-1][0] if rows else after
        return IncidentPage(
            records=[r for _, r in rows],
            next_after=next_after,
            up_to_date=next_after >= head[0],
            head_seq=head[0],
            head_hash=head[1],
        )

    # -- leases --------------------------------------------------------------------------

    async def hold_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        return await asyncio.to_thread(self._hold_lease, name, holder, ttl_s)

    def _hold_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """One upsert, on the database's clock (replicas' clocks may differ); a
        concurrent one waits for the row and judges its newest version."""
        with self._pooled().connection() as conn:
            return bool(conn.execute(_TAKE_LEASE, (name, holder, ttl_s)).fetchall())

    async def release_lease(self, name: str, holder: str) -> None:
        await asyncio.to_thread(self._release_lease, name, holder)

    def _release_lease(self, name: str, holder: str) -> None:
        with self._pooled().connection() as conn:
            conn.execute("DELETE FROM leases WHERE name = %s AND holder = %s", (name, holder))

    # -- delivery claims -----------------------------------------------------------------

    def claim_deliveries(self, delivery_ids: list[str], holder: str, lease_s: float) -> set[str]:
        """One transaction a round; each upsert is atomic against every replica's."""
        won: set[str] = set()
        if not delivery_ids:
            return won
        with self._pooled().connection() as conn, conn.transaction():
            for delivery_id in delivery_ids:
                if conn.execute(_CLAIM_DELIVERY, (delivery_id, holder, lease_s)).fetchall():
                    won.add(delivery_id)
        return won

    def release_deliveries(self, delivery_ids: list[str], holder: str) -> None:
        with self._pooled().connection() as conn:
            conn.execute(
                "UPDATE delivery_claims SET lease_until = '-infinity'"
                " WHERE delivery_id = ANY(%s) AND holder = %s",
                (list(delivery_ids), holder),
            )

    # -- live ----------------------------------------------------------------------------

    def _published(self, items: tuple[FeedItem, ...]) -> None:
        """Called on the event loop after each commit, in the writer's wake-up that settles
        the group's futures: relay in position order."""
        self._relay.committed(items)
