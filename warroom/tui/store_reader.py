"""The screen's reader thread: it owns one SQLite connection, opens the incident (its
folded state and its timeline order), answers the timeline's requests for rows it has
scrolled to, runs filters, and polls the store a few times a second (``PRAGMA
data_version``, a single cheap read) so entries written by any other process on the same
home — ``warroom log`` from a script, a second terminal, the sync worker — appear within a
second. It folds only the new events onto the state it already has.

Entries the sync server refused live in ``rejected``, not ``events`` (they are out of the
fold), but the timeline shows them inline, marked, at the time they happened: the reader
gives each one the position ``-rowid`` (local event positions are positive, so the two
never meet), answers fetches for negative positions from ``rejected``, adds them to a
filter's answer, and posts new ones as they arrive. ``rejected`` exists in every local
database (schema v2), synced or not, and its rows are never deleted or vacuumed, so a
``rowid`` names the same entry for as long as the screen is open.

The requests it answers come through its link's queue (``store_worker.StoreLink``, typed
here by ``ReaderLink`` so this module does not import it). The queries only read the
schema defined in ``warroom.store.schema``; every write goes through ``WarRoom``, on the
writer thread.
"""

import queue
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.message import Message
from textual.worker import get_current_worker

from warroom.core.errors import WarroomError
from warroom.tui import messages as msg
from warroom.tui import tail_reader
from warroom.tui.rows import Row, TimelineFilter, row_from_event

if TYPE_CHECKING:
    from warroom.core.events import Event
    from warroom.core.state import IncidentState
    from warroom.store.local import LocalStore
    from warroom.store.timeline import Order

POLL_S = 0.25
"""How often the reader looks for changes made by other processes."""

PAGE = 256
"""Rows fetched per request; the timeline asks for the page around what it shows."""


@dataclass(frozen=True)
class _Open:
    incident_id: str | None


@dataclass(frozen=True)
class _Fetch:
    incident_id: str
    seqs: tuple[int, ...]


@dataclass(frozen=True)
class _Filter:
    incident_id: str
    generation: int
    query: TimelineFilter


class _Kick:
    """Look for changes now (sent after this screen's own writes)."""


class ReaderLink(Protocol):
    """What the reader uses of its link: the database, the request queue, the two events
    it sets for the writer, and how it posts messages to the screen."""

    database: Path
    _reads: queue.Queue
    _reader_ready: threading.Event
    _opened: threading.Event

    def _post(self, message: Message) -> Any: ...


def _open_store(link: ReaderLink) -> "LocalStore | None":
    from warroom.store.local import LocalStore

    try:
        return LocalStore(link.database)
    except WarroomError as exc:
        link._post(msg.StoreFailed(str(exc)))
        return None


def _events(bodies: list[tuple[int, str]]) -> list["Event"]:
    from warroom.core.events import EVENT_LIST

    if not bodies:
        return []
    return EVENT_LIST.validate_json("[" + ",".join(body for _, body in bodies) + "]")


def _rows(bodies: list[tuple[int, str]]) -> list[Row]:
    return [
        row_from_event(seq, event) for (seq, _), event in zip(bodies, _events(bodies), strict=True)
    ]


def unreadable(exc: Exception) -> str:
    """What the screen says when reading the store failed in a way nothing foresaw: the
    screen stays up (what is recorded is safe in the store) and says to reopen it."""
    return (
        f"could not read the incident (internal error: {type(exc).__name__}: {exc});"
        " what is recorded is safe — quit and reopen warroom"
    )


