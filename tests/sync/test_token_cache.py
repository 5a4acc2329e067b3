"""The token cache: a busy token is answered from memory while it is refreshed in the
background, and a revocation made elsewhere still shows within ``AUTH_CACHE_S``."""

import asyncio
import sqlite3
import time
from pathlib import Path

from warroom.server.sqlite import SQLiteStorage
from warroom.server.sqlite.tokens import TokenStore
from warroom.server.token_cache import AUTH_CACHE_S

SLOW_READ_S = 0.2
"""How long each token read takes in the first test (a database busy with appends)."""


def test_a_busy_tokens_look_up_never_waits_on_the_database(tmp_path: Path, monkeypatch):
    reads: list[float] = []
    real_read = TokenStore._authenticate

    def slow_read(self: TokenStore, digest: str):
        reads.append(time.monotonic())
        time.sleep(SLOW_READ_S)
        return real_read(self, digest)

    monkeypatch.setattr(TokenStore, "_authenticate", slow_read)

    async def scenario() -> list[float]:
        storage = SQLiteStorage(tmp_path / "data")
        _, secret = await storage.create_token("alice", "responder")
        assert await storage.authenticate(secret) is not None  # the first look-up reads
        waits: list[float] = []
        end = time.monotonic() + 3 * AUTH_CACHE_S
        while time.monotonic() < end:
            began = time.monotonic()
            assert await storage.authenticate(secret) is not None
            waits.append(time.monotonic() - began)
            await asyncio.sleep(0.02)
        return waits

    waits = asyncio.run(scenario())
    assert max(waits) < SLOW_READ_S / 2, f"a look-up waited {max(waits) * 1000:.0f} ms"
    assert len(reads) >= 3, "the remembered token was never read again"


def test_a_busy_token_revoked_elsewhere_is_refused_within_the_cache_time(tmp_path: Path):
    async def scenario() -> float:
        storage = SQLiteStorage(tmp_path / "data")
        info, secret = await storage.create_token("alice", "responder")
        end = time.monotonic() + AUTH_CACHE_S * 0.7
        while time.monotonic() < end:  # hot: the cache is being refreshed ahead
            assert await storage.authenticate(secret) is not None
            await asyncio.sleep(0.01)
        with sqlite3.connect(storage.path) as other:  # as ``warroom token revoke`` does
            other.execute("UPDATE tokens SET revoked_at = 'now' WHERE id = ?", (info.id,))
        revoked_at = time.monotonic()
        while await storage.authenticate(secret) is not None:
            assert time.monotonic() - revoked_at < 5 * AUTH_CACHE_S, "never refused"
            await asyncio.sleep(0.01)
        return time.monotonic() - revoked_at

    took = asyncio.run(scenario())
    assert took <= AUTH_CACHE_S + 0.3, f"refused only {took:.2f} s after the revocation"
