"""Background jobs that must run once across replicas: on the lease holder only.

Several ``warroom serve`` replicas on one database all start a ``BackgroundJobs``; each
asks the storage for the ``background-jobs`` lease every ``every_s`` seconds
(``EventStorage.hold_lease``), and only the one that holds it calls its jobs'
``tick(now)``. The escalation ladder and the notice dispatcher are such jobs: a page or
a notice must not go out twice because two replicas saw it due.

The lease lasts ``ttl_s``; the holder renews it on every round, and again before a job
whenever a third of it has passed, so a slow job does not outlive it. When the holder
dies (``kill -9``, a lost machine) its lease simply runs out, and another replica takes
it within ``ttl_s + every_s`` seconds. A clean shutdown releases it at once. A replica
that cannot reach the lease (the database is down) runs nothing: it cannot know whether
another runs the jobs. A job that fails is logged and counted and ticks again on the
next round; it never stops the others. ``health`` reports each part as the storage's
threads do, and ``leader`` says who holds the lease, for ``GET /v1/health``.
"""

import asyncio
import inspect
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from warroom.core.timeparse import utcnow
from warroom.server.storage import EventStorage
from warroom.server.threads import ThreadHealth

log = logging.getLogger("warroom.server")

LEASE = "background-jobs"
LEASE_TTL_S = 5.0
"""How long a holder that stopped renewing keeps the jobs: the hand-over time."""
ROUND_S = 1.0
"""How often the lease is renewed (or asked for) and the jobs tick."""


class Job(Protocol):
    """Work done by one replica at a time. ``tick`` may be a coroutine function (run on
    the event loop) or a plain one (run on a worker thread); it does what is due at
    ``now`` and must be safe to call again after a crash (each step once, by the
    record, not by memory)."""

    name: str

    def tick(self, now: datetime) -> Awaitable[None] | None: ...


def new_holder() -> str:
    """A name for this process, unique across replicas and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class BackgroundJobs:
    """Run ``jobs`` while this replica holds the lease (see the module docstring)."""

    def __init__(
        self,
        storage: EventStorage,
        jobs: Sequence[Job] = (),
        *,
        holder: str | None = None,
        ttl_s: float = LEASE_TTL_S,
        every_s: float = ROUND_S,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.storage = storage
        self.jobs = list(jobs)
        self.holder = holder or new_holder()
        self.ttl_s, self.every_s, self.clock = ttl_s, every_s, clock
        self.leading = False
        """Whether this replica held the lease at its last renewal."""
        self._renewed_at = 0.0
        self._lease_health = ThreadHealth("leader-lease")
        self._job_health = {job.name: ThreadHealth(f"job:{job.name}") for job in self.jobs}
        self._task: asyncio.Task | None = None
        self._every: dict[str, float] = {}
        self._ticked_at: dict[str, float] = {}

    def register(self, job: Job, *, every_s: float | None = None) -> None:
        """Add a job before ``start``; it ticks at most every ``every_s`` seconds (by
        default on every round)."""
        self.jobs.append(job)
        self._job_health[job.name] = ThreadHealth(f"job:{job.name}")
        if every_s is not None:
            self._every[job.name] = every_s

    async def start(self) -> None:
        for health in (self._lease_health, *self._job_health.values()):
            health.ok()
        self._task = asyncio.create_task(self._rounds(), name="warroom-background-jobs")

    async def stop(self) -> None:
        """Stop ticking and hand the lease over at once."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.leading:
            self.leading = False
            try:
                await self.storage.release_lease(LEASE, self.holder)
            except Exception:  # it runs out by itself within ttl_s
                log.exception("could not release the background-jobs lease")
        for health in (self._lease_health, *self._job_health.values()):
            health.stopped()

    async def _rounds(self) -> None:
        while True:
            if await self._renew():
                for job in self.jobs:
                    due_at = self._ticked_at.get(job.name, -1e9) + self._every.get(job.name, 0)
                    if time.monotonic() < due_at:
                        continue
                    stale = time.monotonic() - self._renewed_at > self.ttl_s / 3
                    if stale and not await self._renew():
                        break
                    await self._tick(job)
            await asyncio.sleep(self.every_s)

    async def _renew(self) -> bool:
        asked_at = time.monotonic()
        try:
            held = await self.storage.hold_lease(LEASE, self.holder, self.ttl_s)
        except Exception as exc:  # the database is unreachable: run nothing
            self.leading = False
            self._lease_health.failed(exc)
            return False
        self._lease_health.ok()
        if held != self.leading:
            log.warning("%s %s the background jobs", self.holder, "runs" if held else "left")
        self.leading, self._renewed_at = held, asked_at
        return held

    async def _tick(self, job: Job) -> None:
        health = self._job_health[job.name]
        self._ticked_at[job.name] = time.monotonic()
        try:
            if inspect.iscoroutinefunction(job.tick):
                await job.tick(self.clock())
            else:
                await asyncio.to_thread(job.tick, self.clock())
        except Exception as exc:  # one job's failure stops neither it nor the others
            health.failed(exc)
        else:
            health.ok()

    def health(self) -> dict[str, dict[str, Any]]:
        """The lease's and each job's state, in the shape of the storage's threads."""
        parts = (self._lease_health, *self._job_health.values())
        return {health.name: health.report() for health in parts}

    def leader(self) -> dict[str, Any]:
        """Who this replica is, whether it runs the jobs, and which jobs it has."""
        return {
            "holder": self.holder,
            "leading": self.leading,
            "jobs": [job.name for job in self.jobs],
        }
