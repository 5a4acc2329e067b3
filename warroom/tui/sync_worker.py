"""The screen's sync worker: the sync engine on a thread, reporting by message.

It runs only when a server is configured (``warroom login``); without one the screen is
exactly what it was. The engine's own threads never touch a widget: each status change
becomes a ``SyncState`` for the status strip (online, offline since when, how many
entries wait to be sent), an ``Unsent`` naming the entries still pending — the timeline
marks them — and, for entries the server refused, a ``Refused`` the app shows with the
server's reason (they stay in ``Replica.rejected``, never silently dropped).
"""

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.message import Message

from warroom.store.local import LocalStore
from warroom.store.replica import RejectedEntry, Replica
from warroom.sync.engine import SyncEngine, SyncStatus
from warroom.tui.messages import SyncState
from warroom.tui.render import clock


class Unsent(Message):
    """Ids of this device's entries the server has not acknowledged yet."""

    def __init__(self, ids: frozenset[str]) -> None:
        super().__init__()
        self.ids = ids


class Refused(Message):
    """Entries the server rejected since the screen opened, with its reasons."""

    def __init__(self, entries: list[RejectedEntry]) -> None:
        super().__init__()
        self.entries = entries


def describe(status: SyncStatus) -> SyncState:
    """The status strip's words for an engine status, long and short (``1p 1r``)."""
    counts = f"{status.pending} pending" if status.pending else ""
    short = f"{status.pending}p" if status.pending else ""
    if status.rejected:
        counts = ", ".join(part for part in (counts, f"{status.rejected} rejected") if part)
        short = " ".join(part for part in (short, f"{status.rejected}r") if part)
    if status.stopped:
        return SyncState("error", f"STOPPED: {status.stopped}", "✖ sync STOPPED")
    if status.online:
        state = "syncing" if status.pending else "ok"
        mark = "⇅ sync" if status.pending else "✓ sync"
        return SyncState(state, counts or "online", f"{mark} {short}".strip())
    since = clock(status.offline_since) if status.offline_since else "start"
    detail = f"offline since {since}" + (f" · {counts}" if counts else "")
    return SyncState("behind", detail, " ".join(("⚠ off", since[:5], short)).strip())


class SyncLink:
    """Runs one ``SyncEngine`` for the app; ``run`` is the worker thread's body."""

    def __init__(
        self, database: Path, server: str, token: str, post: Callable[[Message], Any]
    ) -> None:
        self.database = database
        self.post = post
        self.engine = SyncEngine(database, server, token, on_status=self._status)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._shown: set[str] | None = None
        """Rejected entries already reported (those from before the screen opened count:
        they were reported by whichever sync saw them)."""

    def run(self) -> None:
        self.post(describe(self.engine.status))
        self.engine.run()

    def wake(self) -> None:
        self.engine.wake()

    def stop(self) -> None:
        self.engine.stop()

    def _status(self, status: SyncStatus) -> None:
        """Called on an engine thread: read what to mark, then post; never draw."""
        self.post(describe(status))
        store = getattr(self._local, "store", None)
        if store is None:  # one connection per engine thread, as SQLite wants
            store = self._local.store = LocalStore(self.database)
        replica = Replica(store)
        self.post(Unsent(frozenset(replica.unacknowledged())))
        rejected = replica.rejected()
        with self._lock:
            if self._shown is None:
                self._shown = {entry.id for entry in rejected}
                return
            fresh = [entry for entry in rejected if entry.id not in self._shown]
            self._shown.update(entry.id for entry in fresh)
        if fresh:
            self.post(Refused(fresh))
