"""Background threads that survive their errors and say how they are doing.

A server thread that dies on one exception fails silently: after one disk-full error the
WAL checkpoint thread was gone and the WAL grew without bound. Each background thread
therefore reports to a ``ThreadHealth``: an error is logged, counted and retried with a
growing pause, and a thread that ended without being asked to shows as ``dead`` — in
the log and in ``GET /v1/health``.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

log = logging.getLogger("warroom.server")

ThreadState = Literal["running", "retrying", "stopped", "dead"]

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0


class ThreadHealth:
    """What one background thread last reported; read from any thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.thread: threading.Thread | None = None
        self._state: ThreadState = "stopped"
        self.errors = 0
        self.last_error: str | None = None
        self._failing_since: float | None = None
        self._pause = BACKOFF_FIRST_S

    @property
    def state(self) -> ThreadState:
        alive = self.thread is None or self.thread.is_alive()
        if self._state in ("running", "retrying") and not alive:
            return "dead"
        return self._state

    def ok(self) -> None:
        """The thread did a round of its work."""
        if self._state == "retrying":
            log.warning("%s: working again after %d error(s)", self.name, self.errors)
        self._state, self._pause, self._failing_since = "running", BACKOFF_FIRST_S, None

    def failed(self, exc: BaseException) -> float:
        """Log ``exc``; the seconds to wait before the next try (doubling to a cap)."""
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        self._state = "retrying"
        self._failing_since = self._failing_since or time.monotonic()
        pause, self._pause = self._pause, min(self._pause * 2, BACKOFF_MAX_S)
        log.error("%s failed (%s); retrying in %.1f s", self.name, self.last_error, pause)
        return pause

    def stopped(self) -> None:
        self._state = "stopped"

    def run(self, target: Callable[[], None]) -> None:
        """Run ``target`` on this thread, logging if it ends without being asked to."""
        try:
            target()
        except BaseException as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            if self._state != "stopped":
                self._state = "dead"
                log.critical("%s died: %s", self.name, self.last_error or "unexpectedly")

    def start(self, target: Callable[[], None]) -> None:
        self._state = "running"
        self.thread = threading.Thread(
            target=self.run, args=(target,), name=f"warroom-{self.name}", daemon=True
        )
        self.thread.start()

    def report(self) -> dict[str, Any]:
        failing = self._failing_since
        return {
            "state": self.state,
            "errors": self.errors,
            "last_error": self.last_error,
            "failing_for_s": round(time.monotonic() - failing, 1) if failing else None,
        }


class Periodic:
    """Call ``step`` every ``every`` seconds on a thread of its own until ``stop``.

    An exception from ``step`` is logged, ``reset`` is called (to drop a connection that
    may be broken) and the step is tried again after a growing pause."""

    def __init__(
        self,
        name: str,
        step: Callable[[], None],
        every: float,
        reset: Callable[[], None] = lambda: None,
    ) -> None:
        self.health = ThreadHealth(name)
        self._step, self._every, self._reset = step, every, reset
        self._stop = threading.Event()

    def start(self) -> None:
        self._stop.clear()
        self.health.start(self._loop)

    def stop(self) -> None:
        """Ask the thread to end and wait for it (blocking)."""
        self._stop.set()
        if self.health.thread is not None:
            self.health.thread.join()

    def _loop(self) -> None:
        pause = self._every
        while not self._stop.wait(pause):
            try:
                self._step()
            except Exception as exc:  # survive, say so, retry: see the module docstring
                pause = self.health.failed(exc)
                try:
                    self._reset()
                except Exception:
                    log.exception("%s: could not reset", self.health.name)
                continue
            self.health.ok()
            pause = self._every
        try:
            self._reset()
        finally:
            self.health.stopped()
