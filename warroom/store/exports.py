"""An incident's events read for an export, streamed: memory stays flat at a million.

Building every event as a pydantic model at once cost ~4 KB an event (4 GB at 1M). Here
SQLite sorts the timeline (by the times as ``warroom.store.timeline`` reads them, then
``seq``, which is the order the model sort kept), rows are read in chunks, and the
common entries — typed text whose fields are already in their validated form — are
taken from the stored JSON as plain dicts; anything else is validated as a model, one
event at a time, so both paths print the same line.
"""

import re
import sqlite3
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain, pairwise, starmap
from operator import gt
from typing import Annotated

import msgspec

from warroom.core import events as ev
from warroom.core.export import Entry, event_entry, iso_ts
from warroom.core.state import IncidentState
from warroom.store.local import FOLD_VERSION, LocalStore
from warroom.store.sqlite_files import translated_errors
from warroom.store.timeline import stamp_sql

CHUNK = 2000
"""Rows read per query while streaming."""

_Text = Annotated[str, msgspec.Meta(min_length=1, max_length=ev.MAX_TEXT)]

_PLAIN_KINDS = frozenset({"note", "observation", "decision", "hypothesis", "action", "todo"})


def stream_bodies(store: LocalStore, incident_id: str) -> Iterator[str]:
    """The stored JSON of every event, verbatim, in log order, a row at a time."""
    with translated_errors(store.path):
        cursor = store.conn.execute(
            "SELECT body FROM events WHERE incident_id = ? ORDER BY seq", (incident_id,)
        )
        for (body,) in cursor:
            yield body


def chain_links(store: LocalStore, incident_id: str, head_seq: int) -> Iterator[dict]:
    """The ``chain`` of a JSON export, a link at a time: each event this client verified,
    up to ``head_seq``, in server order (what ``Replica.chain`` lists, without holding
    every event of the incident at once)."""
    with translated_errors(store.path):
        cursor = store.conn.execute(
            "SELECT id, server_seq, hash FROM events"
            " WHERE incident_id = ? AND server_seq <= ? ORDER BY server_seq",
            (incident_id, head_seq),
        )
        for event_id, server_seq, digest in cursor:
            yield {"id": event_id, "server_seq": server_seq, "hash": digest}


def command_runs(store: LocalStore, incident_id: str) -> list[ev.Event]:
    """The incident's ``command_run`` events, in order of occurrence: few, so models."""
    with translated_errors(store.path):
        rows = store.conn.execute(
            "SELECT body FROM events WHERE incident_id = ? AND kind = 'command_run' ORDER BY seq",
            (incident_id,),
        ).fetchall()
    runs = [ev.Event.model_validate_json(body) for (body,) in rows]
    return sorted(runs, key=lambda e: (e.occurred_at, e.recorded_at))


UNREAD_BY_MARKDOWN = (
    "hypotheses",
    "action_items",
    "factors",
    "status_updates",
    "last_update",
    "alerts",
    "alert_groups",
    "deliveries",
    "notices",
    "handoffs",
    "runbooks",
    "crossings",
    "rule_escalations",
    "fired_steps",
)
"""Parts of the state the Markdown export never prints: the ones that grow with the
incident (a hypothesis in five entries is 200,000 records at a million, ~450 MB as
models) are left in the cached snapshot's JSON."""

_STRIPPED_SNAPSHOT = (
    "SELECT json_remove(state, "
    + ", ".join(f"'$.{name}'" for name in UNREAD_BY_MARKDOWN)
    + "), through_seq FROM snapshots WHERE incident_id = ? AND fold_version = ?"
)


def markdown_state(store: LocalStore, incident_id: str) -> IncidentState:
    """The state the Markdown export prints: the cached snapshot read without the parts
    it never prints (SQLite drops them from the JSON, so they are never built), with the
    rows behind it folded on. Without a usable snapshot, the whole fold (which saves one
    for the next export). The result is the export's own: never saved, never shared."""
    try:
        row = store.conn.execute(_STRIPPED_SNAPSHOT, (incident_id, FOLD_VERSION)).fetchone()
        state = None if row is None else IncidentState.model_validate_json(row[0])
    except (sqlite3.Error, ValueError):  # a damaged cache, a busy home: the store decides
        state = None
    if state is None:
        return store.state(incident_id)
    folded, _, _ = store.fold_rows(incident_id, row[1], state)
    return folded if folded is not None else store.state(incident_id)


def timeline_entries(store: LocalStore, incident_id: str) -> Iterator[Entry]:
    """The incident's timeline lines in order of occurrence, then of recording."""
    conn = store.conn
    with read_snapshot(store):  # the order and the rows read in chunks agree
        order = _occurrence_order(store, incident_id)
        if order is None:  # the log's own order: read straight through, no lookups
            for at, body in conn.execute(
                "SELECT occurred_at, body FROM events WHERE incident_id = ? ORDER BY seq",
                (incident_id,),
            ):
                yield _entry(at, body)
            return
        for start in range(0, len(order), CHUNK):
            chunk = order[start : start + CHUNK].tolist()
            marks = ",".join("?" * len(chunk))
            rows = dict(
                (seq, (at, body))
                for seq, at, body in conn.execute(
                    f"SELECT seq, occurred_at, body FROM events WHERE seq IN ({marks})",
                    chunk,
                )
            )
            for seq in chunk:
                yield _entry(*rows[seq])


@contextmanager
def read_snapshot(store: LocalStore) -> Iterator[None]:
    """Every read inside sees one state of the home, however long the export takes to
    write: a sync committing meanwhile cannot put a link in the chain whose event the
    bundle's events, read earlier, lack."""
    with translated_errors(store.path):
        store.conn.execute("BEGIN")
        try:
            yield
        finally:
            store.conn.execute("COMMIT")


