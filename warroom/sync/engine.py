"""The sync loop: push the outbox, follow the server's feed, report how it is going.

Two threads, each with its own store connection (a ``LocalStore`` is single-threaded):
the *pusher* sends the outbox in order and records each event's outcome; the *puller*
catches up page by page, then follows the live stream (falling back to long-polling
when streams keep failing, e.g. behind a buffering proxy), ingesting every record
through ``Replica.ingest`` so the cursor never runs ahead of the data.

Network trouble is normal and retried with exponential backoff and jitter (0.25 s up
to 30 s). Two things stop the loop and are reported loudly instead: a server history
that does not extend what this client verified (``ChainError``), and a token the server
refuses. Status changes go to ``on_status``; the TUI turns them into messages.
"""

import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from warroom.config import server_urls
from warroom.core.chain import ChainError
from warroom.core.collector import paused_collector
from warroom.core.errors import StoreError, WarroomError
from warroom.core.timeparse import utcnow
from warroom.store.caches import CatchUpCaches
from warroom.store.feed_records import DecodedPage, GarbledPage, decode_page
from warroom.store.local import LocalStore
from warroom.store.replica import RejectedEntry, Replica
from warroom.sync.client import Forbidden, Offline, ServerRefused
from warroom.sync.failover import FailoverClient

PUSH_BATCH = 200
PAGE = 5000
FIRST_PAGE = 500
"""A catch-up's first page, the one nothing overlaps: it is waited for whole (served,
sent, decoded) before anything is stored, and only then does the next page start to
download. Small, it leaves that wait short; each page after it doubles up to ``PAGE``
(``page_sizes``), the server then cutting them at ``PAGE_BYTES``."""
INGEST_CHUNK = 2500
"""Events stored per transaction: each holds the home's write lock about 40 ms (a
commit per 1,000 was 5% of a catch-up's time)."""
BACKOFF_START_S = 0.25
BACKOFF_MAX_S = 30.0
STREAM_SILENCE_S = 45.0
"""Declare a stream dead after this long without a byte (three missed heartbeats)."""
STREAM_FAILURES_BEFORE_POLL = 3
POLL_TIMEOUT_S = 25.0
OUTBOX_POLL_S = 0.2
"""How often the pusher looks for entries written by other processes on this home."""
STOP_GRACE_S = 1.0
"""How long ``run`` waits, once stopped, for its loops to end on their own."""


@dataclass(frozen=True)
class SyncStatus:
    """What the status strip shows."""

    server: str
    online: bool = False
    offline_since: datetime | None = None
    pending: int = 0
    rejected: int = 0
    last_error: str | None = None
    stopped: str | None = None
    """Set when sync gave up for a reason a person must resolve (shown loudly)."""


@dataclass
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    rejected: list[RejectedEntry] = field(default_factory=list)


