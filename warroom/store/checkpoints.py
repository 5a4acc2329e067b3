"""WAL checkpoints off the append path of the local store.

SQLite's automatic checkpoint runs inside the COMMIT that pushes the WAL past ~1,000
pages: that one append copies every page of the WAL into the database file and syncs
it, up to 13 ms of CPU — the whole p99 of a local append at 10,000 incidents (issue 11:
p99 <= 2 ms). A commit in WAL mode is durable once the WAL is synced
(``synchronous=FULL``); the checkpoint only copies pages already safe in the WAL, so it
can run anywhere without weakening durability: a crash at any moment leaves either the
WAL or the database holding every committed page, and the next open replays the WAL.

So the store's write connection turns automatic checkpoints off and asks ``WalCheckpoints``
after each commit. Once the WAL file passes ``CHECKPOINT_BYTES`` a thread of its own,
on a connection of its own, runs a PASSIVE checkpoint (it never waits for, nor blocks,
a writer or a reader in this or another process: CLI, screen and sync share a home).
When the checkpoint has copied everything, the next commit starts the WAL over and
truncates the file to ``WAL_KEEP_BYTES`` (``journal_size_limit``), so the file's size
tells how much is waiting. A process that ends — every ``warroom log`` is one — runs
the checkpoint as it closes instead, when its WAL is past the mark, so a script logging
entry after entry does not grow the WAL for ever either; the last connection to close
a home checkpoints everything anyway (SQLite's own close).

A bulk catch-up (``deferred``) writes its pages in large transactions, and most of them
again and again (the same index and table pages, page after page): checkpointing every
4 MB on the catch-up's own thread copied each of those pages into the database file,
and synced it, many times over while the catch-up waited (a fresh client's 100k-event
catch-up: 7.8 s with them, 4.9 s deferred). Inside ``deferred`` the thread copies the
WAL behind the catch-up instead, one pass per commit once the WAL is past
``CHECKPOINT_BYTES``: its copying and syncing is mostly waiting on the disk, done while
the catch-up decodes and stores the next rows, so the checkpoint left at the end has
little to copy (at 10k events it had been the catch-up's longest wait, 45-75 ms, nearly
all of it syncs). The commit that passes ``BULK_CHECKPOINT_BYTES`` still checkpoints
itself, after the thread's pass, so a 1M-event catch-up keeps its WAL near that size
whatever the thread managed; when the catch-up ends, one checkpoint copies what is left.
Durability is the WAL's either way.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

CHECKPOINT_BYTES = 4 * 1024 * 1024
"""A WAL file this large is checkpointed: about the 1,000 pages of SQLite's own default."""

WAL_KEEP_BYTES = 1024 * 1024
"""What the WAL file is cut back to when it starts over (``journal_size_limit``): below
``CHECKPOINT_BYTES``, so a file past that mark always holds pages not yet copied."""

CATCH_UP_FRAMES = 64
"""A pass of the thread that found at most this many frames to copy has caught up:
the next commit copies what is left (about two appends' pages at 10,000 incidents)."""

LIMIT_FACTOR = 4
"""The bound on the WAL: once it is this many times ``CHECKPOINT_BYTES`` (the thread
starved of a core on a loaded machine), the commit checkpoints itself, as SQLite's
automatic checkpoint did, so no burst grows the WAL past it."""

BULK_CHECKPOINT_BYTES = 64 * 1024 * 1024
"""The mark during a bulk catch-up (``WalCheckpoints.deferred``): about 80k events'
WAL (82 MB per 100k measured), so a 1M-event catch-up checkpoints about a dozen times
instead of some 200."""

_DEFERRED: set[Path] = set()
"""Homes (resolved paths) a bulk catch-up of this process is writing: the screen's own
store on the same home defers too, so a scribe's append during a catch-up neither
checkpoints the WAL inline at ``LIMIT_FACTOR`` nor wakes a thread per 4 MB."""

PAUSE_S = 0.05
"""Least time between two checkpoints of one store: while a long read transaction in
another process holds pages back, commits keep asking, and each try costs a sync."""


def prepare_writer(conn: sqlite3.Connection) -> None:
    """Settings of a write connection whose checkpoints ``WalCheckpoints`` runs."""
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute(f"PRAGMA journal_size_limit={WAL_KEEP_BYTES}")


