"""Access tokens in the shared database: the SQLite token store's cache and checks, with
PostgreSQL's statements. Every replica sees a token as soon as it is committed."""

import secrets

from psycopg_pool import ConnectionPool

from warroom.core.timeparse import utcnow
from warroom.server.sqlite.tokens import TokenStore, hash_secret
from warroom.server.storage import LastAdminToken, Principal, TokenInfo, TokenRole
from warroom.server.token_cache import AuthCache


class PostgresTokens(TokenStore):
    """The ``tokens`` table; ``pool`` gives connections in autocommit mode."""

    def __init__(self, pool: ConnectionPool) -> None:  # no SQLite path or reader
        self._pool = pool
        self._auth_cache = AuthCache(self._authenticate)

    def _authenticate(self, digest: str) -> Principal | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT id, name, role, device FROM tokens"
                " WHERE secret_hash = %s AND revoked_at IS NULL",
                (digest,),
            ).fetchone()
        return Principal(token_id=row[0], name=row[1], role=row[2], device=row[3]) if row else None

    def _create(self, name: str, role: TokenRole, device: str) -> tuple[TokenInfo, str]:
        token_id = "tok-" + secrets.token_hex(4)
        secret = f"wr_{token_id.removeprefix('tok-')}_{secrets.token_urlsafe(32)}"
        now = utcnow()
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO tokens (id, secret_hash, name, role, device, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (token_id, hash_secret(secret), name, role, device, now),
            )
        return TokenInfo(token_id, name, role, device, now, None), secret

    def _list(self) -> list[TokenInfo]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT id, name, role, device, created_at, revoked_at FROM tokens"
                " ORDER BY created_at"
            ).fetchall()
        return [TokenInfo(*row) for row in rows]

    def _revoke(self, token_id: str, keep_an_admin: bool) -> bool:
        """As SQLite's: the last-admin check is in the statement. Under READ COMMITTED two
        admins revoking each other at once could both pass it, so the admin rows are
        locked first."""
        with self._pool.connection() as conn, conn.transaction():
            if keep_an_admin:
                conn.execute("SELECT 1 FROM tokens WHERE role = 'admin' FOR UPDATE")
            cursor = conn.execute(
                "UPDATE tokens SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL"
                " AND NOT (%s AND role = 'admin' AND NOT EXISTS (SELECT 1 FROM tokens AS other"
                "  WHERE other.role = 'admin' AND other.revoked_at IS NULL AND other.id != %s))",
                (utcnow(), token_id, keep_an_admin, token_id),
            )
            if cursor.rowcount == 1:
                return True
            active = conn.execute(
                "SELECT 1 FROM tokens WHERE id = %s AND revoked_at IS NULL", (token_id,)
            ).fetchone()
        if active:
            raise LastAdminToken(token_id)
        return False

    def revoked_ids(self) -> set[str]:
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT id FROM tokens WHERE revoked_at IS NOT NULL").fetchall()
        return {row[0] for row in rows}
