"""A catch-up's caches built from the rows it holds (``CatchUpCaches`` folding each page
as it is stored) are byte for byte the caches the table gives: a fresh client, one whose
own entries come back (one of them refused), records delivered again, and a scribe's
entry typed between two pages."""

import sqlite3
from pathlib import Path

import pytest

from tests.sync.conftest import lenient_room
from warroom.store import caches, local, timeline
from warroom.store.replica import Replica, Stored
from warroom.sync import engine
from warroom.sync.failover import FailoverClient

TABLES = {
    "snapshots": "incident_id, fold_version, through_seq, state",
    "timeline_cache": "incident_id, version, through_seq, seqs, stamps",
    "summaries": "incident_id, version, through_seq, summary",
}


@pytest.fixture
def small(monkeypatch):
    """Thresholds a few hundred events cross: pages of 40, refreshes during the catch-up."""
    monkeypatch.setattr(local, "SNAPSHOT_EVERY", 30)
    monkeypatch.setattr(timeline, "CACHE_EVERY", 30)
    monkeypatch.setattr(caches, "REFRESH_AT_LEAST", 70)
    monkeypatch.setattr(engine, "PAGE", 40)


def _cached(database: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(database) as conn:
        return {
            table: conn.execute(f"SELECT {columns} FROM {table} ORDER BY incident_id").fetchall()
            for table, columns in TABLES.items()
        }


def _from_the_table(database: Path, copy: Path) -> dict[str, list[tuple]]:
    """The caches ``refresh`` makes from the rows alone, on a copy without caches."""
    with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
        source.backup(target)
        for table in TABLES:
            target.execute(f"DELETE FROM {table}")
    with local.LocalStore(copy) as store:
        incidents = {row[0] for row in store.conn.execute("SELECT id FROM incidents")}
        caches.refresh(store, incidents)
    return _cached(copy)


def _record(room, incidents: list[str], entries: int, start: int, *, commands=True) -> None:
    """Entries of many kinds, across the incidents (severity changes by their commander)."""
    for n in range(start, start + entries):
        incident = incidents[n % len(incidents)]
        if commands and n % 17 == 0:
            now = room.store.state(incident).severity
            room.set_severity(incident, "SEV2" if now == "SEV1" else "SEV1", f"step {n}")
        elif n % 5 == 0:
            room.log(incident, f"decision {n}", kind="decision")
        elif n % 3 == 0:
            room.log(incident, f"observation {n}", kind="observation")
        else:
            room.log(incident, f"note {n}")


def _declared(alice) -> list[str]:
    return [
        alice.room.declare(title, severity="SEV3", incident_type="outage").incident_id
        for title in ("Queue backlog", "Disk full")
    ]


def _table_refreshes(monkeypatch) -> list[str]:
    """The incidents whose caches a catch-up brought forward from the table."""
    refreshed: list[str] = []
    real = caches.refresh

    def counted(store, incident_ids):
        refreshed.extend(incident_ids)
        real(store, incident_ids)

    monkeypatch.setattr(caches, "refresh", counted)
    return refreshed


def _on_its_own_connection(client, step) -> None:
    """``step(engine, server client, replica)`` on a connection of its own to the home."""
    sync = client.new_engine()
    with local.LocalStore(client.database) as store:
        replica = Replica(store)
        server = FailoverClient(sync.server, sync.token)
        try:
            sync.connect(server, replica)
            step(sync, server, replica)
        finally:
            server.close()


def test_a_fresh_client_and_records_delivered_again(clients, small, monkeypatch, tmp_path):
    alice = clients("alice")
    incidents = _declared(alice)
    _record(alice.room, incidents, 260, 1)
    alice.sync_once()
    refreshed = _table_refreshes(monkeypatch)

    fresh = clients("fresh", "viewer")
    assert fresh.sync_once().pulled > 250
    assert refreshed == []  # the rows in memory made every cache
    assert _cached(fresh.database) == _from_the_table(fresh.database, tmp_path / "a.db")

    with fresh.store._transaction():  # the feed from the start again: all known records
        fresh.store._set_meta("sync_cursor", "0")
    _record(alice.room, incidents, 50, 300)
    alice.sync_once()
    fresh.sync_once()
    assert _cached(fresh.database) == _from_the_table(fresh.database, tmp_path / "b.db")


def test_own_entries_coming_back_and_one_refused(clients, small, monkeypatch, tmp_path):
    alice, bob = clients("alice"), clients("bob")
    incidents = _declared(alice)
    for incident in incidents:
        alice.room.assign(incident, "scribe", "bob")
    _record(alice.room, incidents, 120, 1)
    alice.sync_once()
    bob.sync_once()
    _record(bob.room, incidents, 20, 200, commands=False)
    lenient_room(bob.store, "bob").set_severity(incidents[0], "SEV4", "not his to change")
    report = engine.SyncReport()
    _on_its_own_connection(
        bob, lambda sync, server, replica: sync.push_all(server, replica, report)
    )
    assert report.pushed == 20 and len(report.rejected) == 1
    _record(alice.room, incidents, 150, 300)  # behind bob's, so his are moved behind them
    alice.sync_once()
    refreshed = _table_refreshes(monkeypatch)
    assert bob.sync_once().pulled > 100
    assert set(refreshed) == set(incidents)  # bob's own entries came back to both
    assert _cached(bob.database) == _from_the_table(bob.database, tmp_path / "c.db")


def test_another_catch_up_on_the_same_home_between_two_pages(clients, small, monkeypatch, tmp_path):
    """Two sync processes on one home take turns: rows the other one stored between
    this one's pages are not in this one's kept folds."""
    alice, bob = clients("alice"), clients("bob")
    incidents = _declared(alice)
    _record(alice.room, incidents, 200, 1)
    alice.sync_once()
    taken = Replica.take_stored
    pages: list[Stored] = []

    def ingest_one_page(sync, server, replica) -> None:
        page = server.feed(replica.cursor(), 4)
        replica.ingest_records(page.records, page.cursor)

    def then_the_other_one_stores_a_page(self):
        stored = taken(self)
        pages.append(stored)
        if len(pages) == 3:  # after a refresh, before the next one
            _on_its_own_connection(bob, ingest_one_page)
        return stored

    monkeypatch.setattr(Replica, "take_stored", then_the_other_one_stores_a_page)
    bob.sync_once()
    assert len(pages) > 3
    assert _cached(bob.database) == _from_the_table(bob.database, tmp_path / "d.db")
