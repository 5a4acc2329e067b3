"""Paths that must cost the work they do, not the size of the history (issue 11).

Work is counted in SQLite virtual-machine steps (a progress handler), which does not
depend on how loaded the machine is: a path that reads every row of a long incident, or
every incident of a big home, shows up as steps that grow with it.
"""

import json
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path

import pytest

from tests.factories import T0
from warroom.actions import WarRoom
from warroom.core import events as ev
from warroom.core.errors import NotFound
from warroom.core.policy import default_policy
from warroom.store.local import LocalStore
from warroom.store.replica import Replica
from warroom.store.schema import SCHEMA_VERSION

FIXTURE = Path(__file__).parent / "fixtures" / "v3-home"


@contextmanager
def counted(conn: sqlite3.Connection):
    """Count SQLite VM steps (in units of 100) run on ``conn`` inside the block."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(tick, 100)
    try:
        yield steps
    finally:
        conn.set_progress_handler(None, 100)


def steps_of(conn: sqlite3.Connection, work: Callable[[], object]) -> int:
    with counted(conn) as steps:
        work()
    return steps[0]


def fill(
    store: LocalStore, incident_id: str, count: int, *, first: int = 0, server: int | None = None
) -> None:
    """Notes ``first``.. of ``incident_id`` straight into ``events`` (#0 declares it);
    with ``server``, acknowledged and placed from that server position on."""
    start = store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
    with store._transaction():
        for n in range(first, first + count):
            payload = (
                ev.Declaration(title="t", incident_type="outage", severity="SEV3")
                if n == 0
                else ev.Note(text=f"note {n}")
            )
            event = ev.Event(
                id=f"{incident_id}-{n}",
                incident_id=incident_id,
                actor="bo",
                occurred_at=T0 + timedelta(seconds=n),
                recorded_at=T0 + timedelta(seconds=n),
                device_id="dev-remote",
                device_seq=start + n + 1,
                payload=payload,
            )
            seq = store._insert(event)
            if server is not None:
                store.conn.execute(
                    "UPDATE events SET server_seq = ?, hash = 'h' WHERE seq = ?",
                    (server + n - first, seq),
                )


# -- catch-up: settling the order of a page -----------------------------------------------


def test_settling_a_page_does_not_read_the_whole_incident(tmp_path: Path) -> None:
    costs = []
    for size in (200, 20_000):
        store = LocalStore(tmp_path / f"{size}.db")
        fill(store, "inc-big", size, server=1)
        replica = Replica(store)
        costs.append(steps_of(store.conn, lambda r=replica, s=size: r._settle_order("inc-big", s)))
        store.close()
    assert costs[1] <= costs[0] + 5, costs  # 100x the rows, the same work


def test_settling_still_moves_pending_events_behind_the_settled_ones(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "w.db")
    room = WarRoom(store, default_policy(), "ana")
    fill(store, "inc-mix", 3, server=1)
    mine = room.log("inc-mix", "pending entry")
    fill(store, "inc-mix", 1, first=3, server=4)  # a remote event lands behind it
    with store._transaction():
        Replica(store)._settle_order("inc-mix", 4)
    order = [
        row[0]
        for row in store.conn.execute(
            "SELECT id FROM events WHERE incident_id = 'inc-mix' ORDER BY seq"
        )
    ]
    assert order == ["inc-mix-0", "inc-mix-1", "inc-mix-2", "inc-mix-3", mine.id]


# -- resolving an incident on every append ------------------------------------------------


def test_resolving_an_incident_does_not_read_every_incident(tmp_path: Path) -> None:
    costs = []
    for count in (20, 2_000):
        store = LocalStore(tmp_path / f"{count}.db")
        for n in range(count):
            fill(store, f"inc-{n:05d}", 1)
        refs = ("inc-00007", "00007", "inc-0000")
        costs.append(steps_of(store.conn, lambda s=store, r=refs: [_try(s, x) for x in r]))
        store.close()
    assert costs[1] <= costs[0] + 5, costs


def _try(store: LocalStore, ref: str) -> None:
    with suppress(NotFound):
        store.resolve_incident(ref)


def test_resolution_keeps_its_meaning(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "r.db")
    for incident_id in ("inc-abc123", "inc-abd456", "inc-zz9999", "other-1"):
        fill(store, incident_id, 1)
    assert store.resolve_incident("inc-abc123") == "inc-abc123"
    assert store.resolve_incident(" INC-ABC123 ") == "inc-abc123"
    assert store.resolve_incident("abc") == "inc-abc123"
    assert store.resolve_incident("inc-zz") == "inc-zz9999"
    assert store.resolve_incident("oth") == "other-1"
    with pytest.raises(NotFound, match="ambiguous: inc-abc123, inc-abd456"):
        store.resolve_incident("ab")
    with pytest.raises(NotFound, match="no incident 'nope'"):
        store.resolve_incident("nope")
    assert store.has_incident("inc-zz9999") and not store.has_incident("inc-zz")


# -- an existing home --------------------------------------------------------------------


def test_a_home_from_schema_3_migrates_and_exports_the_same_bytes(tmp_path: Path, cli) -> None:
    """The fixture was written, exports included, by warroom before the v5 caches."""
    home = tmp_path / "old-home"
    shutil.copytree(FIXTURE, home)
    incident = (home / "incident").read_text()
    markdown = cli("export", incident, "--format", "md", home=home).out
    assert markdown == (home / "export.md").read_text(encoding="utf-8")
    bundle = cli("export", incident, "--format", "json", home=home).out.splitlines()
    old = (home / "export.json").read_text().splitlines()
    assert [line for line in bundle if '"exported_at"' not in line] == [
        line for line in old if '"exported_at"' not in line
    ]
    listed = cli("list", "--json", home=home).json()
    assert [row["id"] for row in listed][1] == incident
    events = len(json.loads((home / "export.json").read_text())["events"])
    assert listed[1]["events"] == events and listed[1]["severity"] == "SEV1"
    with LocalStore(home / "warroom.db") as store:
        assert int(store._meta("schema_version")) == SCHEMA_VERSION == 7
        assert store.conn.execute("SELECT COUNT(*) FROM summaries").fetchone()[0] == 2


# -- a durable append in a home of many incidents -----------------------------------------


def test_an_append_costs_the_same_in_a_home_of_many_incidents(tmp_path: Path) -> None:
    """Local append p99 <= 2 ms at 10,000 incidents (issue 11): nothing on the write
    path may read every incident (the incident list, summaries) or every event."""
    costs = []
    for count in (20, 2_000):
        store = LocalStore(tmp_path / f"{count}.db")
        for n in range(count):
            fill(store, f"inc-{n:05d}", 3)
        room = WarRoom(store, default_policy(), "bo")
        room.log("00007", "first: folds the incident for its rules")
        costs.append(steps_of(store.conn, lambda r=room: r.log("00007", "timed entry")))
        store.close()
    assert costs[1] <= costs[0] + 5, costs
