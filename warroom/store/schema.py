"""Schema and migrations of the local database.

Each migration runs once, in order, inside a transaction, and bumps ``schema_version``
in ``meta``. Never edit a released migration: add a new one, so every installation
reaches the same schema by the same steps.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils


def _v1(db: "sqlite_utils.Database") -> None:
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


def _v2(db: "sqlite_utils.Database") -> None:
    """Sync with a server: where each event sits in the server's log, and what was verified.

    ``events.server_seq``/``hash`` are set once a server acknowledged the event; rows in
    ``events`` stay in local ``seq`` order, which sync keeps equal to server order for
    acknowledged events followed by pending ones. ``sync_heads`` is the last position of
    each incident's chain this client verified itself; ``rejected`` keeps events a server
    refused, with its reason, out of the fold but never out of sight.
    """
    db["events"].add_column("server_seq", int)
    db["events"].add_column("hash", str)
    db["events"].create_index(["incident_id", "server_seq"], unique=True)
    db["sync_heads"].create({"incident_id": str, "seq": int, "hash": str}, pk="incident_id")
    db["rejected"].create(
        {
            "id": str,
            "incident_id": str,
            "kind": str,
            "actor": str,
            "occurred_at": str,
            "body": str,
            "reason": str,
            "rejected_at": str,
        },
        pk="id",
    )
    db["checkpoints"].create(
        {
            "incident_id": str,
            "seq": int,
            "head": str,
            "signed_at": str,
            "key_id": str,
            "signature": str,
        },
        pk=("incident_id", "seq"),
    )


def _v3(db: "sqlite_utils.Database") -> None:
    """The timeline shows an incident's rejected entries inline: find them by incident."""
    db["rejected"].create_index(["incident_id"])


def _v4(db: "sqlite_utils.Database") -> None:
    """Entries re-issued under another name (with consent, at login or on resubmission)
    keep their original here, linked to the new event; and an incident whose declaration
    the server refused stays listed, even on homes where an older warroom dropped it."""
    db["reissued"].create(
        {
            "original_id": str,
            "new_id": str,
            "incident_id": str,
            "body": str,
            "reissued_at": str,
        },
        pk="original_id",
    )
    db.execute(
        "INSERT OR IGNORE INTO incidents (id, first_seq)"
        " SELECT DISTINCT incident_id, NULL FROM rejected"
    )


def _v5(db: "sqlite_utils.Database") -> None:
    """Caches for homes with many incidents and incidents with many events, filled on
    first use after this migration: one line per incident for listings
    (``warroom.store.summaries``) and each incident's timeline order
    (``warroom.store.timeline``)."""
    db["summaries"].create(
        {"incident_id": str, "version": int, "through_seq": int, "summary": str},
        pk="incident_id",
    )
    db["timeline_cache"].create(
        {
            "incident_id": str,
            "version": int,
            "through_seq": int,
            "seqs": bytes,
            "stamps": bytes,
        },
        pk="incident_id",
    )


def _v6(db: "sqlite_utils.Database") -> None:
    """A cache of each log's follow-ups (its action items, or its risk) for the lists
    across every incident (``warroom.store.followups``), filled on first use."""
    db["followups_cache"].create(
        {"incident_id": str, "version": int, "through_seq": int, "record": str},
        pk="incident_id",
    )


def _v7(db: "sqlite_utils.Database") -> None:
    """A cache of each incident's facts for the report across incidents
    (``warroom.store.report_facts``), filled on first use."""
    db["report_cache"].create(
        {"incident_id": str, "version": int, "through_seq": int, "facts": str},
        pk="incident_id",
    )


MIGRATIONS: list[Callable[["sqlite_utils.Database"], None]] = [
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
]
SCHEMA_VERSION = len(MIGRATIONS)
