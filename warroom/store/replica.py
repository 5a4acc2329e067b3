"""The sync side of the local store: outbox results in, server history in, verified.

This module is which server the home follows, the outbox and what the server made of it
(acknowledged, or refused), and the verified chain that verify and export read. Taking
the server's feed in — checking it extends the verified chain and keeping the log in
the server's order — is ``replica_ingest``, mixed into ``Replica``; ``Stored`` is
importable from here as before.

Rejected events leave the fold (they never happened in the shared record) but are kept
in ``rejected`` with the server's reason, for the screen and the CLI to show.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.config import server_urls
from warroom.core.chain import ChainedEvent, ChainError, Checkpoint
from warroom.core.errors import WarroomError
from warroom.core.timeparse import utcnow
from warroom.store.local import LocalStore
from warroom.store.replica_ingest import FeedIngest, Stored
from warroom.store.sqlite_files import translated_errors

__all__ = ["RejectedEntry", "Replica", "ServerMismatch", "Settled", "Stored"]


class ServerMismatch(WarroomError):
    """This home already follows another server's record."""


@dataclass(frozen=True)
class RejectedEntry:
    id: str
    incident_id: str
    kind: str
    actor: str
    occurred_at: datetime
    reason: str
    body: str


@dataclass(frozen=True)
class Settled:
    acked: int
    rejected: list[RejectedEntry]


