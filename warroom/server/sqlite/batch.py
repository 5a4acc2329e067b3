"""A group commit's reads and writes in a few statements, whatever the group's size.

Why: the writer thread shares the GIL with the event loop, and ``sqlite3`` lets go of it
around every statement it steps. Each time the loop is busy, taking it back waits for
the loop's next switch (up to ``sys.getswitchinterval()``, 5 ms): with five statements
per push (savepoint, retry look-up, counter claim, insert, release) a group of a few
pushes spent most of its time waiting, and that wait was most of the append's p99 at
1,000/s. So the writer asks the database once per group — which ids it has seen, which
device counters are held, who owns the devices — decides every push in Python, then
writes each table's rows in one multi-row ``INSERT``. Every value is a bound parameter
(JSON arrays unpacked by SQLite would cut text at a NUL character).

Only this writer writes these tables, so what was read at the start of the group's
transaction stays true until it commits, apart from what the group itself adds (which
the writer keeps track of as it goes).
"""

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

CHUNK = 64
"""Rows (or ids) per statement: below every SQLite build's limit of bound parameters
(999 before 3.32), and few statement texts for the connection's cache to keep."""

Seen = tuple[str, int | None, str | None, str | None]
"""A settled event id's outcome: (incident id, seq and hash if applied, else reason)."""


def _marks(count: int, width: int = 1) -> str:
    row = "?" if width == 1 else f"({', '.join('?' * width)})"
    return ", ".join([row] * count)


def _chunks(values: Iterable) -> Iterator[tuple]:
    """``values`` in tuples of up to ``CHUNK`` (``itertools.batched`` from Python 3.12)."""
    values = tuple(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def seen(conn: sqlite3.Connection, event_ids: Iterable[str]) -> dict[str, Seen]:
    """The outcome of each of ``event_ids`` already applied or rejected (an id is never
    both)."""
    found: dict[str, Seen] = {}
    for ids in _chunks(event_ids):
        marks = _marks(len(ids))
        rows = conn.execute(
            f"SELECT event_id, incident_id, seq, hash, NULL FROM events WHERE event_id IN ({marks})"
            " UNION ALL SELECT event_id, incident_id, NULL, NULL, reason FROM rejections"
            f" WHERE event_id IN ({marks})",
            ids * 2,
        )
        found.update((row[0], row[1:]) for row in rows)
    return found


def held(conn: sqlite3.Connection, pairs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The event holding each ``(device_id, device_seq)`` of ``pairs`` already held."""
    found: dict[tuple[str, int], str] = {}
    for chunk in _chunks(pairs):
        rows = conn.execute(
            f"SELECT c.device_id, c.device_seq, c.event_id FROM (VALUES {_marks(len(chunk), 2)})"
            " AS j CROSS JOIN device_counters AS c"
            " ON c.device_id = j.column1 AND c.device_seq = j.column2",
            [value for pair in chunk for value in pair],
        )
        found.update(((device, seq), event_id) for device, seq, event_id in rows)
    return found


def owners(conn: sqlite3.Connection, device_ids: Iterable[str]) -> dict[str, str]:
    """The owner of each of ``device_ids`` that has one."""
    found: dict[str, str] = {}
    for ids in _chunks(device_ids):
        found.update(
            conn.execute(
                f"SELECT device_id, owner FROM devices WHERE device_id IN ({_marks(len(ids))})",
                ids,
            )
        )
    return found


def highest(conn: sqlite3.Connection, device_id: str) -> int:
    """The highest counter of ``device_id`` committed before this group (0 if none)."""
    query = "SELECT MAX(device_seq) FROM device_counters WHERE device_id = ?"
    return conn.execute(query, (device_id,)).fetchone()[0] or 0


_WIDTHS = {"events": 8, "rejections": 6, "devices": 2, "device_counters": 3}
"""Each table's columns, in the order its rows are given (the table's own)."""


@dataclass
class Writes:
    """The rows a group adds, by table, written when the group is decided."""

    events: list[tuple] = field(default_factory=list)
    rejections: list[tuple] = field(default_factory=list)
    devices: list[tuple] = field(default_factory=list)
    device_counters: list[tuple] = field(default_factory=list)

    def flush(self, conn: sqlite3.Connection) -> None:
        """Insert every table's rows, one statement per ``CHUNK`` of them."""
        for table, width in _WIDTHS.items():
            for rows in _chunks(getattr(self, table)):
                values = [value for row in rows for value in row]
                conn.execute(f"INSERT INTO {table} VALUES {_marks(len(rows), width)}", values)
