"""The fold of a home's stored rows into ``IncidentState``: the working fold of the
write path, the folded state readers ask for, and the cached snapshots under both, as
methods of ``warroom.store.local.LocalStore`` (which mixes this class in).

Apart from ``local`` because it changes for other reasons than the log does: ``local``
writes rows durably and reads them back, this folds them, and is where a change of the
fold's output is versioned (``FOLD_VERSION``). Folding 100k events from scratch costs
about a second in pydantic validation alone, so the store caches a folded snapshot per
incident and folds only the tail; the fold's prefix property
(``fold(rest, fold(prefix)) == fold(all)``) makes that exact.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from warroom.core.errors import NotFound, StoreError
from warroom.store.cache_write import cache_write
from warroom.store.sqlite_files import damaged, translated_errors

if TYPE_CHECKING:  # the state model and the fold (~0.3 s of imports) load where they are
    import sqlite3  # used, so reading saved summaries (`warroom list`) skips them
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from pathlib import Path

    from warroom.core.state import IncidentState
    from warroom.core.stored_events import StoredRow

FOLD_VERSION = 12
"""Bump when the fold's output changes, so stale cached snapshots are ignored."""

SNAPSHOT_EVERY = 1000
"""Refresh the cached fold once this many events have piled up behind it."""

MAX_SEQ = 2**63 - 1
"""The largest ``seq`` SQLite can give a row: no bound."""

FoldRow = tuple[int, str, str, str, str | None]
"""A row as the fold reads it: seq, kind, id, occurred_at, body (``None`` may stand for
an inert kind's body, which is never read)."""

FOLD_CHUNK = 5000
"""Events validated at once while folding; bounds memory on very long incidents."""

log = logging.getLogger(__name__)