class Replica(FeedIngest):
    """Sync operations on one ``LocalStore`` (same thread rules: one per thread)."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.conn = store.conn
        self._stored: Stored | None = None
        """What ingests committed since ``take_stored``, inside ``bulk`` only."""

    # -- which server ------------------------------------------------------------------

    def binding(self) -> tuple[str | None, str | None]:
        """The server this home follows and its pinned checkpoint key."""
        return self.store._meta("sync_server"), self.store._meta("server_key")

    def bind(self, server: str, public_key: str, role: str | None = None) -> None:
        """Follow ``server`` and pin its key; refuse to mix two servers' histories.
        ``role`` is the token's, kept so that a viewer's home refuses entries as they
        are typed (``LocalStore.require_writing_login``).

        ``server`` may list several replicas of one record (``config.server_urls``): a
        list that shares a URL with the one followed so far replaces it (replicas come
        and go), and every replica must sign with the pinned key."""
        bound, key = self.binding()
        if bound is not None and not set(server_urls(bound)) & set(server_urls(server)):
            raise ServerMismatch(
                f"this home follows {bound}; its sequence numbers mean nothing on {server}."
                " Use another WARROOM_HOME for a different server"
            )
        if key is not None and key != public_key:
            raise ChainError(
                f"{server} now signs with a different key than the one pinned at login;"
                " refusing its history (if the server key was rotated on purpose, use a new"
                " WARROOM_HOME)"
            )
        known_role = self.store._meta("sync_role")
        if bound != server or key is None or (role is not None and role != known_role):
            with self.store._transaction():  # a replica added or dropped, a new token
                self.store._set_meta("sync_server", server)
                self.store._set_meta("server_key", public_key)
                if role is not None:
                    self.store._set_meta("sync_role", role)

    def cursor(self) -> str | None:
        return self.store._meta("sync_cursor")

    # -- the outbox --------------------------------------------------------------------

    def pending(self, limit: int = 500, max_bytes: int = 2_000_000) -> list[tuple[str, str]]:
        """(event id, stored JSON) of the oldest unacknowledged events, within a size cap."""
        rows = self.conn.execute(
            "SELECT e.id, e.body FROM outbox o JOIN events e ON e.id = o.event_id"
            " ORDER BY o.queued_seq LIMIT ?",
            (limit,),
        ).fetchall()
        batch, size = [], 0
        for event_id, body in rows:
            size += len(body)
            if batch and size > max_bytes:
                break
            batch.append((event_id, body))
        return batch

    def pending_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def settle(self, results: list[dict[str, Any]]) -> Settled:
        """Record a push's outcome: acknowledged events get their place, rejected ones
        leave the fold for ``rejected``. Idempotent, so a replayed answer is harmless."""
        acked, rejected = 0, []
        with self.store._transaction():
            for result in results:
                event_id = result["id"]
                if result["status"] == "applied":
                    self.conn.execute(
                        "UPDATE events SET server_seq = ?, hash = ?"
                        " WHERE id = ? AND server_seq IS NULL",
                        (result["server_seq"], result["hash"], event_id),
                    )
                    acked += 1
                else:
                    entry = self._reject(event_id, result.get("reason") or "rejected")
                    if entry is not None:
                        rejected.append(entry)
                self.conn.execute("DELETE FROM outbox WHERE event_id = ?", (event_id,))
        return Settled(acked, rejected)

    def _reject(self, event_id: str, reason: str) -> RejectedEntry | None:
        row = self.conn.execute(
            "SELECT seq, incident_id, kind, actor, occurred_at, body FROM events WHERE id = ?",
            (event_id,),
        ).fetchone()
        if row is None:
            return None
        seq, incident_id, kind, actor, occurred_at, body = row
        self.conn.execute(
            "INSERT OR REPLACE INTO rejected VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (event_id, incident_id, kind, actor, occurred_at, body, reason, utcnow().isoformat()),
        )
        self.conn.execute("DELETE FROM events WHERE seq = ?", (seq,))
        self._invalidate(incident_id, seq)  # the incident stays listed, even if now empty
        return RejectedEntry(
            event_id, incident_id, kind, actor, datetime.fromisoformat(occurred_at), reason, body
        )

    def rejected(self, incident_id: str | None = None) -> list[RejectedEntry]:
        """Events a server refused, oldest first — shown, never silently dropped."""
        query = "SELECT id, incident_id, kind, actor, occurred_at, reason, body FROM rejected"
        args: tuple = ()
        if incident_id is not None:
            query += " WHERE incident_id = ?"
            args = (incident_id,)
        with translated_errors(self.store.path):
            rows = self.conn.execute(query + " ORDER BY occurred_at", args).fetchall()
        return [
            RejectedEntry(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]), r[5], r[6])
            for r in rows
        ]

    def unaccepted_incidents(self) -> set[str]:
        """Incidents whose every entry the server refused, their declaration first: they
        live on in ``rejected`` only, and are shown as not accepted."""
        with translated_errors(self.store.path):
            rows = self.conn.execute(
                "SELECT DISTINCT incident_id FROM rejected AS r WHERE NOT EXISTS"
                " (SELECT 1 FROM events WHERE events.incident_id = r.incident_id)"
            ).fetchall()
        return {row[0] for row in rows}

    def rejected_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM rejected").fetchone()[0]

    def unacknowledged(self) -> set[str]:
        """Ids of every event of this device the server has not acknowledged yet."""
        return {row[0] for row in self.conn.execute("SELECT event_id FROM outbox")}

    def pending_ids(self, incident_id: str) -> set[str]:
        """Ids of the incident's events not yet acknowledged by the server."""
        rows = self.conn.execute(
            "SELECT o.event_id FROM outbox o JOIN events e ON e.id = o.event_id"
            " WHERE e.incident_id = ?",
            (incident_id,),
        )
        return {row[0] for row in rows}

    # -- for verify and export -----------------------------------------------------------

    def chain(self, incident_id: str) -> list[ChainedEvent]:
        """The incident's events this client verified in server order (up to its head)."""
        rows = self.conn.execute(
            "SELECT server_seq, hash, body FROM events"
            " WHERE incident_id = ? AND server_seq <= ? ORDER BY server_seq",
            (incident_id, self.head(incident_id).seq),
        )
        return [ChainedEvent(server_seq=s, hash=h, event=json.loads(b)) for s, h, b in rows]

    def checkpoints(self, incident_id: str) -> list[Checkpoint]:
        rows = self.conn.execute(
            "SELECT incident_id, seq, head, signed_at, key_id, signature FROM checkpoints"
            " WHERE incident_id = ? ORDER BY seq",
            (incident_id,),
        )
        return [
            Checkpoint(
                incident_id=r[0], seq=r[1], head=r[2], signed_at=r[3], key_id=r[4], signature=r[5]
            )
            for r in rows
        ]
