"""A catch-up leaves the read caches current (issue 11): right after a fresh client
caught up, ``status`` and the screen fold and sort nothing the catch-up brought, and
what the caches hold is what a fold from scratch gives.

The caches a catch-up builds from the rows it holds (``CatchUpCaches`` folding each
page as it is stored) are byte for byte the caches the table gives: for a fresh client,
records delivered again, one whose own entries come back (one of them refused), and
another sync process on the same home storing a page between two of this one's."""

import sqlite3
from pathlib import Path

import pytest

from tests.sync.conftest import lenient_room
from warroom.core.fold import fold
from warroom.store import caches, local, local_fold, timeline
from warroom.store.replica import Replica, Stored
from warroom.store.summaries import SUMMARY_VERSION, incident_summaries, summarize
from warroom.sync import engine
from warroom.sync.failover import FailoverClient

EVENTS = 330


@pytest.fixture
def small_caches(monkeypatch):
    """Thresholds a few hundred events cross, so a small record exercises the schedule."""
    monkeypatch.setattr(local_fold, "SNAPSHOT_EVERY", 40)
    monkeypatch.setattr(timeline, "CACHE_EVERY", 40)
    monkeypatch.setattr(caches, "REFRESH_AT_LEAST", 60)
    monkeypatch.setattr(engine, "PAGE", 50)
    refreshes: list[int] = []
    real = caches.refresh

    def counted(store, incident_ids):
        refreshes.append(store.conn.execute("SELECT MAX(seq) FROM events").fetchone()[0])
        real(store, incident_ids)

    monkeypatch.setattr(caches, "refresh", counted)
    return refreshes


def _cached(store, table: str, incident_id: str) -> int | None:
    row = store.conn.execute(
        f"SELECT through_seq FROM {table} WHERE incident_id = ?", (incident_id,)
    ).fetchone()
    return row[0] if row else None


def test_a_fresh_client_has_its_caches_current_after_catching_up(clients, small_caches):
    writer = clients("alice")
    incident = writer.room.declare("Queue backlog", severity="SEV2", incident_type="outage")
    incident_id = incident.incident_id
    for n in range(EVENTS):
        if n % 50 == 0:
            writer.room.log(incident_id, f"decision {n}", kind="decision")
        else:
            writer.room.log(incident_id, f"note {n}", kind="observation")
    writer.sync_once()

    fresh = clients("fresh", "viewer")
    assert fresh.sync_once().pulled == EVENTS + 1
    newest = fresh.store.conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    assert small_caches[-1] == newest  # the last refresh covered everything
    assert 2 <= len(small_caches) <= 6  # and some ran during the catch-up, not per page
    for table in ("snapshots", "timeline_cache", "summaries"):
        assert _cached(fresh.store, table, incident_id) == newest, table

    from_scratch = fold(fresh.store.events(incident_id))
    assert fresh.store.state(incident_id).model_dump() == from_scratch.model_dump()
    summary = fresh.store.conn.execute(
        "SELECT version FROM summaries WHERE incident_id = ?", (incident_id,)
    ).fetchone()
    assert summary == (SUMMARY_VERSION,)
    assert incident_summaries(fresh.store) == [summarize(from_scratch)]
    seqs, _ = timeline.event_order(fresh.store.conn, incident_id, newest)
    assert list(seqs) == [
        seq
        for _, seq in sorted(
            (timeline.stamp(at), seq)
            for seq, at in fresh.store.conn.execute(
                "SELECT seq, occurred_at FROM events WHERE incident_id = ?", (incident_id,)
            )
        )
    ]


def test_the_kept_fold_holds_no_ids_from_page_to_page(clients, small_caches, monkeypatch):
    """A kept fold is given only rows new to ``events`` (ids unique there), so it keeps
    no ids of the pages it folded: memory stays one page's however long the catch-up,
    where they piled up until the next refresh (a quarter of a million at 1M events)."""
    writer = clients("alice")
    incident_id = writer.room.declare("Queue", severity="SEV2", incident_type="outage").incident_id
    for n in range(EVENTS):
        writer.room.log(incident_id, f"note {n}")
    writer.sync_once()
    held: list[int] = []
    real = caches.CatchUpCaches.ingested

    def watched(self, stored, count):
        real(self, stored, count)
        held.extend(len(kept.state.seen_ids) for kept in self.kept.values())

    monkeypatch.setattr(caches.CatchUpCaches, "ingested", watched)
    fresh = clients("fresh", "viewer")
    assert fresh.sync_once().pulled == EVENTS + 1
    assert held and max(held) == 0, held
    assert fresh.store.state(incident_id).model_dump() == (
        fold(fresh.store.events(incident_id)).model_dump()
    )


