"""Live reload: watch the library's directories and refresh what changed.

Built on watchfiles (the operating system's change notifications; polling where those do
not work, e.g. network filesystems). An editor's save is a burst of events — a swap
file, a backup, a rename, a write — so events are grouped until the directory has been
quiet for ``step_ms`` (at most ``debounce_ms``), editor swap and temporary files never
wake the watcher, and each burst becomes one ``RunbookLibrary.refresh``: a ``Reload``
naming the ids that now use a new version, the ids that are gone and the problems read.
A broken save keeps the last good version in use; its problems are in the ``Reload``.

Two ways to consume it, one per kind of caller:

* a thread with callbacks — ``watcher.subscribe(callback)``, ``watcher.start()`` …
  ``watcher.stop()`` (or ``with watcher:``). Callbacks run on the watcher thread and
  must not raise; a Textual app passes ``app.call_from_thread``-wrapped handlers.
* an async iterator — ``async for reload in watcher.reloads():`` inside a Textual
  async worker; cancelling the worker stops the watch.

``ready`` is set once the operating system watch is in place and a first re-scan of every
source has caught up, so nothing saved between ``library.load()`` and then is missed.
Only directories that exist when watching starts are watched.
"""

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

import watchfiles

from warroom.runbooks.library import Reload, RunbookLibrary

DEBOUNCE_MS = 300
"""Longest a burst of changes is grouped before it is applied."""
STEP_MS = 50
"""Quiet time that ends a burst."""
TICK_MS = 100
"""How often the watch wakes with nothing to report (readiness, and noticing stop)."""

_TEMPORARY = re.compile(
    r"^\.|^#|~$|^4913$|\.(sw[a-p]|tmp|bak|orig|part|crdownload)$|___jb_\w+___$", re.IGNORECASE
)

Subscriber = Callable[[Reload], None]


def is_temporary(path: str | Path) -> bool:
    """Editor swap, backup, lock and scratch files (vim, emacs, JetBrains, downloads)."""
    return bool(_TEMPORARY.search(Path(path).name))


def _wanted(_change: watchfiles.Change, path: str) -> bool:
    return not is_temporary(path)


class RunbookWatcher:
    """Keeps a ``RunbookLibrary`` in step with its directories and tells subscribers."""

    def __init__(
        self,
        library: RunbookLibrary,
        *,
        debounce_ms: int = DEBOUNCE_MS,
        step_ms: int = STEP_MS,
        force_polling: bool | None = None,
    ) -> None:
        self.library = library
        self.ready = threading.Event()
        self._options = {
            "watch_filter": _wanted,
            "debounce": debounce_ms,
            "step": step_ms,
            "rust_timeout": TICK_MS,
            "yield_on_timeout": True,
            "force_polling": force_polling,
        }
        self._subscribers: list[Subscriber] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback`` with every non-empty ``Reload``; returns an unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def start(self) -> None:
        """Watch on a background thread until ``stop``."""
        if self._thread is not None:
            raise RuntimeError("the runbook watcher is already running")
        self._stop.clear()
        self.ready.clear()
        self._thread = threading.Thread(target=self._run, name="runbook-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> "RunbookWatcher":
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    async def reloads(self) -> AsyncIterator[Reload]:
        """Yield each non-empty ``Reload`` as it happens; ends if nothing can be watched."""
        directories = self._directories()
        if not directories:
            self.ready.set()
            return
        async for changes in watchfiles.awatch(*directories, **self._options):
            reload = await asyncio.to_thread(self._apply, changes)
            if reload is not None:
                yield reload

    def _run(self) -> None:
        directories = self._directories()
        if not directories:
            self.ready.set()
            return
        for changes in watchfiles.watch(
            *directories, stop_event=self._stop, raise_interrupt=False, **self._options
        ):
            reload = self._apply(changes)
            if reload is not None:
                for callback in list(self._subscribers):
                    callback(reload)

    def _directories(self) -> list[Path]:
        return [source.path for source in self.library.sources if source.path.is_dir()]

    def _apply(self, changes: Iterable[tuple[watchfiles.Change, str]]) -> Reload | None:
        paths: set[str | Path] = {path for _change, path in changes}
        catching_up = not self.ready.is_set()
        if catching_up:
            paths |= {source.path for source in self.library.sources}
        if not paths:
            return None
        reload = self.library.refresh(paths)
        if catching_up:
            self.ready.set()
        return None if reload.empty else reload
