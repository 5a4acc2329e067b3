"""Schema and migrations of the local database.

Each migration runs once, in order, inside a transaction, and bumps ``schema_version``
in ``meta``. Never edit a released migration: add a new one, so every installation
reaches the same schema by the same steps.
"""

from collections.abc import Callable

import sqlite_utils


def _v1(db: sqlite_utils.Database) -> None:
    db["events"].create(
        {
            "seq": int,
            "id": str,
            "incident_id": str,
            "kind": str,
            "actor": str,
            "occurred_at": str,
            "recorded_at": str,
            "device_id": str,
            "device_seq": int,
            "body": str,
        },
        pk="seq",
        not_null={"id", "incident_id", "kind", "body"},
    )
    db["events"].create_index(["id"], unique=True)
    db["events"].create_index(["incident_id", "seq"])
    db["incidents"].create({"id": str, "first_seq": int}, pk="id")
    db["outbox"].create({"event_id": str, "queued_seq": int}, pk="event_id")
    db["snapshots"].create(
        {"incident_id": str, "fold_version": int, "through_seq": int, "state": str},
        pk="incident_id",
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1]
SCHEMA_VERSION = len(MIGRATIONS)