def _occurrence_order(store: LocalStore, incident_id: str) -> array | None:
    """Every event's ``seq`` sorted as ``(occurred_at, recorded_at)`` then log order;
    None when that is the log's order itself (the usual case).

    The times are first read as stored, in log order: when every one is UTC in the
    store's form (``+00:00``, with or without microseconds) the text compares as the
    time does, so a log whose times never go back needs no sort at all (SQLite sorting
    a million computed stamps was a third of an export). Both checks run in C a chunk
    of rows at a time: one regular expression over the chunk's times, and the tuple
    comparison of each row with the one before. Otherwise SQLite sorts by its stamps
    (or the models give the order), as before."""
    cursor = store.conn.execute(
        "SELECT occurred_at, recorded_at FROM events WHERE incident_id = ? ORDER BY seq",
        (incident_id,),
    )
    previous = [("", "")]
    while rows := cursor.fetchmany(CHUNK):
        try:
            times = "\n".join(chain.from_iterable(rows)) + "\n"
        except TypeError:  # a time that is not text
            return _stamp_order(store, incident_id)
        if not _UTC_TIMES.fullmatch(times) or any(starmap(gt, pairwise(chain(previous, rows)))):
            return _stamp_order(store, incident_id)
        previous = rows[-1:]
    return None


_UTC_TIMES = re.compile(
    r"(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(?!000000)\d{6})?\+00:00\n)*", re.ASCII
)
"""Lines of ``datetime.isoformat`` of UTC times: whole seconds, or with microseconds that
are not all zero (isoformat leaves zeros out, so one time has one text). Such texts
compare as the times they spell."""


def _stamp_order(store: LocalStore, incident_id: str) -> array:
    """``_occurrence_order`` of times in any offset, by SQLite's stamps."""
    occurred, recorded = stamp_sql("occurred_at"), stamp_sql("recorded_at")
    order = array("q")
    for at, noted, seq in store.conn.execute(
        f"SELECT {occurred}, {recorded}, seq FROM events WHERE incident_id = ? ORDER BY 1, 2, 3",
        (incident_id,),
    ):
        if at is None or noted is None:  # a time SQLite cannot read alike: sort in Python
            return _python_order(store, incident_id)
        order.append(seq)
    return order


def _python_order(store: LocalStore, incident_id: str) -> array:
    """The order as the models give it (the stored body is the record: its times are
    what a model reads, whatever the ``occurred_at`` column holds), a model at a time."""
    keyed = []
    for seq, body in store.conn.execute(
        "SELECT seq, body FROM events WHERE incident_id = ?", (incident_id,)
    ):
        event = ev.Event.model_validate_json(body)
        keyed.append((event.occurred_at, event.recorded_at, seq))
    keyed.sort()
    return array("q", (seq for _, _, seq in keyed))


class _Payload(msgspec.Struct, gc=False):
    """The payload fields a plain timeline line prints; any other field is skipped
    unread, and a field of another type fails the decode (the model decides those)."""

    kind: str
    text: _Text | None = None
    stage: str = "started"
    owner: str | None = None
    due: None = None


class _Line(msgspec.Struct, gc=False):
    """The parts of a stored event a timeline line prints, with the lengths validation
    allows checked by the decoder (in C)."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    actor: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    payload: _Payload


_LINE = msgspec.json.Decoder(_Line)
"""One C pass per row that builds only what the line prints: the rest of the body (its
times, device, incident) is skipped, not built as a dict (decoding whole bodies was
the largest cost of an export)."""


def _entry(occurred_at: str, body: str) -> Entry:
    """A timeline line from a stored row: read from the JSON for the common entries —
    typed text whose fields validation keeps as they are — and from the model for the
    rest, so both paths print the same line. The decoder checks the shape, types and
    lengths; what is left here is the strip checks (validation strips names and text)
    and the time's form. This runs once per event of an export."""
    try:
        line = _LINE.decode(body)
    except msgspec.DecodeError:  # malformed, or not a plain entry's shape: the model's
        line = None
    if line is not None and line.payload.kind in _PLAIN_KINDS:
        actor, event_id, payload = line.actor, line.id, line.payload
        if (
            actor == actor.strip()
            and event_id == event_id.strip()
            and occurred_at[-6] in "+-"  # +HH:MM, as stored
            and occurred_at[-3] == ":"
        ):
            text = _plain_text(payload)
            if text is not None:
                when = (  # iso_ts, inline
                    f"{occurred_at[:10]} {occurred_at[11:19]} UTC"
                    if occurred_at[0] != "0"
                    else iso_ts(occurred_at)
                )
                return when, actor, payload.kind, event_id, text
    return event_entry(ev.Event.model_validate_json(body))


def _plain_text(payload: _Payload) -> str | None:
    """``payload_text`` of a typed entry whose stored fields validation would keep as
    they are; None for anything else (the model decides those)."""
    text = payload.text
    if text is None or text != text.strip():
        return None
    match payload.kind:
        case "action":
            if payload.stage not in ("started", "result"):
                return None
            return f"(result) {text}" if payload.stage == "result" else text
        case "todo":
            owner = payload.owner
            if not (owner is None or _plain(owner)):
                return None
            return text if owner is None else f"{text} (owner {owner})"
    return text


def _plain(value: str) -> bool:
    """Whether a name is one strip-and-length validation keeps unchanged."""
    return 0 < len(value) <= 200 and value == value.strip()