class WalCheckpoints:
    """The checkpoints of one ``LocalStore``: on a thread started the first time its WAL
    needs one, and at close.

    The WAL starts over only when a write begins with every frame already copied, and
    with appends arriving back to back the thread's checkpoint always ends a commit or
    two behind them: the file would grow for as long as the burst lasts. So the thread
    chases the appends, pass after pass, until a pass had at most ``CATCH_UP_FRAMES``
    left to copy, and the next commit copies that remainder itself (a few pages: about
    0.1 ms, where the whole WAL cost 13 ms); the write after it starts the WAL over.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wal = path.with_name(path.name + "-wal")
        self._wanted = threading.Event()
        self._closing = threading.Event()
        """Set by ``close``: the thread ends, cutting its pause short."""
        self._caught_up = False
        """Set by the thread: its last pass left only a commit or two behind."""
        self._thread: threading.Thread | None = None
        self._home = path.resolve()
        self._pass = threading.Lock()
        """Held by a bulk catch-up's checkpoints: the thread's pass and the catch-up's own
        (which waits for the pass instead of finding the WAL busy and copying nothing)."""

    @contextmanager
    def deferred(self, conn: sqlite3.Connection) -> Iterator[None]:
        """While the block runs (a bulk catch-up on ``conn``, the store's write
        connection), the thread copies the WAL behind it and ``conn`` checkpoints per
        ``BULK_CHECKPOINT_BYTES``; once more at its end."""
        _DEFERRED.add(self._home)
        try:
            yield
        finally:
            _DEFERRED.discard(self._home)
            if self.wal_bytes() >= CHECKPOINT_BYTES:
                self._bulk_pass(conn)

    def wal_bytes(self) -> int:
        try:
            return self.wal.stat().st_size
        except OSError:  # no WAL yet, or it was just removed by a closing connection
            return 0

    def after_commit(self, conn: sqlite3.Connection) -> None:
        """Called after each commit on the write connection ``conn``: a ``stat``, and
        once the WAL is past the mark, a wake-up of the thread or the last few pages (or
        all of them, at the bound)."""
        size = self.wal_bytes()
        if self._home in _DEFERRED:  # a bulk catch-up: see ``deferred``
            if size >= BULK_CHECKPOINT_BYTES:
                self._bulk_pass(conn)
            elif size >= CHECKPOINT_BYTES:
                self._wake()  # one pass behind it, no chase (the catch-up commits again)
            return
        if size < CHECKPOINT_BYTES:
            return
        if self._caught_up or size >= LIMIT_FACTOR * CHECKPOINT_BYTES:
            self._caught_up = False
            _checkpoint(conn, self.path)
            return
        self._wake()

    def _bulk_pass(self, conn: sqlite3.Connection) -> None:
        """One checkpoint of a bulk catch-up's WAL on ``conn``, never beside another."""
        with self._pass:
            _checkpoint(conn, self.path)

    def _wake(self) -> None:
        """Ask the thread (started the first time) for a pass."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"wal-checkpoint {self.path.name}", daemon=True
            )
            self._thread.start()
        self._wanted.set()

    def close(self, conn: sqlite3.Connection) -> None:
        """Stop the thread and, if the WAL is still past the mark, checkpoint on ``conn``
        (the store's own connection, about to be closed) before the process goes."""
        if self._thread is not None:
            self._closing.set()
            self._wanted.set()
            self._thread.join()
            self._thread = None
        if self.wal_bytes() >= CHECKPOINT_BYTES:
            _checkpoint(conn, self.path)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=1.0, isolation_level=None)
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._closing.is_set():
                    return
                if self._home in _DEFERRED:
                    self._bulk_pass(conn)
                    continue
                self._chase(conn)
                self._closing.wait(PAUSE_S)
        finally:
            conn.close()

    def _chase(self, conn: sqlite3.Connection) -> None:
        """Checkpoint until a pass finds only ``CATCH_UP_FRAMES`` new frames, or a
        reader holds the rest back (then the next commit's wake-up tries again)."""
        copied_before = 0
        while not self._closing.is_set():
            outcome = _checkpoint(conn, self.path)
            if outcome is None:
                return
            busy, frames, copied = outcome
            if busy or copied < frames:
                return
            if copied - copied_before <= CATCH_UP_FRAMES or copied < copied_before:
                self._caught_up = True
                return
            copied_before = copied


def _checkpoint(conn: sqlite3.Connection, path: Path) -> tuple[int, int, int] | None:
    """A PASSIVE checkpoint: as many pages as no reader still needs. Returns SQLite's
    (busy, frames in the WAL, frames copied). Housekeeping, so a failure is logged and
    left for the next one (None)."""
    try:
        return conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.Error as exc:
        log.info("%s: WAL checkpoint postponed: %s", path, exc)
        return None
