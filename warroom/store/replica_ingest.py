"""Taking the server's feed into the home: one page at a time, verified, in the
server's order, as methods of ``warroom.store.replica.Replica`` (which mixes this class
in).

A ``LocalStore`` folds an incident's rows in local ``seq`` order. Sync keeps that order
equal to *the server's order for events whose place is settled, then this device's
pending events*: when a remote event lands, the incident's unsettled local events are
moved behind it (re-inserted with fresh ``seq`` values) and a cached snapshot that had
already folded one of them is dropped. So the fold, the snapshot cache and every reader
of ``LocalStore`` keep working unchanged, and two clients with the same server history
fold the same state.

An event's place is settled when the server's feed delivered it in order and this
client verified it extends the incident's chain (``sync_heads``). A feed that does not
extend the verified head — a different event at a known position, a gap, a bad hash or
a bad checkpoint signature — is refused whole (``ChainError``): nothing of the page is
written, and the caller must say so loudly.

Apart from ``replica`` because this is the one hot path of sync (a fresh client catching
up on a million events spends its time here) and the one that rewrites the log's order;
``replica`` keeps the binding to a server, the outbox and its refusals, which change
for other reasons.
"""

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from warroom.core.chain import (
    ChainError,
    Checkpoint,
    Head,
    canonical_bytes,
    check_link,
    verify_checkpoint,
)
from warroom.store.feed_records import FeedRecord, record_of
from warroom.store.local import LocalStore
from warroom.store.sqlite_files import translated_errors

_EVENT_COLUMNS = "id, incident_id, kind, actor, occurred_at, recorded_at, device_id, device_seq"


@dataclass
class Stored:
    """What the ingests of a bulk catch-up committed since it was last taken
    (``Replica.take_stored``): the read caches fold and sort these rows as they arrive
    (``warroom.store.caches``) instead of reading each one back and decoding it again."""

    incidents: set[str] = field(default_factory=set)
    """Every incident a record was for, new to this client or not."""
    runs: list[tuple[int, list[tuple]]] = field(default_factory=list)
    """The new rows, in the order they were inserted, as runs of (the local ``seq`` of
    the run's first row, its rows in ``_flush``'s columns): a run's ``seq`` values are
    consecutive (each insert took the table's largest plus one)."""
    disturbed: set[str] = field(default_factory=set)
    """Incidents whose earlier rows were rewritten or moved (this device's own events
    came back): their caches are rebuilt from the table."""


