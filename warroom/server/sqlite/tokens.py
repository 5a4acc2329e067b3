"""Access tokens in the server database: stored hashed, looked up with a short cache."""

import asyncio
import hashlib
import secrets
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from warroom.core.timeparse import utcnow
from warroom.server.sqlite.schema import connect
from warroom.server.storage import LastAdminToken, Principal, TokenInfo, TokenRole
from warroom.server.token_cache import AuthCache


def hash_secret(secret: str) -> str:
    """Tokens are 256 random bits, so one SHA-256 is enough to store them safely."""
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """The ``tokens`` table; ``reader`` gives the calling thread's read connection."""

    def __init__(self, path: Path, reader: Callable[[], sqlite3.Connection]) -> None:
        self.path = path
        self._reader = reader
        self._auth_cache = AuthCache(self._authenticate)

    async def authenticate(self, secret: str) -> Principal | None:
        """Look a token up, remembering valid ones for ``AUTH_CACHE_S`` and refreshing a
        busy one in the background (a revocation by ``warroom token revoke`` in another
        process takes effect within that time)."""
        return await self._auth_cache.principal(hash_secret(secret))

    def _authenticate(self, digest: str) -> Principal | None:
        row = (
            self._reader()
            .execute(
                "SELECT id, name, role, device FROM tokens"
                " WHERE secret_hash = ? AND revoked_at IS NULL",
                (digest,),
            )
            .fetchone()
        )
        return Principal(token_id=row[0], name=row[1], role=row[2], device=row[3]) if row else None

    async def create(self, name: str, role: TokenRole, device: str = "") -> tuple[TokenInfo, str]:
        return await asyncio.to_thread(self._create, name, role, device)

    def _create(self, name: str, role: TokenRole, device: str) -> tuple[TokenInfo, str]:
        token_id = "tok-" + secrets.token_hex(4)
        secret = f"wr_{token_id.removeprefix('tok-')}_{secrets.token_urlsafe(32)}"
        now = utcnow()
        with connect(self.path) as conn:
            conn.execute(
                "INSERT INTO tokens (id, secret_hash, name, role, device, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (token_id, hash_secret(secret), name, role, device, now.isoformat()),
            )
        return TokenInfo(token_id, name, role, device, now, None), secret

    async def all(self) -> list[TokenInfo]:
        return await asyncio.to_thread(self._list)

    def _list(self) -> list[TokenInfo]:
        rows = self._reader().execute(
            "SELECT id, name, role, device, created_at, revoked_at FROM tokens ORDER BY created_at"
        )
        return [
            TokenInfo(
                r[0],
                r[1],
                r[2],
                r[3],
                datetime.fromisoformat(r[4]),
                datetime.fromisoformat(r[5]) if r[5] else None,
            )
            for r in rows
        ]

    def forget_cached(self) -> None:
        """Drop every remembered token, so the next request of each is looked up again."""
        self._auth_cache.forget()

    async def revoke(self, token_id: str, *, keep_an_admin: bool = False) -> bool:
        """Revoke an active token; False if there is none by that id. With
        ``keep_an_admin``, raise ``LastAdminToken`` rather than revoke the last active
        admin token (checked in the same statement, so two admins revoking each other at
        once cannot both succeed)."""
        self.forget_cached()
        return await asyncio.to_thread(self._revoke, token_id, keep_an_admin)

    def _revoke(self, token_id: str, keep_an_admin: bool) -> bool:
        with connect(self.path) as conn:
            cursor = conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
                " AND NOT (? AND role = 'admin' AND NOT EXISTS (SELECT 1 FROM tokens AS other"
                "  WHERE other.role = 'admin' AND other.revoked_at IS NULL AND other.id != ?))",
                (utcnow().isoformat(), token_id, keep_an_admin, token_id),
            )
            if cursor.rowcount == 1:
                return True
            active = conn.execute(
                "SELECT 1 FROM tokens WHERE id = ? AND revoked_at IS NULL", (token_id,)
            ).fetchone()
        if active:
            raise LastAdminToken(token_id)
        return False

    def revoked_ids(self) -> set[str]:
        """Every revoked token's id (the table is small: one row per person and device)."""
        rows = self._reader().execute("SELECT id FROM tokens WHERE revoked_at IS NOT NULL")
        return {row[0] for row in rows}