def _pages_of_5000(monkeypatch, tmp_path, pages: int) -> tuple[caches.CatchUpCaches, list]:
    """A catch-up's cache keeper over ``pages`` pages of 5,000 events of one incident,
    not yet finished, and the sizes of the refreshes it ran (counted, not run)."""
    calls: list[int] = []
    monkeypatch.setattr(caches, "refresh", lambda store, ids: calls.append(len(ids)))
    keeper = caches.CatchUpCaches(local.LocalStore(tmp_path / "warroom.db"))
    for _ in range(pages):
        keeper.ingested(Stored(incidents={"inc-big"}), 5000)
    return keeper, calls


def test_refreshes_grow_geometrically_so_a_million_events_cost_a_few(monkeypatch, tmp_path):
    keeper, calls = _pages_of_5000(monkeypatch, tmp_path, 200)  # 1M events
    keeper.finish()
    assert 3 <= len(calls) <= 10
    keeper.store.close()


def test_a_catch_up_of_100k_events_folds_its_caches_once_at_its_end(monkeypatch, tmp_path):
    """Each refresh during a catch-up also writes and reads back a snapshot and a
    timeline order: up to ``REFRESH_AT_LEAST`` events, the one at the end is all."""
    keeper, calls = _pages_of_5000(monkeypatch, tmp_path, 20)  # 100k events
    assert calls == []
    keeper.finish()
    assert calls == [1]
    keeper.store.close()


TABLES = {
    "snapshots": "incident_id, fold_version, through_seq, state",
    "timeline_cache": "incident_id, version, through_seq, seqs, stamps",
    "summaries": "incident_id, version, through_seq, summary",
}


def _caches_of(database: Path) -> dict[str, list[tuple]]:
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
    return _caches_of(copy)


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


def test_a_fresh_client_and_records_delivered_again(clients, small_caches, monkeypatch, tmp_path):
    alice = clients("alice")
    incidents = _declared(alice)
    _record(alice.room, incidents, 260, 1)
    alice.sync_once()
    refreshed = _table_refreshes(monkeypatch)

    fresh = clients("fresh", "viewer")
    assert fresh.sync_once().pulled > 250
    assert refreshed == []  # the rows in memory made every cache
    assert _caches_of(fresh.database) == _from_the_table(fresh.database, tmp_path / "a.db")

    with fresh.store._transaction():  # the feed from the start again: all known records
        fresh.store._set_meta("sync_cursor", "0")
    _record(alice.room, incidents, 50, 300)
    alice.sync_once()
    fresh.sync_once()
    assert _caches_of(fresh.database) == _from_the_table(fresh.database, tmp_path / "b.db")


def test_own_entries_coming_back_and_one_refused(clients, small_caches, monkeypatch, tmp_path):
    alice, bob = clients("alice"), clients("bob")
    incidents = _declared(alice)
    for incident in incidents:
        alice.room.assign(incident, "scribe", "bob")
    _record(alice.room, incidents, 120, 1)
    alice.sync_once()
    bob.sync_once()
    _record(bob.room, incidents, 20, 200, commands=False)  # offline, while alice goes on:
    lenient_room(bob.store, "bob").set_severity(incidents[0], "SEV4", "not his to change")
    _record(alice.room, incidents, 150, 300)
    alice.sync_once()
    report = engine.SyncReport()  # bob's are acknowledged after alice's, so his rows are
    _on_its_own_connection(  # moved behind hers when they arrive, and come back after
        bob, lambda sync, client, replica: sync.push_all(client, replica, report)
    )
    assert report.pushed == 20 and len(report.rejected) == 1
    _record(alice.room, incidents, 60, 500)  # and more of hers after them
    alice.sync_once()
    refreshed = _table_refreshes(monkeypatch)
    assert bob.sync_once().pulled == 210
    assert set(refreshed) == set(incidents)
    assert _caches_of(bob.database) == _from_the_table(bob.database, tmp_path / "c.db")


def test_another_catch_up_on_the_same_home_between_two_pages(
    clients, small_caches, monkeypatch, tmp_path
):
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
    assert _caches_of(bob.database) == _from_the_table(bob.database, tmp_path / "d.db")