class _Reader:
    def __init__(self, link: ReaderLink) -> None:
        self.link = link
        self.store: LocalStore | None = None
        self.incident_id: str | None = None
        self.state: IncidentState | None = None
        self.last_seq = 0
        self.count = 0
        """Rows of the open incident up to ``last_seq``, to notice rewritten history."""
        self.version: int | None = None
        self.rejected_rowid = 0
        """The newest ``rejected`` row already seen (rows are only ever added there, so a
        new one is how a refusal by the server shows)."""
        self.failed: str | None = None
        """The last unforeseen failure the screen was told of."""

    @property
    def conn(self):
        return self.store.conn

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def run(self) -> None:
        self.store = _open_store(self.link)
        self.link._reader_ready.set()
        if self.store is None:
            return
        worker = get_current_worker()
        while not worker.is_cancelled:
            try:
                request = self.link._reads.get(timeout=POLL_S)
            except queue.Empty:
                request = None
            try:
                self._handle(request)
            except WarroomError as exc:  # e.g. `:switch` to an incident that does not exist
                self.link._post(msg.Rejected(str(exc), request))
            except Exception as exc:  # a bug must not leave "opening the store…" up for good
                said = unreadable(exc)
                if said != self.failed:  # a poll that keeps failing says it once
                    self.failed = said
                    self.link._post(msg.StoreFailed(said))

    def _handle(self, request: object) -> None:
        match request:
            case _Open(incident_id):
                self._open(incident_id)
            case _Fetch(incident_id, seqs) if incident_id == self.incident_id:
                self._fetch(seqs)
            case _Filter(incident_id, generation, query) if incident_id == self.incident_id:
                self._filter(generation, query)
        self._poll()

    # -- opening -------------------------------------------------------------------------

    def _summaries(self) -> list[msg.IncidentSummary]:
        from warroom.store.summaries import incident_summaries

        return incident_summaries(self.store)

    def _open(self, incident_id: str | None) -> None:
        self.link._opened.clear()
        try:
            self._open_incident(incident_id)
        finally:
            self.link._opened.set()

    def _open_incident(self, incident_id: str | None) -> None:
        if incident_id is not None:
            incident_id = self.store.resolve_incident(incident_id)  # may refuse: change nothing
        self.version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        self.rejected_rowid = self._newest_rejected()
        self.last_seq = self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        summaries = None if incident_id else self._summaries()  # named: it goes first
        if summaries is not None:
            self.link._post(msg.Incidents(summaries))
            incident_id = _current(summaries)
        self.incident_id = incident_id
        if incident_id is None:
            self.state = None
            self.link._post(msg.Incidents(summaries, choose=True))
            return
        if tail_reader.tail_first(self.conn, incident_id, self.last_seq):  # the tail goes first
            self.link._post(tail_reader.tail(self.conn, incident_id, self.last_seq, PAGE, _rows))
        self.state = self.store.state(incident_id)
        seqs, stamps = self._timeline_order(incident_id)
        newest = self._rows_at(tuple(seqs[-PAGE:]))
        self.link._post(msg.Loaded(self.state, seqs, stamps, newest))
        if summaries is None:  # the list for the picker, after the incident is on screen
            self.link._post(msg.Incidents(self._summaries()))

    def _timeline_order(self, incident_id: str) -> "Order":
        """Every timeline position of the incident — events by ``seq``, rejected entries
        by ``-rowid`` — and its time, in timeline order (see ``warroom.store.timeline``)."""
        from warroom.store import timeline

        order = timeline.event_order(self.conn, incident_id, self.last_seq)
        self.count = len(order[0])
        refused = timeline.stamped(
            self.conn,
            "SELECT {time}, -rowid FROM rejected WHERE incident_id = ? AND rowid <= ?",
            (incident_id, self.rejected_rowid),
        )
        return timeline.merge(order, refused)

    # -- reading -------------------------------------------------------------------------

    def _bodies(self, seqs: tuple[int, ...]) -> list[tuple[int, str]]:
        if not seqs:
            return []
        marks = ",".join("?" * len(seqs))
        return self.conn.execute(
            f"SELECT seq, body FROM events WHERE seq IN ({marks}) ORDER BY seq", seqs
        ).fetchall()

    def _rows_at(self, seqs: tuple[int, ...]) -> list[Row]:
        """The rows at timeline positions: events by ``seq``, rejected entries by
        ``-rowid``."""
        rows = _rows(self._bodies(tuple(seq for seq in seqs if seq > 0)))
        refused = tuple(-seq for seq in seqs if seq < 0)
        if refused:
            rows += self._rejected_rows(f"rowid IN ({','.join('?' * len(refused))})", refused)
        return rows

    def _rejected_rows(self, where: str, params: tuple | list) -> list[Row]:
        """Rows for ``rejected`` entries, each carrying the server's reason."""
        found = self.conn.execute(
            f"SELECT -rowid, body, reason FROM rejected WHERE {where} ORDER BY rowid", params
        ).fetchall()
        events = _events([(seq, body) for seq, body, _ in found])
        return [
            row_from_event(seq, event, reason or "rejected")
            for (seq, _, reason), event in zip(found, events, strict=True)
        ]

    def _fetch(self, seqs: tuple[int, ...]) -> None:
        self.link._post(msg.Rows(self.incident_id, self._rows_at(seqs)))

    def _filter(self, generation: int, query: TimelineFilter) -> None:
        from warroom.core.events import TEXT_KINDS

        kinds = sorted(query.kinds)
        of_kinds = [f"kind IN ({','.join('?' * len(kinds))})"] if kinds else []
        where = ["incident_id = ?", "seq <= ?", *of_kinds]
        params = [self.incident_id, self.last_seq, *kinds]
        fixes = self.state.fixes
        if query.text and _prefilterable(query.text):
            # A typed entry's line is made of its body's words, so LIKE narrows those
            # safely; other kinds' lines add words ("assumed", "Severity ->") and are
            # few, so they are all checked, as are entries whose correction matches.
            fixed = [t for t, fix in fixes.items() if query.text in fix.text.lower()]
            escaped = query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            text_kinds = ",".join("?" * len(TEXT_KINDS))
            clause = f"kind NOT IN ({text_kinds}) OR body LIKE ? ESCAPE '\\'"
            params += [*TEXT_KINDS, f"%{escaped}%"]
            if fixed:
                clause += f" OR id IN ({','.join('?' * len(fixed))})"
                params += fixed
            where.append(f"({clause})")
        bodies = self.conn.execute(
            f"SELECT seq, body FROM events WHERE {' AND '.join(where)} ORDER BY seq", params
        ).fetchall()
        refused = self._rejected_rows(  # few, so their text is matched below, not in SQL
            " AND ".join(["incident_id = ?", "rowid <= ?", *of_kinds]),
            [self.incident_id, self.rejected_rowid, *kinds],
        )
        rows = [
            row
            for row in _rows(bodies) + refused
            if query.matches(row, fixes[row.id].text if row.id in fixes else None)
        ]
        rows.sort(key=lambda row: row.order_key)
        seqs = array("q", (row.seq for row in rows))
        stamps = array("d", (row.order_key[0] for row in rows))
        self.link._post(msg.Filtered(generation, seqs, stamps, rows[-PAGE:]))

    def _poll(self) -> None:
        if self.store is None:
            return
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self.version:
            return
        self.version = version
        rows = self.conn.execute(
            "SELECT seq, incident_id, server_seq IS NOT NULL, body FROM events"
            " WHERE seq > ? ORDER BY seq",
            (self.last_seq,),
        ).fetchall()
        newest_rejected = self._newest_rejected()
        synced = any(row[2] for row in rows) or newest_rejected != self.rejected_rowid
        if synced and self.incident_id and self._rewritten():
            self._open(self.incident_id)
            return
        if rows:
            self.last_seq = rows[-1][0]
        mine = [(seq, body) for seq, incident, _, body in rows if incident == self.incident_id]
        new_rows: list[Row] = []
        if mine:
            from warroom.core.fold import fold

            events = _events(mine)
            self.state = fold(events, self.state)
            self.count += len(mine)
            new_rows = [row_from_event(seq, e) for (seq, _), e in zip(mine, events, strict=True)]
        new_rows += self._new_rejected(newest_rejected)
        if new_rows:
            self.link._post(msg.Changed(self.state, new_rows))
        if len(mine) < len(rows):
            self.link._post(msg.Incidents(self._summaries()))

    def _newest_rejected(self) -> int:
        return self.conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM rejected").fetchone()[0]

    def _new_rejected(self, newest: int) -> list[Row]:
        """Rejected entries of the open incident recorded since the last look (up to row
        ``newest``): usually a refusal deletes a row already shown, and the incident is
        reloaded instead; these are refusals of entries the reader had not seen yet."""
        if newest == self.rejected_rowid:
            return []
        since, self.rejected_rowid = self.rejected_rowid, newest
        if self.incident_id is None:
            return []
        return self._rejected_rows(
            "incident_id = ? AND rowid > ? AND rowid <= ?", (self.incident_id, since, newest)
        )

    def _rewritten(self) -> bool:
        """Whether sync rewrote history already shown: it re-sequences this device's pending
        events behind remote ones and deletes events the server rejected (see
        ``warroom.store.replica``). Then the incident is reloaded rather than patched."""
        (count,) = self.conn.execute(
            "SELECT COUNT(*) FROM events WHERE incident_id = ? AND seq <= ?",
            (self.incident_id, self.last_seq),
        ).fetchone()
        return count != self.count


def _current(summaries: list[msg.IncidentSummary]) -> str | None:
    """The incident to open without being told: the only active one, or — when none is
    active — the most recent. ``None`` when there is none, or several to choose from."""
    active = [s for s in summaries if s.active]
    if len(active) == 1:
        return active[0].id
    if not active and summaries:
        return summaries[0].id
    return None


def _prefilterable(text: str) -> bool:
    """Whether ``LIKE`` on the JSON body can narrow the search without missing matches:
    JSON escapes quotes, backslashes, controls and (for LIKE's case folding) non-ASCII."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text
