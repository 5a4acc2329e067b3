"""The embedded backend: one SQLite file, one writer thread, group commit.

``store`` is the storage the HTTP layer uses, ``writer`` the thread that appends,
``schema`` the tables and their migrations, ``tokens`` the access tokens.
"""

from warroom.server.sqlite.schema import DB_FILE, SCHEMA_VERSION
from warroom.server.sqlite.store import SQLiteStorage
from warroom.server.sqlite.tokens import AUTH_CACHE_S

__all__ = ["AUTH_CACHE_S", "DB_FILE", "SCHEMA_VERSION", "SQLiteStorage"]
