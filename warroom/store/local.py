"""LocalStore: append-only events in SQLite, an outbox for sync, cached folds.

Durability comes first: WAL with ``synchronous=FULL`` so an event reported as written
survives ``kill -9`` and power loss, and every append is one transaction (event row,
outbox row, device counter) so a crash never leaves half an event. The file is created
0600 because incident logs routinely hold customer names and credentials pasted in
haste.

This module is the log: writing rows, reading them back, the transaction and the
schema. Folding them into states and caching those is ``local_fold`` (mixed into
``LocalStore``); the database file's creation, opening and error messages are
``sqlite_files``. ``FOLD_VERSION`` and ``FoldRow`` are importable from here as before.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from warroom.core.errors import (
    AlreadyRecorded,
    InvalidInput,
    NotFound,
    StoreError,
    WarroomError,
)
from warroom.core.ids import new_device_id
from warroom.core.timeparse import utcnow
from warroom.core.token_roles import login_refusal
from warroom.store.checkpoints import WalCheckpoints, prepare_writer
from warroom.store.local_fold import FOLD_VERSION, FoldRow, LocalFolds
from warroom.store.schema import MIGRATIONS, SCHEMA_VERSION
from warroom.store.sqlite_files import (
    BUSY_TIMEOUT_S,
    create_private,
    login_of,
    open_read_only,
    translated_errors,
)

if TYPE_CHECKING:  # the event model and the fold (~0.3 s of imports) load where they are
    import sqlite_utils  # used, so reading saved summaries (`warroom list`) skips them
    from pydantic import BaseModel

    from warroom.core.events import Event
    from warroom.core.state import IncidentState

__all__ = ["FOLD_VERSION", "FoldRow", "LocalStore", "ReadOnlyHome"]


class ReadOnlyHome(WarroomError):
    """The home cannot be written (permissions, a read-only mount): a person must act."""


class LocalStore(LocalFolds):
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
        with translated_errors(path):
            if self.read_only:
                self.conn = open_read_only(path)
                self._check_schema(int(self._meta("schema_version") or 0))
                self.device_id = self._meta("device_id")
                return
            create_private(path)
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
        with translated_errors(self.path):
            rows = self.conn.execute(
                "SELECT id FROM incidents ORDER BY"
                " (SELECT MAX(seq) FROM events WHERE incident_id = incidents.id) DESC"
            ).fetchall()
        return [row[0] for row in rows]

    def has_incident(self, incident_id: str) -> bool:
        with translated_errors(self.path):
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
        with translated_errors(self.path):
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
        with translated_errors(self.path):
            rows = self.conn.execute(
                "SELECT id FROM events WHERE incident_id = ? AND id LIKE ? ESCAPE '\\' LIMIT 5",
                (incident_id, escaped + "%"),
            ).fetchall()
        return [row[0] for row in rows]

    def _rows(self, incident_id: str, after_seq: int) -> list[tuple[int, str]]:
        with translated_errors(self.path):
            return self.conn.execute(
                "SELECT seq, body FROM events WHERE incident_id = ? AND seq > ? ORDER BY seq",
                (incident_id, after_seq),
            ).fetchall()

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
        with translated_errors(self.path):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        self._checkpoints.after_commit(self.conn)

    def require_writing_login(self) -> None:
        """Refuse (``InvalidInput``) a person's entry in a home logged in with a token
        that may not write: the server would refuse it at the next sync."""
        server, role = login_of(self.conn)
        refusal = login_refusal(role, server)
        if refusal:
            raise InvalidInput(refusal)

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
