"""The screen's store threads and the UI thread's handle on them (``StoreLink``).

* The **reader** (``store_reader``) opens the incident, answers the timeline's requests
  for rows, runs filters and polls for entries written by other processes.
* The **writer**, here, runs the user's changes through ``WarRoom``, the one write path,
  and wakes the reader so the change shows at once.

SQLite connections belong to the thread that opened them, so each thread opens its own
``LocalStore``. The threads run as Textual workers started by the screen, post messages
to it, and never touch a widget. The queries here only read the schema defined in
``warroom.store.schema``; every write goes through ``WarRoom``.
"""

import queue
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.worker import get_current_worker

from warroom.core.errors import BackdateNeedsConfirmation, WarroomError
from warroom.tui import messages as msg
from warroom.tui.rows import TimelineFilter
from warroom.tui.store_reader import POLL_S, _Fetch, _Filter, _Kick, _Open, _open_store, _Reader

if TYPE_CHECKING:
    from warroom.actions import WarRoom
    from warroom.core.events import Event
    from warroom.core.policy import Policy

Post = Callable[[Message], Any]


class StoreLink:
    """The UI thread's handle on the reader and writer threads of one screen."""

    def __init__(self, database: Path, policy: "Policy", actor: str, post: Post) -> None:
        self.database = database
        self.policy = policy
        self.actor = actor
        self._post = post
        self._reads: queue.Queue = queue.Queue()
        self._writes: queue.Queue = queue.Queue()
        self._reader_ready = threading.Event()
        """Set once the reader has opened (and so created and migrated) the database: on a
        fresh home two connections switching it to WAL at once can fail as "locked"."""
        self._opened = threading.Event()
        """Clear while the reader opens an incident: a change waits for it, so its rules
        start from the snapshot the reader's fold saves instead of folding it again."""

    # -- called on the UI thread ---------------------------------------------------------

    def open(self, incident_id: str | None) -> None:
        """Load an incident; ``None`` picks the current one (or asks which)."""
        self._reads.put(_Open(incident_id))

    def fetch(self, incident_id: str, seqs: tuple[int, ...]) -> None:
        self._reads.put(_Fetch(incident_id, seqs))

    def filter(self, incident_id: str, generation: int, query: TimelineFilter) -> None:
        self._reads.put(_Filter(incident_id, generation, query))

    def write(self, request: Any, change: Callable[["WarRoom"], "Event"]) -> None:
        """Run ``change`` on the writer thread; a ``Recorded`` or ``Rejected`` follows."""
        self._writes.put((request, change))

    # -- the reader thread ---------------------------------------------------------------

    def read_loop(self) -> None:
        reader = _Reader(self)
        try:
            reader.run()
        finally:
            reader.close()

    # -- the writer thread ---------------------------------------------------------------

    def write_loop(self) -> None:
        from warroom.actions import WarRoom

        worker = get_current_worker()
        while not self._reader_ready.wait(POLL_S):
            if worker.is_cancelled:
                return
        store = _open_store(self)
        if store is None:
            return
        room = WarRoom(store, self.policy, self.actor)
        try:
            while True:
                try:
                    request, change = self._writes.get(timeout=POLL_S)
                except queue.Empty:
                    if worker.is_cancelled:  # only once every queued change is written:
                        break  # Enter then a quick quit must not lose the entry
                    continue
                while not self._opened.wait(POLL_S) and not worker.is_cancelled:
                    pass
                try:
                    event = change(room)
                except BackdateNeedsConfirmation as exc:
                    confirmed = partial(_confirmed, change)
                    self._post(msg.Rejected(str(exc), request, confirmed))
                    continue
                except WarroomError as exc:
                    self._post(msg.Rejected(str(exc), request))
                    continue
                except Exception as exc:  # a bug must not kill the write path
                    self._post(
                        msg.Rejected(f"internal error: {type(exc).__name__}: {exc}", request)
                    )
                    continue
                self._reads.put(_Kick())
                self._post(msg.Recorded(event, request))
        finally:
            store.close()


def _confirmed(change: Callable[["WarRoom"], Any], room: "WarRoom") -> Any:
    """``change`` made in a room that records far-backdated times without asking."""
    return change(room.confirming_backdate())
