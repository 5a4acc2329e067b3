"""Live events on one replica: the committed feed, relayed in position order.

Subscribers drop positions at or below the last they sent, so a batch must never carry
a position lower than one already relayed, or that event would be skipped for good. The
relay therefore keeps ``seen``, the last position it passed on: a commit of this
replica's own writer that continues exactly from ``seen`` goes out at once; anything
else — a gap left by another replica's commit, a ``LISTEN`` hint, the safety poll —
makes it read the feed from ``seen`` (one reader for all subscribers) and relay what it
finds. Hints are coalesced: while a read is running, more hints just ask for one more.

Nothing is read for nobody: while the replica has no subscriber, ``seen`` just moves to
the last position known committed (a commit of its own, a hint's position, or the feed
head on a safety poll), since positions are dense and in commit order, everything up to
it is committed. A subscriber that comes later reads the feed from its own cursor after
subscribing, so it gets what ``seen`` passed over from there; and ``seen`` moves only
while nobody is subscribed, judged at the moment it moves, on the event loop. A hint at
or below ``seen`` reads nothing either (two replicas at load: most of them). With nobody
subscribed the listener does not even pass each hint on: it looks at what came in every
``QUIET_LOOK_S`` and moves ``seen`` once for them all.
"""

import asyncio
import contextlib
import logging
import time
from typing import Protocol

import psycopg

from warroom.server.storage import FeedItem, FeedPage

log = logging.getLogger("warroom.server")

RELAY_PAGE = 1000
LISTEN_WINDOW_S = 0.5
"""How long the listener waits for hints before it polls the feed anyway."""
QUIET_LOOK_S = 0.05
"""While nobody is subscribed, how often the listener looks at the hints that came in
(each would otherwise wake it and the event loop, once per commit of every replica, to
move ``seen`` on); the delay a first subscriber's first hinted events may see."""


class Relayed(Protocol):
    """What the relay needs of its storage (``PostgresStorage``)."""

    url: str
    replica_id: str
    _loop: asyncio.AbstractEventLoop | None

    _subscribers: set

    async def feed(self, after: int, limit: int) -> FeedPage: ...

    def last_position(self) -> int: ...

    def _publish(self, items: tuple[FeedItem, ...]) -> None: ...


class Relay:
    def __init__(self, storage: Relayed) -> None:
        self._storage = storage
        self.seen = 0
        self._reading = False
        self._again = False
        self._task: asyncio.Task | None = None
        self._channel = ""
        self._listen_conn: psycopg.Connection | None = None

    async def start(self, channel: str) -> None:
        self._channel = channel
        self.seen = await asyncio.to_thread(self._storage.last_position)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    # -- on the event loop ---------------------------------------------------------------

    def committed(self, items: tuple[FeedItem, ...]) -> None:
        """This replica's writer committed ``items``."""
        fresh = tuple(item for item in items if item.position > self.seen)
        if not fresh or self._passed_over(fresh[-1].position):
            return
        if not self._reading and fresh[0].position == self.seen + 1:
            self.seen = fresh[-1].position
            self._storage._publish(fresh)
        else:
            self.hint(fresh[-1].position)

    def hint(self, upto: int | None = None) -> None:
        """Something may have been committed after ``seen`` (up to ``upto``, when the
        hint says; ``None``: a safety poll): read and relay it."""
        if upto is not None and (upto <= self.seen or self._passed_over(upto)):
            return
        if self._reading:
            self._again = True
            return
        self._reading = True
        self._task = asyncio.get_running_loop().create_task(self._read())

    def _passed_over(self, committed: int) -> bool:
        """With nobody subscribed, move ``seen`` to ``committed`` (a position known
        committed, with every one before it) instead of reading: whether it did."""
        if self._storage._subscribers:
            return False
        self.seen = max(self.seen, committed)
        return True

    async def _read(self) -> None:
        try:
            again = True
            while again:
                self._again = False
                if not self._storage._subscribers:  # a poll for nobody: the head will do
                    head = await asyncio.to_thread(self._storage.last_position)
                    if self._passed_over(head):
                        again = self._again
                        continue
                while True:
                    page = await self._storage.feed(self.seen, RELAY_PAGE)
                    fresh = tuple(item for item in page.items if item.position > self.seen)
                    if fresh:
                        self.seen = fresh[-1].position
                        self._storage._publish(fresh)
                    if page.up_to_date:
                        break
                again = self._again
        except Exception as exc:  # the database is away: the next poll tries again
            log.warning("live relay could not read the feed: %s", exc)
        finally:
            self._reading = False

    # -- on the listener thread ----------------------------------------------------------

    def listen(self) -> None:
        """Wait up to ``LISTEN_WINDOW_S`` for hints from other replicas, then poll."""
        if self._listen_conn is None:
            self._listen_conn = psycopg.connect(
                self._storage.url, autocommit=True, connect_timeout=10
            )
            self._listen_conn.execute(f"LISTEN {self._channel}")
        own = self._storage.replica_id + ":"
        deadline = time.monotonic() + LISTEN_WINDOW_S
        heard: list[int | None] = []
        while (left := deadline - time.monotonic()) > 0:
            if self._storage._subscribers:
                hints = self._listen_conn.notifies(timeout=left, stop_after=1)
            else:  # nobody to tell: hints wait in the socket, looked at now and then
                time.sleep(min(left, QUIET_LOOK_S))
                hints = self._listen_conn.notifies(timeout=0)
            # another replica committed (this one's own commits are relayed)
            heard += [_position(h.payload) for h in hints if not h.payload.startswith(own)]
            if heard and self._storage._subscribers:
                break
        # None: a safety poll, or a hint of another form
        self._poke(None if not heard or None in heard else max(heard))

    def _poke(self, upto: int | None) -> None:
        loop = self._storage._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.hint, upto)

    def stop_listening(self) -> None:
        conn, self._listen_conn = self._listen_conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()


def _position(payload: str) -> int | None:
    """The last position a hint (``replica-id:position``, ``group.NOTIFY_CHANNEL``)
    announces; None for a payload of another form (then the feed is read anyway)."""
    position = payload.rpartition(":")[2]
    return int(position) if position.isdigit() else None
