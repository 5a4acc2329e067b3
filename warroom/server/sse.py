"""Server-Sent Events frames of feed items, written so that no entry text can break one,
and the live part of a stream (``LiveFrames``), cheap per subscriber.

Why the live part is its own thing: one commit goes to every subscriber, so whatever a
stream does per batch is done hundreds of times per commit (500 subscribers in
reference/sync-protocols.md's fan-out target). So a batch is encoded once and the bytes
shared by every stream it reaches (``_encoded``), a wake-up takes every batch queued
since the last one and writes them as one chunk (a burst of commits costs one write per
subscriber, not one per commit), and the heartbeat is one timer per stream that looks
every ``heartbeat_s`` whether the stream wrote, not a timer (``asyncio.timeout``) or a
task (``asyncio.wait_for``) per wait.
"""

import asyncio
import re
from collections import OrderedDict
from collections.abc import Iterator

from warroom.server.storage import PAGE_BYTES, RESYNC, FeedItem, Subscription

_LINE_BREAKERS = re.compile("[\u2028\u2029\u0085]")
"""Characters some line readers split on (Python's ``str.splitlines``, JavaScript before
ES2019). JSON lets them stand raw inside strings, the only place a record can hold them,
and their ``\\u`` escapes are the same JSON value: escaped, no text can break a frame."""

PING = b": ping\n\n"
"""A comment line: keeps proxies from closing an idle stream."""
SHARED_BATCHES = 8
"""Live batches whose frames are kept for the streams still to write them (each stream
writes a batch within one pass of the event loop over them; one further behind encodes
its own copy). Few, since a group commit's batch can hold megabytes."""


def frame(item: FeedItem) -> bytes:
    """One Server-Sent Event: the record on one ``data:`` line, whatever its text."""
    record = item.record
    if not record.isascii():  # O(1): most records need no look at all
        record = _LINE_BREAKERS.sub(lambda m: f"\\u{ord(m.group()):04x}", record)
    return f"id: {item.cursor}\ndata: {record}\n\n".encode()


def frames(items: list[FeedItem] | tuple[FeedItem, ...]) -> Iterator[bytes]:
    """The frames of ``items`` in chunks of about ``PAGE_BYTES``, so one large commit
    is never copied whole into one write per subscriber."""
    chunk: list[bytes] = []
    size = 0
    for item in items:
        encoded = frame(item)
        chunk.append(encoded)
        size += len(encoded)
        if size >= PAGE_BYTES:
            yield b"".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield b"".join(chunk)


_encoded: OrderedDict[int, tuple[tuple[FeedItem, ...], list[bytes]]] = OrderedDict()
"""Frames of recent live batches by the batch's identity (every subscriber is handed the
same tuple); the batch is kept with them so that its id cannot be reused meanwhile."""


def _shared_frames(batch: tuple[FeedItem, ...]) -> list[bytes]:
    """The frames of a whole live batch, encoded by the first stream that writes it."""
    found = _encoded.get(id(batch))
    if found is not None and found[0] is batch:
        return found[1]
    chunks = list(frames(batch))
    _encoded[id(batch)] = (batch, chunks)
    if len(_encoded) > SHARED_BATCHES:
        _encoded.popitem(last=False)
    return chunks


class LiveFrames:
    """The live frames of one stream after position ``last`` (what it has sent), with
    a ping after ``heartbeat_s`` without a write. ``close`` when the stream ends."""

    def __init__(self, subscription: Subscription, last: int, heartbeat_s: float) -> None:
        self.subscription = subscription
        self.last = last
        self.heartbeat_s = heartbeat_s
        self._loop = asyncio.get_running_loop()
        self._written_at = self._loop.time()
        self._waiting: asyncio.Task | None = None
        """The stream's task while it waits for a batch (what a ping interrupts)."""
        self._pinging = False
        self._beat = self._loop.call_at(self._written_at + heartbeat_s, self._heartbeat)

    def close(self) -> None:
        self._beat.cancel()

    def _heartbeat(self) -> None:
        """Once per ``heartbeat_s`` at most, not once per batch: wake a stream that has
        written nothing for that long to send a ping, else look again when it would be
        due."""
        now = self._loop.time()
        due = self._written_at + self.heartbeat_s
        if now >= due:
            if self._waiting is not None and not self._pinging:
                self._pinging = True
                self._waiting.cancel()
            due = now + self.heartbeat_s
        self._beat = self._loop.call_at(due, self._heartbeat)

    async def next(self) -> list[bytes] | None:
        """The chunks to write next — every batch queued so far, positions already sent
        left out — or ``[PING]``; ``None`` when the stream must re-read the feed from
        ``last`` (``RESYNC``, or the token revoked: the caller looks at
        ``subscription.revoked``). ``TokenRevoked`` passes through."""
        self._waiting = asyncio.current_task()
        try:
            first = await self.subscription.get()
        except asyncio.CancelledError:
            # the heartbeat's, unless the stream itself is being cancelled as well
            if not self._pinging or self._waiting.uncancel() > 0:
                raise
            first = None
        finally:
            self._waiting, self._pinging = None, False
        self._written_at = self._loop.time()
        if first is None:
            return [PING]
        chunks: list[bytes] = []
        for batch in (first, *self.subscription.ready()):
            if batch == RESYNC:
                return None
            if batch[0].position > self.last:  # the usual case: all of it is new
                chunks += _shared_frames(batch)
                self.last = batch[-1].position
                continue
            fresh = [item for item in batch if item.position > self.last]
            if fresh:
                chunks += frames(fresh)
                self.last = fresh[-1].position
        return _coalesced(chunks)


def _coalesced(chunks: list[bytes]) -> list[bytes]:
    """``chunks`` joined into writes of about ``PAGE_BYTES`` at most (one, usually)."""
    if len(chunks) <= 1:
        return chunks
    writes: list[bytes] = []
    pending: list[bytes] = []
    size = 0
    for chunk in chunks:
        if pending and size + len(chunk) > PAGE_BYTES:
            writes.append(b"".join(pending))
            pending, size = [], 0
        pending.append(chunk)
        size += len(chunk)
    writes.append(b"".join(pending))
    return writes
