"""Remembered token look-ups, refreshed ahead of expiry so a busy token never waits.

Every request's token is checked; when the remembered answer ran out and the look-up
went to the database (through a thread) in the request's path, that put 7-20 ms on the
append tail once a second per token. So an answer is served for ``AUTH_CACHE_S`` from
the moment its read began, and once it is ``REFRESH_AFTER_S`` old the next request
starts one refresh in the background and is answered from the cache meanwhile. A
revocation by another process still shows within ``AUTH_CACHE_S``, as before: nothing
served was read longer ago than that.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from warroom.server.storage import Principal

AUTH_CACHE_S = 1.0
"""How long a valid token is remembered without asking the database again."""
REFRESH_AFTER_S = AUTH_CACHE_S / 2
"""From this age on, a request for a remembered token starts a refresh in the background."""

log = logging.getLogger("warroom.server")


@dataclass(frozen=True)
class _Remembered:
    principal: Principal
    read_at: float
    """``time.monotonic()`` when the read that found it began."""


class AuthCache:
    """Valid tokens by digest; ``look_up`` (run in a thread) reads one from the database.
    Used on the event loop only."""

    def __init__(self, look_up: Callable[[str], Principal | None]) -> None:
        self._look_up = look_up
        self._remembered: dict[str, _Remembered] = {}
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        self._generation = 0
        """Bumped by ``forget``: a read begun before it must not store what it found."""

    async def principal(self, digest: str) -> Principal | None:
        """The token's owner: remembered if read within ``AUTH_CACHE_S``, else read now."""
        remembered = self._remembered.get(digest)
        if remembered is not None:
            age = time.monotonic() - remembered.read_at
            if age < AUTH_CACHE_S:
                if age >= REFRESH_AFTER_S and digest not in self._refreshing:
                    self._refreshing[digest] = asyncio.create_task(self._refresh(digest))
                return remembered.principal
        return await self._read(digest)

    def forget(self) -> None:
        """Drop every remembered token (a revocation), so each is read again when next used."""
        self._generation += 1
        self._remembered.clear()

    async def _read(self, digest: str) -> Principal | None:
        began, generation = time.monotonic(), self._generation
        found = await asyncio.to_thread(self._look_up, digest)
        if generation != self._generation:
            return found  # forgotten meanwhile: what was read may predate the revocation
        if found is None:
            self._remembered.pop(digest, None)
        else:
            known = self._remembered.get(digest)
            if known is None or known.read_at < began:  # never replace a newer read
                self._remembered[digest] = _Remembered(found, began)
        return found

    async def _refresh(self, digest: str) -> None:
        try:
            await self._read(digest)
        except Exception:  # the entry runs out; the next request reads in its own path
            log.warning("refreshing a token look-up failed", exc_info=True)
        finally:
            self._refreshing.pop(digest, None)
