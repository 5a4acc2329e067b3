"""The shared backend: several ``warroom serve`` replicas on one PostgreSQL database.

``store`` is the storage the HTTP layer uses, ``writer`` each replica's group-commit
thread, ``relay`` the live feed of a replica's subscribers, ``schema`` the tables and
the signing key, ``tokens`` the access tokens, ``copy`` the move from a SQLite server.
"""

from warroom.server.postgres.schema import SCHEMA_VERSION
from warroom.server.postgres.store import PostgresStorage

__all__ = ["SCHEMA_VERSION", "PostgresStorage"]