class FeedIngest:
    """The server's history coming in; see ``Replica``."""

    store: LocalStore
    conn: sqlite3.Connection
    _stored: Stored | None
    if TYPE_CHECKING:
        binding: Callable[[], tuple[str | None, str | None]]

    def head(self, incident_id: str) -> Head:
        row = self.conn.execute(
            "SELECT seq, hash FROM sync_heads WHERE incident_id = ?", (incident_id,)
        ).fetchone()
        return Head(seq=row[0], hash=row[1]) if row else Head.start(incident_id)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Around a catch-up of many pages: WAL checkpoints per tens of MB and once at
        the end instead of per 4 MB (``WalCheckpoints.deferred``), and what each ingest
        stored kept for the read caches, which take it page by page (``take_stored``:
        it holds the rows' bodies until then)."""
        if self.store.read_only:  # nothing is written: ingest refuses with ReadOnlyHome
            yield
            return
        self._stored = Stored()
        try:
            with self.store._checkpoints.deferred(self.conn):
                yield
        finally:
            self._stored = None

    def take_stored(self) -> Stored:
        """What the ingests inside ``bulk`` committed since the last call (nothing
        outside ``bulk``)."""
        if self._stored is None:
            return Stored()
        stored, self._stored = self._stored, Stored()
        return stored

    def ingest(self, items: list[dict[str, Any]], cursor: str) -> int:
        """``ingest_records`` for records decoded by ``json.loads`` (a live frame)."""
        return self.ingest_records([record_of(item) for item in items], cursor)

    def ingest_records(self, records: list[FeedRecord], cursor: str) -> int:
        """Apply one page of the server's feed atomically; returns how many were new here.

        Raises ``ChainError`` (and writes nothing) if the page does not extend what this
        client verified before. New events are written in batches (a fresh client
        catching up on 1M events spends its time here, so each event costs one hash of
        the canonical bytes ``feed_records`` vouched for — no model, no ``Head`` per
        event), flushed before any of this device's own events is settled so rows keep
        the feed's order.

        The transaction commits without waiting for the disk (``synchronous=NORMAL``):
        everything in it came from the server and is fetched again from the cursor,
        which commits with it, if a crash loses it; WAL keeps it atomic, and the next
        append of this device's own, committed in full, makes it durable too. Waiting
        for the disk per page was a quarter of catching up.
        """
        _, key = self.binding()
        local = self._local_rows([record[5][0] for record in records])
        heads: dict[str, tuple[int, str]] = {}
        batch: list[tuple] = []
        runs: list[tuple[int, list[tuple]]] | None = [] if self._stored is not None else None
        disturbed: set[str] = set()
        fresh = 0
        self.conn.execute("PRAGMA synchronous=NORMAL")
        try:
            with translated_errors(self.store.path), self.store._transaction():
                for incident_id, seq, digest, body, canonical, row, checkpoint, _ in records:
                    head = heads.get(incident_id)
                    if head is None:
                        start = self.head(incident_id)
                        head = (start.seq, start.hash)
                    if seq <= head[0]:
                        self._check_known(incident_id, seq, digest, canonical)
                        continue
                    check_link(incident_id, head[0], head[1], seq, digest, canonical)
                    heads[incident_id] = (seq, digest)
                    own = local.get(row[0]) if local else None  # none, on a fresh client
                    if own is None:
                        batch.append(row)
                    else:
                        fresh += self._flush(batch, runs)
                        batch = []
                        self._settle_own(own, incident_id, seq, digest, row[0], body)
                        disturbed.add(incident_id)
                    if checkpoint:
                        self._checkpoint(checkpoint, key, incident_id, seq, digest)
                fresh += self._flush(batch, runs)
                for incident_id, (seq, digest) in heads.items():
                    self.conn.execute(
                        "INSERT OR REPLACE INTO sync_heads VALUES (?, ?, ?)",
                        (incident_id, seq, digest),
                    )
                    if self._settle_order(incident_id, seq):
                        disturbed.add(incident_id)
                self.store._set_meta("sync_cursor", cursor)
        finally:
            self.conn.execute("PRAGMA synchronous=FULL")
        if self._stored is not None and runs is not None:  # committed: the caches may use it
            self._stored.incidents.update(record[0] for record in records)
            self._stored.runs += runs
            self._stored.disturbed |= disturbed
        return fresh

    def _check_known(self, incident_id: str, seq: int, digest: str, canonical: bytes) -> None:
        """A record this client already verified must come back identical, or not at all."""
        row = self.conn.execute(
            "SELECT hash, body FROM events WHERE incident_id = ? AND server_seq = ?",
            (incident_id, seq),
        ).fetchone()
        if row is None or row[0] != digest or not _same(row[1], canonical):
            raise ChainError(
                f"{incident_id}: the server now shows a different event #{seq} than the one"
                " this client verified: its history was rewritten; refusing it"
            )

    def _local_rows(self, ids: list[str]) -> dict[str, tuple[int, str, int | None]]:
        """This device's copies of the given events: id -> (local seq, body, server seq)."""
        found: dict[str, tuple[int, str, int | None]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT id, seq, body, server_seq FROM events WHERE id IN ({marks})", chunk
            )
            found.update((r[0], (r[1], r[2], r[3])) for r in rows)
        return found

    def _flush(self, batch: list[tuple], runs: list[tuple[int, list[tuple]]] | None) -> int:
        """Insert new remote events (records' rows), in order, and register incidents seen
        for the first time; returns how many rows ``batch`` held, and adds them to
        ``runs`` (if kept) with the ``seq`` of the first."""
        if not batch:
            return 0
        self.conn.executemany(
            f"INSERT INTO events ({_EVENT_COLUMNS}, body, server_seq, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
        if runs is not None:
            (last,) = self.conn.execute("SELECT last_insert_rowid()").fetchone()
            runs.append((last - len(batch) + 1, batch))
        for incident_id in {row[1] for row in batch}:
            self.conn.execute(
                "INSERT OR IGNORE INTO incidents (id, first_seq)"
                " SELECT ?, MIN(seq) FROM events WHERE incident_id = ?",
                (incident_id, incident_id),
            )
        return len(batch)

    def _settle_own(
        self,
        row: tuple[int, str, int | None],
        incident_id: str,
        seq: int,
        digest: str,
        event_id: str,
        body: str,
    ) -> None:
        """One of this device's events came back in the feed: give it its settled place."""
        local_seq, local_body, known_seq = row
        if known_seq is not None and known_seq != seq:
            raise ChainError(
                f"{incident_id}: the server acknowledged event {event_id} as #{known_seq}"
                f" but its history has it at #{seq}; refusing it"
            )
        if not _same(local_body, body.encode()):
            local_body = body  # the server's normalised form is the record
        self.conn.execute("DELETE FROM outbox WHERE event_id = ?", (event_id,))
        later_settled = self.conn.execute(
            "SELECT 1 FROM events WHERE incident_id = ? AND seq > ?"
            " AND server_seq IS NOT NULL AND server_seq < ? LIMIT 1",
            (incident_id, local_seq, seq),
        ).fetchone()
        if later_settled:
            self._move(local_seq, incident_id, server_seq=seq, digest=digest, body=local_body)
        else:
            self.conn.execute(
                "UPDATE events SET server_seq = ?, hash = ?, body = ? WHERE seq = ?",
                (seq, digest, local_body, local_seq),
            )

    def _settle_order(self, incident_id: str, verified: int) -> bool:
        """Move unsettled events (pending, or acknowledged but not yet delivered in order)
        behind the incident's last settled event, keeping their relative order; says
        whether any moved.

        Only the unsettled rows are read (through the ``(incident_id, server_seq)``
        index), and the last settled row is found walking back from the incident's end
        over them: a page costs the same whether the incident holds ten events or a
        million (a full scan per page made catching up quadratic).
        """
        unsettled = sorted(
            seq
            for (seq,) in self.conn.execute(
                "SELECT seq FROM events WHERE incident_id = ? AND server_seq IS NULL"
                " UNION ALL"
                " SELECT seq FROM events WHERE incident_id = ? AND server_seq > ?",
                (incident_id, incident_id, verified),
            )
        )
        if not unsettled:
            return False
        last_settled = None
        newest_first = self.conn.execute(
            "SELECT seq, server_seq FROM events WHERE incident_id = ? ORDER BY seq DESC",
            (incident_id,),
        )
        for seq, server_seq in newest_first:
            if server_seq is not None and server_seq <= verified:
                last_settled = seq
                break
        newest_first.close()
        if last_settled is None:
            return False
        moved = [local_seq for local_seq in unsettled if local_seq < last_settled]
        for local_seq in moved:
            self._move(local_seq, incident_id)
        return bool(moved)

    def _move(
        self,
        local_seq: int,
        incident_id: str,
        *,
        server_seq: int | None = None,
        digest: str | None = None,
        body: str | None = None,
    ) -> None:
        """Re-insert a row at the end of the log (optionally settling it on the way)."""
        row = self.conn.execute(
            f"SELECT {_EVENT_COLUMNS}, body, server_seq, hash FROM events WHERE seq = ?",
            (local_seq,),
        ).fetchone()
        values = list(row)
        if server_seq is not None:
            values[-3:] = [body, server_seq, digest]
        self.conn.execute("DELETE FROM events WHERE seq = ?", (local_seq,))
        self.conn.execute(
            f"INSERT INTO events ({_EVENT_COLUMNS}, body, server_seq, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        self._invalidate(incident_id, local_seq)

    def _invalidate(self, incident_id: str, seq: int) -> None:
        """Drop the caches (fold, summary, timeline order) that include the row at ``seq``."""
        for table in (
            "snapshots",
            "summaries",
            "timeline_cache",
            "followups_cache",
            "report_cache",
        ):
            self.conn.execute(
                f"DELETE FROM {table} WHERE incident_id = ? AND through_seq >= ?",
                (incident_id, seq),
            )

    def _checkpoint(
        self, data: dict[str, Any], key: str | None, incident_id: str, seq: int, digest: str
    ) -> None:
        try:
            checkpoint = Checkpoint.model_validate(data)
        except ValueError:
            raise ChainError(f"{incident_id}: a malformed checkpoint at #{seq}") from None
        if checkpoint.incident_id != incident_id or checkpoint.seq != seq:
            raise ChainError(f"{incident_id}: the checkpoint at #{seq} is for another position")
        if key is None:
            raise ChainError("no server key is pinned; run `warroom login` again")
        verify_checkpoint(checkpoint, key, digest)
        self.conn.execute(
            "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?, ?, ?)",
            (
                incident_id,
                seq,
                checkpoint.head,
                checkpoint.signed_at.isoformat(),
                checkpoint.key_id,
                checkpoint.signature,
            ),
        )


def _same(body: str, canonical: bytes) -> bool:
    """Whether a stored body is the event whose canonical bytes are ``canonical``."""
    try:
        return canonical_bytes(json.loads(body)) == canonical
    except ValueError:  # e.g. a NaN the server normalised to null
        return False
