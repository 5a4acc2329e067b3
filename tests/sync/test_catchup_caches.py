"""A catch-up leaves the read caches current (issue 11): right after a fresh client
caught up, ``status`` and the screen fold and sort nothing the catch-up brought, and
what the caches hold is what a fold from scratch gives."""

import pytest

from warroom.core.fold import fold
from warroom.store import caches, local, timeline
from warroom.store.replica import Stored
from warroom.store.summaries import SUMMARY_VERSION, incident_summaries, summarize
from warroom.sync import engine

EVENTS = 330


@pytest.fixture
def small_caches(monkeypatch):
    """Thresholds a few hundred events cross, so a small record exercises the schedule."""
    monkeypatch.setattr(local, "SNAPSHOT_EVERY", 40)
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
