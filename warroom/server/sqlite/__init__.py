"""The embedded backend: one SQLite file, one writer thread, group commit.

``store`` is the storage the HTTP layer uses, ``writer`` the thread that appends,
``schema`` the tables and their migrations, ``tokens`` the access tokens.
"""

from warroom.server.sqlite.schema import DB_FILE, SCHEMA_VERSION
from warroom.server.sqlite.store import SQLiteStorage

__all__ = ["DB_FILE", "SCHEMA_VERSION", "SQLiteStorage"]
