"""LocalStore: append-only events in SQLite, an outbox for sync, cached folds.

Durability comes first: WAL with ``synchronous=FULL`` so an event reported as written
survives ``kill -9`` and power loss, and every append is one transaction (event row,
outbox row, device counter) so a crash never leaves half an event. The file is created
0600 because incident logs routinely hold customer names and credentials pasted in
haste.

Folding 100k events from scratch costs about a second in pydantic validation alone, so
the store caches a folded snapshot per incident and folds only the tail; the fold's
prefix property (``fold(rest, fold(prefix)) == fold(all)``) makes that exact.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from warroom.core.errors import AlreadyRecorded, NotFound, StoreError, WarroomError
from warroom.core.ids import new_device_id
from warroom.core.timeparse import utcnow
from warroom.store.cache_write import cache_write
from warroom.store.checkpoints import WalCheckpoints, prepare_writer
from warroom.store.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:  # the event model and the fold (~0.3 s of imports) load where they are
    import sqlite_utils  # used, so reading saved summaries (`warroom list`) skips them
    from pydantic import BaseModel

    from warroom.core.events import Event
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

BUSY_TIMEOUT_S = 30.0
"""How long a write waits for another process's transaction: several sync processes
catching up on one home take turns with a scribe's entries, and an entry typed must be
recorded, not refused because a catch-up batch was being stored."""


class ReadOnlyHome(WarroomError):
    """The home cannot be written (permissions, a read-only mount): a person must act."""


class LocalStore:
    """One WARROOM_HOME's database. Not thread-safe: open one per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._working: dict[str, tuple[tuple[int, int], int, IncidentState]] = {}
        """``working_state``'s folds: incident → (connection key, last seq folded, state)."""
        self._unsaved: dict[str, int] = {}
        """Rows ``working_state`` folded onto an incident since its snapshot."""
        self.read_only = path.exists() and not (
            os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
        )
        """A home on a read-only mount or without write permission: reads work, from a
        connection that writes nothing (no migration, no cached fold); writes are refused
        with ``ReadOnlyHome``."""
        with _translated_errors(path):
            if self.read_only:
                self.conn = _open_read_only(path)
                self._check_schema(int(self._meta("schema_version") or 0))
                self.device_id = self._meta("device_id")
                return
            _create_private(path)
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            prepare_writer(conn)  # checkpoints run off the append path: see checkpoints.py
            self._checkpoints = WalCheckpoints(path)
            self.conn = conn
            self._migrate()
            self.device_id = self._meta("device_id") or self._init_device()

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The connection wrapped by sqlite-utils, for migrations and ad-hoc queries.

        Built on first use: importing sqlite-utils costs ~50 ms, and the war-room screen
        has to be on the screen within 300 ms, so the store itself uses ``conn``.
        """
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        if not self.read_only:
            self._checkpoints.close(self.conn)
        self.conn.close()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------

    def append_new(
        self,
        *,
        event_id: str,
        incident_id: str,
        actor: str,
        occurred_at: datetime,
        payload: BaseModel | dict,
    ) -> Event:
        """Write one event created on this device, stamping the device counter atomically.

        The counter is read and bumped inside the same ``BEGIN IMMEDIATE`` transaction as
        the insert, so two processes sharing a home never reuse a number.

        The event is folded straight into its incident's working fold (``working_state``),
        which the next append's rules read without reading the row back; kept folds that
        were current when the write lock was taken stay current (nothing but this row was
        added), any other is left to start again from the snapshot.
        """
        with self._transaction():
            current = self._connection_key()  # under the write lock: no one else writes
            event, seq = self._write_own(event_id, incident_id, actor, occurred_at, payload)
        key = self._connection_key()
        for kept_id, (kept_key, through, state) in self._working.items():
            if kept_key != current:
                continue
            if kept_id == incident_id:
                from warroom.core.fold import apply

                apply(state, event)
                through = seq
                self._unsaved[kept_id] = self._unsaved.get(kept_id, 0) + 1
            self._working[kept_id] = (key, through, state)
        return event

    def write_own(
        self,
        *,
        event_id: str,
        incident_id: str,
        actor: str,
        occurred_at: datetime,
        payload: BaseModel | dict,
        seq: int | None = None,
    ) -> Event:
        """``append_new`` inside the caller's transaction; ``seq`` puts the event at a
        free place of the log instead of its end (re-issuing an entry keeps its place)."""
        return self._write_own(event_id, incident_id, actor, occurred_at, payload, seq)[0]

    def _write_own(
        self,
        event_id: str,
        incident_id: str,
        actor: str,
        occurred_at: datetime,
        payload: BaseModel | dict,
        seq: int | None = None,
    ) -> tuple[Event, int]:
        """``write_own``, also saying where the event went in the log (its ``seq``)."""
        if self.conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone():
            raise AlreadyRecorded(f"entry {event_id} is already on the record")
        from warroom.core.events import Event

        device_seq = int(self._meta("device_seq") or 0) + 1
        event = Event(
            id=event_id,
            incident_id=incident_id,
            actor=actor,
            occurred_at=occurred_at,
            recorded_at=utcnow(),
            device_id=self.device_id,
            device_seq=device_seq,
            payload=payload,
        )
        seq = self._insert(event, seq)
        self.conn.execute(
            "INSERT INTO outbox (event_id, queued_seq) VALUES (?, ?)", (event.id, seq)
        )
        self._set_meta("device_seq", str(device_seq))
        return event, seq

    def _insert(self, event: Event, seq: int | None = None) -> int:
        cursor = self.conn.execute(
            "INSERT INTO events (seq, id, incident_id, kind, actor, occurred_at, recorded_at,"
            " device_id, device_seq, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                event.id,
                event.incident_id,
                event.kind,
                event.actor,
                event.occurred_at.isoformat(),
                event.recorded_at.isoformat(),
                event.device_id,
                event.device_seq,
                event.model_dump_json(),
            ),
        )
        seq = cursor.lastrowid
        self.conn.execute(
            "INSERT OR IGNORE INTO incidents (id, first_seq) VALUES (?, ?)",
            (event.incident_id, seq),
        )
        return seq

    # -- reading -------------------------------------------------------------------------

    def incident_ids(self) -> list[str]:
        """Every incident, most recently active first."""
        with _translated_errors(self.path):
            rows = self.conn.execute(
                "SELECT id FROM incidents ORDER BY"
                " (SELECT MAX(seq) FROM events WHERE incident_id = incidents.id) DESC"
            ).fetchall()
        return [row[0] for row in rows]

    def has_incident(self, incident_id: str) -> bool:
        with _translated_errors(self.path):
            found = self.conn.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,))
            return found.fetchone() is not None

    def resolve_incident(self, ref: str) -> str:
        """Accept an exact id, a unique prefix, or the id without its ``inc-`` prefix.

        Every append resolves its incident, so this is two lookups on the ``incidents``
        primary key (a prefix is a key range), never a pass over every incident.
        """
        wanted = ref.strip().lower()
        if self.has_incident(wanted):
            return wanted
        with _translated_errors(self.path):
            rows = self.conn.execute(
                "SELECT id FROM incidents WHERE id >= ?1 AND id < ?1 || char(1114111)"
                " UNION SELECT id FROM incidents WHERE id >= ?2 AND id < ?2 || char(1114111)",
                (wanted, "inc-" + wanted),
            ).fetchall()
        matches = [row[0] for row in rows]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFound(f"no incident {ref!r}; `warroom list` shows the incidents here")
        raise NotFound(f"{ref!r} is ambiguous: {', '.join(sorted(matches))}")

    def events(self, incident_id: str, after_seq: int = 0) -> list[Event]:
        """The incident's events in local order, optionally only those after ``after_seq``."""
        from warroom.core.events import EVENT_LIST

        rows = self._rows(incident_id, after_seq)
        return EVENT_LIST.validate_json("[" + ",".join(r[1] for r in rows) + "]") if rows else []

    def event_bodies(self, incident_id: str) -> list[str]:
        """The stored JSON of every event, verbatim (unknown kinds included), in order."""
        return [body for _, body in self._rows(incident_id, 0)]

    def event_ids_starting(self, incident_id: str, prefix: str) -> list[str]:
        """Ids of the incident's events that start with ``prefix`` (for corrections)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with _translated_errors(self.path):
            rows = self.conn.execute(
                "SELECT id FROM events WHERE incident_id = ? AND id LIKE ? ESCAPE '\\' LIMIT 5",
                (incident_id, escaped + "%"),
            ).fetchall()
        return [row[0] for row in rows]

    def _rows(self, incident_id: str, after_seq: int) -> list[tuple[int, str]]:
        with _translated_errors(self.path):
            return self.conn.execute(
                "SELECT seq, body FROM events WHERE incident_id = ? AND seq > ? ORDER BY seq",
                (incident_id, after_seq),
            ).fetchall()

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
        with _translated_errors(self.path):
            key = self._connection_key()
            kept = self._working.get(incident_id)
            if kept is not None and kept[0] == key:  # every change since was an
                _, last_seq, state = kept  # append_new, which folded its event in
                behind = self._unsaved.get(incident_id, 0)
            else:
                base, through = self._snapshot(incident_id)  # fresh from JSON: ours
                state, last_seq, behind = self._fold_rows(incident_id, through, base)
                if state is None:
                    return self._refused_state(incident_id)
            if behind >= SNAPSHOT_EVERY and not (self.read_only or self.conn.in_transaction):
                self._save_snapshot(incident_id, state, last_seq)
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
        with _translated_errors(self.path):
            cached, through = self._snapshot(incident_id)  # fresh from JSON: ours to fold on
            state, last_seq, folded = self._fold_rows(incident_id, through, cached)
            if state is None:  # no entry in the log: the server refused the declaration
                return self._refused_state(incident_id)
            if (folded >= SNAPSHOT_EVERY or (keep and folded)) and not self.read_only:
                self._save_snapshot(incident_id, state, last_seq)
        return state

    def _fold_rows(
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
        ``state`` itself: from this table (``_fold_rows``), or rows a catch-up has just
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

    def _snapshot(self, incident_id: str) -> tuple[IncidentState | None, int]:
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

    def _save_snapshot(self, incident_id: str, state: IncidentState, through_seq: int) -> None:
        with cache_write(self.conn), self._transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO snapshots (incident_id, fold_version, through_seq, state)"
                " VALUES (?, ?, ?, ?)",
                (incident_id, FOLD_VERSION, through_seq, state.model_dump_json()),
            )

    def outbox(self, limit: int = 500) -> list[Event]:
        """Events written here and not yet acknowledged by a backend, oldest first."""
        from warroom.core.events import EVENT_LIST

        bodies = [
            row[0]
            for row in self.conn.execute(
                "SELECT e.body FROM outbox o JOIN events e ON e.id = o.event_id"
                " ORDER BY o.queued_seq LIMIT ?",
                (limit,),
            )
        ]
        return EVENT_LIST.validate_json("[" + ",".join(bodies) + "]") if bodies else []

    def integrity_check(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]

    # -- plumbing ------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self.read_only:
            raise ReadOnlyHome(
                f"the home {self.path.parent} is read-only: nothing can be recorded in it;"
                " reading works (make it writable, or use another WARROOM_HOME, to write)"
            )
        with _translated_errors(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        self._checkpoints.after_commit(self.conn)

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _init_device(self) -> str:
        device_id = new_device_id()
        with self._transaction():
            existing = self._meta("device_id")
            if existing:
                return existing
            self._set_meta("device_id", device_id)
        return device_id

    def _check_schema(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} is from a newer warroom (schema {version}); upgrade warroom"
            )
        if self.read_only and version < SCHEMA_VERSION:
            raise ReadOnlyHome(
                f"the home {self.path.parent} is read-only and its database is from an older"
                " warroom: open it once where it is writable, to upgrade it"
            )

    def _migrate(self) -> None:
        self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        with self._transaction():
            version = int(self._meta("schema_version") or 0)
            self._check_schema(version)
            for migration in MIGRATIONS[version:]:
                migration(self.db)
            self._set_meta("schema_version", str(SCHEMA_VERSION))


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


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes: read-only if SQLite can share the home's WAL
    index, else immutable (a read-only mount where no ``-shm`` file can be made; a home
    closed cleanly has nothing left in its WAL)."""
    uri = path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        conn.execute("SELECT COUNT(*) FROM meta").fetchone()
        return conn
    except sqlite3.OperationalError:
        return sqlite3.connect(f"{uri}?immutable=1", uri=True)


def _create_private(path: Path) -> None:
    """Create the database file (and its folder) readable by its owner only, and take
    group and other access away from an existing one and its WAL and shared-memory files
    (SQLite gives those the database's mode), e.g. a home from an older warroom."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            try:
                if file.stat().st_mode & 0o077:
                    file.chmod(0o600)
            except OSError:  # absent, or a read-only home: nothing to tighten there
                pass
        return
    os.close(fd)


@contextmanager
def _translated_errors(path: Path) -> Iterator[None]:
    """Turn sqlite3's exceptions into one-line messages a responder can act on."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise StoreError(
                f"the database {path} is locked by another process; try again in a moment"
            ) from None
        raise StoreError(f"cannot use the database {path}: {text}") from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(damaged(path, exc)) from None
    except OSError as exc:
        raise StoreError(f"cannot open {path}: {exc.strerror or exc}") from None


def damaged(path: Path, exc: Exception) -> str:
    """What to say about a database SQLite cannot read (malformed pages, not a database)."""
    return (
        f"the local database at {path} is damaged: {exc}; move it aside and restore it from"
        " a backup, or `warroom login` again on a fresh home to fetch the shared record"
        f" (`sqlite3 {path} .recover` may save entries not yet synced)"
    )