class LocalFolds:
    """Folded states and their snapshots; see ``LocalStore``."""

    path: Path
    conn: sqlite3.Connection
    read_only: bool
    _working: dict[str, tuple[tuple[int, int], int, IncidentState]]
    _unsaved: dict[str, int]
    if TYPE_CHECKING:
        _transaction: Callable[[], AbstractContextManager[None]]

    def working_state(self, incident_id: str) -> IncidentState:
        """The incident folded for this connection's own writer: kept between calls and
        folded forward in place — ``append_new`` folds in the event it writes — so the
        rules of an append read no row back, let alone the whole incident (100k events:
        ~0.2 s a copy otherwise).

        Any other change — another connection's commit (``data_version``), or one on this
        connection that is not an ``append_new`` (sync moving rows, a refusal deleting
        one: ``total_changes``) — starts again from the snapshot. The object is the
        store's: read it, never keep it or hand it to another thread (``state`` gives
        one of its own).

        The snapshot follows the appends: once ``SNAPSHOT_EVERY`` rows were folded onto
        it, it is saved, so a script logging entry after entry (each ``warroom log`` a
        process of its own, starting from the snapshot) never folds a growing tail.
        """
        with translated_errors(self.path):
            key = self._connection_key()
            kept = self._working.get(incident_id)
            if kept is not None and kept[0] == key:  # every change since was an
                _, last_seq, state = kept  # append_new, which folded its event in
                behind = self._unsaved.get(incident_id, 0)
            else:
                base, through = self.snapshot(incident_id)  # fresh from JSON: ours
                state, last_seq, behind = self.fold_rows(incident_id, through, base)
                if state is None:
                    return self._refused_state(incident_id)
            if behind >= SNAPSHOT_EVERY and not (self.read_only or self.conn.in_transaction):
                self.save_snapshot(incident_id, state, last_seq)
                behind = 0
                key = self._connection_key()
            self._unsaved[incident_id] = behind
            self._working[incident_id] = (key, last_seq, state)
            return state

    def _connection_key(self) -> tuple[int, int]:
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return version, self.conn.total_changes

    def state(self, incident_id: str, *, keep: bool = False) -> IncidentState:
        """The folded incident, from the cached snapshot plus the events behind it; the
        snapshot is refreshed once ``SNAPSHOT_EVERY`` piled up, or with ``keep`` as soon
        as anything did (the end of a catch-up)."""
        with translated_errors(self.path):
            cached, through = self.snapshot(incident_id)  # fresh from JSON: ours to fold on
            state, last_seq, folded = self.fold_rows(incident_id, through, cached)
            if state is None:  # no entry in the log: the server refused the declaration
                return self._refused_state(incident_id)
            if (folded >= SNAPSHOT_EVERY or (keep and folded)) and not self.read_only:
                self.save_snapshot(incident_id, state, last_seq)
        return state

    def fold_rows(
        self,
        incident_id: str,
        after_seq: int,
        state: IncidentState | None,
        through_seq: int = MAX_SEQ,
    ) -> tuple[IncidentState | None, int, int]:
        """Fold the rows after ``after_seq`` (up to ``through_seq``) onto ``state``
        itself, streaming: callers pass a state of their own (fresh from a snapshot's
        JSON, or the working fold), so nothing is copied — a deep copy of a state holding
        20k decisions cost more than folding the tail (2 s at 100k events). Inert kinds'
        bodies are never read, so not fetched either (``fold_onto``). Returns (state, seq
        of the last row, rows folded)."""
        from warroom.core.fold import INERT_KINDS

        inert = sorted(INERT_KINDS)
        cursor = self.conn.execute(
            "SELECT seq, kind, id, occurred_at, CASE WHEN kind IN"
            f" ({','.join('?' * len(inert))}) THEN NULL ELSE body END FROM events"
            " WHERE incident_id = ? AND seq > ? AND seq <= ? ORDER BY seq",
            (*inert, incident_id, after_seq, through_seq),
        )
        return self.fold_onto(incident_id, cursor, state, after_seq)

    def fold_onto(
        self,
        incident_id: str,
        rows: Iterable[FoldRow],
        state: IncidentState | None,
        after_seq: int = 0,
    ) -> tuple[IncidentState | None, int, int]:
        """Fold ``rows`` of the incident, in ``seq`` order after ``after_seq``, onto
        ``state`` itself: from this table (``fold_rows``), or rows a catch-up has just
        stored and still holds (``warroom.store.caches``), so both give the same fold.

        Every row's ``note_event`` part is tallied from its columns and applied at the
        end (no handler reads it, so order does not matter); inert kinds need nothing
        else (their body may be ``None``), and the rest are decoded in batches of
        ``FOLD_CHUNK`` so memory stays flat however long the incident is — by the
        trusted decode of rows this store wrote (``stored_events``), with the cyclic
        collector paused; a damaged row is a ``StoreError`` naming it. Returns (state,
        seq of the last row, rows folded).
        """
        from warroom.core.collector import paused_collector
        from warroom.core.stored_events import StoredRowError

        try:
            with paused_collector():
                return self._fold_onto_unpaused(incident_id, rows, state, after_seq)
        except StoredRowError as exc:
            raise StoreError(damaged(self.path, exc)) from None

    def _fold_onto_unpaused(
        self,
        incident_id: str,
        rows: Iterable[FoldRow],
        state: IncidentState | None,
        after_seq: int,
    ) -> tuple[IncidentState | None, int, int]:
        from warroom.core.fold import INERT_KINDS

        rows = iter(rows)
        last_seq, count, batch = after_seq, 0, []
        if state is None:  # the first event makes the state
            first = next(rows, None)
            if first is None:
                return None, last_seq, count
            seq, kind, _, _, body = first
            if body is None:
                (body,) = self.conn.execute(
                    "SELECT body FROM events WHERE seq = ?", (seq,)
                ).fetchone()
            state, last_seq, count = _fold_batch([(seq, kind, body)], None), seq, 1
        # The loop below runs once per row of a long incident, so what it reads of the
        # state is held in locals: ``known`` is the state's set of folded ids, and every
        # id folded here is in ``seen`` before its batch is, so no attribute is read per row.
        known = state.seen_ids
        seen: set[str] = set()  # note_event's work, tallied without setting a model's
        latest: datetime | None = None  # attributes per row
        parse = datetime.fromisoformat
        seq = last_seq  # the loop leaves it at its last row's
        for seq, kind, event_id, occurred_at, body in rows:
            count += 1
            if event_id in seen or event_id in known:
                continue
            seen.add(event_id)
            at = parse(occurred_at)
            if latest is None or at > latest:
                latest = at
            if kind in INERT_KINDS:
                continue
            batch.append((seq, kind, body))
            if len(batch) >= FOLD_CHUNK:
                state, batch = _fold_batch(batch, state), []
        last_seq = seq
        if batch:
            state = _fold_batch(batch, state)
        if seen and state.id == incident_id:  # note_event ignores strangers
            _note_all(state, seen, latest)
        return state, last_seq, count

    def _refused_state(self, incident_id: str) -> IncidentState:
        """An incident whose every entry the server refused, folded from those entries in
        the order they were refused: it stays in view (marked by its readers) instead of
        vanishing, until it is resubmitted."""
        from warroom.core.events import Event
        from warroom.core.fold import fold

        events = []
        for (body,) in self.conn.execute(
            "SELECT body FROM rejected WHERE incident_id = ? ORDER BY rowid", (incident_id,)
        ):
            try:
                events.append(Event.model_validate_json(body))
            except ValueError:  # a refused body that is not an event: `rejected` shows it
                continue
        if not events:
            raise NotFound(f"no incident {incident_id!r}")
        return fold(events)

    def snapshot(self, incident_id: str) -> tuple[IncidentState | None, int]:
        from warroom.core.state import IncidentState

        row = self.conn.execute(
            "SELECT state, through_seq FROM snapshots WHERE incident_id = ? AND fold_version = ?",
            (incident_id, FOLD_VERSION),
        ).fetchone()
        if row is None:
            return None, 0
        try:
            return IncidentState.model_validate_json(row[0]), row[1]
        except ValueError:  # only a cache: drop it and fold from the start
            log.info("%s: dropping a damaged cached fold of %s", self.path, incident_id)
            if not self.read_only:
                self.conn.execute("DELETE FROM snapshots WHERE incident_id = ?", (incident_id,))
            return None, 0

    def save_snapshot(self, incident_id: str, state: IncidentState, through_seq: int) -> None:
        with cache_write(self.conn), self._transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO snapshots (incident_id, fold_version, through_seq, state)"
                " VALUES (?, ?, ?, ?)",
                (incident_id, FOLD_VERSION, through_seq, state.model_dump_json()),
            )


def _note_all(state: IncidentState, seen: set[str], latest: datetime) -> None:
    """``note_event`` for a run of events at once: their count, ids and newest time. No
    handler reads those (and ids are unique in ``events``), so this is the same fold as
    noting them one by one."""
    state.seen_ids |= seen
    state.event_count += len(seen)
    if state.last_event_at is None or latest > state.last_event_at:
        state.last_event_at = latest


def _fold_batch(rows: list[StoredRow], state: IncidentState | None) -> IncidentState:
    """Decode stored ``rows`` and fold them onto ``state``, whose caller did their
    ``note_event`` part (``_note_all``); with no state, the first event makes one."""
    from warroom.core.fold import apply_effects, fold
    from warroom.core.stored_events import decode_stored

    events = decode_stored(rows)
    if state is None:
        return fold(events)
    apply_effects(state, events)
    return state