class SyncEngine:
    def __init__(
        self,
        database: Path,
        server: str,
        token: str,
        *,
        on_status: Callable[[SyncStatus], None] | None = None,
        stream_silence_s: float = STREAM_SILENCE_S,
        poll_timeout_s: float = POLL_TIMEOUT_S,
        transport: str = "auto",
    ) -> None:
        self.database = database
        self.server = ",".join(server_urls(server))
        """The server's URL, or its replicas' URLs separated by commas (``failover``)."""
        self.token = token
        self.on_status = on_status
        self.stream_silence_s = stream_silence_s
        self.poll_timeout_s = poll_timeout_s
        self.transport = transport
        self._lock = threading.Lock()
        self._status = SyncStatus(server=self.server, offline_since=utcnow())
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._clients: set[FailoverClient] = set()

    # -- status --------------------------------------------------------------------------

    @property
    def status(self) -> SyncStatus:
        return self._status

    def _update(self, **changes) -> None:
        with self._lock:
            new = replace(self._status, **changes)
            if new.online and not self._status.online:
                new = replace(new, offline_since=None)
            elif not new.online and self._status.online:
                new = replace(new, offline_since=utcnow())
            changed = new != self._status
            self._status = new
        if changed and self.on_status is not None:
            self.on_status(new)

    def _counts(self, replica: Replica) -> dict:
        return {"pending": replica.pending_count(), "rejected": replica.rejected_count()}

    # -- one pass ------------------------------------------------------------------------

    def connect(self, client: FailoverClient, replica: Replica) -> None:
        """Check the token and pin the server (and its key) to this home."""
        info = client.info()
        replica.bind(self.server, info["public_key"], info["you"]["role"])

    def push_all(self, client: FailoverClient, replica: Replica, report: SyncReport) -> None:
        while batch := replica.pending(PUSH_BATCH):
            settled = replica.settle(self._push_isolating(client, batch))
            report.pushed += settled.acked
            report.rejected.extend(settled.rejected)
            self._update(online=True, last_error=None, **self._counts(replica))

    def _push_isolating(
        self, client: FailoverClient, batch: list[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        """Push ``batch`` in order and return one result per event.

        The server judges entries one by one, but a body it cannot parse at all (an event
        its model refuses, one too large) is refused whole with a 4xx. One such entry must
        not hold back the others, nor stop sync for the home: the batch is split in halves,
        pushed in order, until the offending entry stands alone; that one is rejected
        with the server's words and kept, like any rejected entry."""
        try:
            return client.push([body for _, body in batch])
        except Forbidden as exc:
            return [_refusal(event_id, str(exc)) for event_id, _ in batch]
        except ServerRefused as exc:
            if len(batch) == 1:
                return [_refusal(batch[0][0], f"the server refused this entry: {exc.detail}")]
        middle = len(batch) // 2
        return self._push_isolating(client, batch[:middle]) + self._push_isolating(
            client, batch[middle:]
        )

    def pull_all(self, client: FailoverClient, replica: Replica, report: SyncReport) -> None:
        """Catch up page by page; the next page downloads while this one is stored. The
        read caches follow along (``CatchUpCaches``), so ``status`` and the screen right
        after a long catch-up fold and sort nothing it brought; WAL checkpoints wait
        for tens of MB of it (``Replica.bulk``).

        The downloading thread only reads the page's bytes (mostly waiting on the socket,
        without the interpreter lock); this one decodes them. Decoded there, a page held
        the lock in long calls just when this thread came back from SQLite for it, and
        the two threads took turns at every row: 4% of a catch-up's time, more in CPU.

        A catch-up of many pages holds the cyclic collector: each page leaves thousands
        of records (tracked tuples) alive until stored, and the collector re-walked them
        every 700 allocations (6% of a 100k-event catch-up's CPU). They hold no cycle;
        the only cycles are httpx's few small objects per request (the page bodies are
        kept out of them, ``ServerClient._page_bytes``), collected once the catch-up
        ends."""
        caches = CatchUpCaches(replica.store)
        sizes = page_sizes()
        with replica.bulk(), ThreadPoolExecutor(max_workers=1) as fetcher, ExitStack() as pause:
            page = client.feed(replica.cursor(), next(sizes))
            if not page.up_to_date:  # pages of it to come: a catch-up (see above)
                pause.enter_context(paused_collector())
            while True:
                after, limit = page.cursor, next(sizes)
                following = (
                    None if page.up_to_date else fetcher.submit(client.feed_bytes, after, limit)
                )
                try:
                    stored = self._store_page(replica, page, report)
                except BaseException:
                    if following is not None:  # a page never to be stored: not fetched
                        following.cancel()
                    raise
                caches.ingested(replica.take_stored(), stored)
                if following is None:
                    caches.finish()
                    return
                try:
                    page = decode_page(following.result())
                except GarbledPage:  # fetched again the way that moves on to another replica
                    page = client.feed(after, limit)

    def _store_page(self, replica: Replica, page: DecodedPage, report: SyncReport) -> int:
        """Store a feed page in transactions of ``INGEST_CHUNK`` events, each moving the
        cursor to its last event: a catch-up page of thousands then never holds the home's
        write lock for long, and a scribe's entry typed meanwhile gets in between. Returns
        how many events were new here."""
        records = page.records
        stored = 0
        for start in range(0, len(records), INGEST_CHUNK):
            chunk = records[start : start + INGEST_CHUNK]
            last = start + INGEST_CHUNK >= len(records)
            cursor = page.cursor if last else chunk[-1][7]
            if not isinstance(cursor, str):
                raise ChainError(f"the server sent a record without a cursor: {chunk[-1][3][:120]}")
            stored += replica.ingest_records(chunk, cursor)
        report.pulled += stored
        return stored

    def sync_once(self) -> SyncReport:
        """Push everything, pull until up to date; raises on any failure."""
        report = SyncReport()
        with LocalStore(self.database) as store:
            replica = Replica(store)
            client = FailoverClient(self.server, self.token)
            try:
                self.connect(client, replica)
                self.push_all(client, replica, report)
                self.pull_all(client, replica, report)
                self.push_all(client, replica, report)
            finally:
                client.close()
        return report

    # -- continuous ----------------------------------------------------------------------

    def wake(self) -> None:
        """Push now (call after a local append) instead of at the next outbox poll."""
        self._wake.set()

    def stop(self) -> None:
        """Ask both loops to stop: they notice at the next heartbeat or poll answer at the
        latest (both threads are daemons, so a process may also just exit)."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            client.close()

    def run(self) -> None:
        """Sync until ``stop()``; returns early only if sync had to stop for good.

        Once stopped it waits at most ``STOP_GRACE_S`` for the two loops: long enough for
        an answer in flight to be recorded, not for a live stream to notice at its next
        heartbeat (up to 15 s; closing the client does not wake a read blocked on the
        socket). The screen's process ended only when this returned, so quitting a
        synced screen left the terminal without a prompt for 13 s. A loop cut off here is
        a daemon: whatever it had not committed is fetched or pushed again next time
        (the cursor commits with the rows, the server dedupes a push by event id)."""
        threads = [
            threading.Thread(target=self._guarded, args=(self._push_loop,), daemon=True),
            threading.Thread(target=self._guarded, args=(self._pull_loop,), daemon=True),
        ]
        for thread in threads:
            thread.start()
        while not self._stop.wait(0.5) and any(thread.is_alive() for thread in threads):
            pass
        deadline = time.monotonic() + STOP_GRACE_S
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _guarded(self, loop: Callable[[FailoverClient, Replica], None]) -> None:
        with LocalStore(self.database) as store:
            replica = Replica(store)
            client = FailoverClient(self.server, self.token)
            with self._lock:
                self._clients.add(client)
            try:
                self._update(**self._counts(replica))
                loop(client, replica)
            except (ChainError, WarroomError) as exc:
                if not self._stop.is_set():
                    self._update(online=False, stopped=str(exc), last_error=str(exc))
                    self.stop()
            finally:
                with self._lock:
                    self._clients.discard(client)
                client.close()

    def _retrying(
        self,
        client: FailoverClient,
        attempt: Callable[[], None],
        interrupt: threading.Event | None = None,
    ) -> None:
        """Run ``attempt`` until stopped, backing off while the server is unreachable;
        ``interrupt`` (the pusher's wake-up) cuts a backoff short."""
        delay = BACKOFF_START_S
        answered = client.answers
        while not self._stop.is_set():
            try:
                attempt()
            except (Offline, StoreError) as exc:  # a busy local database is transient too
                if client.answers != answered:  # the server answered since the last failure
                    delay, answered = BACKOFF_START_S, client.answers
                self._update(online=False, last_error=str(exc))
                (interrupt or self._stop).wait(delay * random.uniform(0.5, 1.0))
                if interrupt is not None:
                    interrupt.clear()
                delay = min(delay * 2, BACKOFF_MAX_S)

    def _push_loop(self, client: FailoverClient, replica: Replica) -> None:
        report = SyncReport()
        connected = False

        def attempt() -> None:
            nonlocal connected
            self._update(**self._counts(replica))  # entries written while offline count
            if not connected:  # once: the binding is checked, later attempts go straight on
                self.connect(client, replica)
                connected = True
            while not self._stop.is_set():
                self.push_all(client, replica, report)
                self._wake.wait(OUTBOX_POLL_S)
                self._wake.clear()

        self._retrying(client, attempt, self._wake)

    def _pull_loop(self, client: FailoverClient, replica: Replica) -> None:
        report = SyncReport()
        failures = 0
        poll_until = 0.0
        connected = False

        def attempt() -> None:
            nonlocal failures, poll_until, connected
            if not connected:
                self.connect(client, replica)
                connected = True
            self.pull_all(client, replica, report)
            self._update(online=True, last_error=None, **self._counts(replica))
            use_poll = self.transport == "poll" or (
                self.transport == "auto" and time.monotonic() < poll_until
            )
            if use_poll:
                self._follow_poll(client, replica, report)
                return

            def live() -> None:
                nonlocal failures
                failures = 0

            try:
                self._follow_stream(client, replica, report, live)
            except Offline:
                failures += 1
                if failures >= STREAM_FAILURES_BEFORE_POLL and self.transport == "auto":
                    poll_until, failures = time.monotonic() + 60.0, 0
                raise

        self._retrying(client, attempt)

    def _follow_stream(
        self,
        client: FailoverClient,
        replica: Replica,
        report: SyncReport,
        live: Callable[[], None],
    ) -> None:
        """Follow the live stream; ``live()`` once its replay ended (the stream works)."""
        for kind, value in client.stream(replica.cursor(), self.stream_silence_s):
            if self._stop.is_set():
                return
            if kind == "up_to_date":
                live()
            elif kind == "event":
                report.pulled += replica.ingest([value], value["cursor"])
                self._update(online=True, last_error=None, **self._counts(replica))

    def _follow_poll(self, client: FailoverClient, replica: Replica, report: SyncReport) -> None:
        while not self._stop.is_set():
            page = client.poll(replica.cursor(), self.poll_timeout_s)
            self._store_page(replica, page, report)
            self._update(online=True, last_error=None, **self._counts(replica))


def page_sizes() -> Iterator[int]:
    """The limit of each page of one catch-up: ``FIRST_PAGE``, doubling up to ``PAGE``."""
    size = min(FIRST_PAGE, PAGE)
    while True:
        yield size
        size = min(2 * size, PAGE)


def _refusal(event_id: str, reason: str) -> dict[str, Any]:
    return {"id": event_id, "status": "rejected", "reason": reason}
