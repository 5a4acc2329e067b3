"""Caches commit without waiting for the disk; the log's own writes still do (issue 11:
a read — ``status``, ``list``, opening an incident — waited for an fsync per cache)."""

from pathlib import Path

from tests.store.test_scaling import fill
from warroom.actions import WarRoom
from warroom.core.policy import default_policy
from warroom.store import timeline
from warroom.store.local import LocalStore
from warroom.store.summaries import incident_summaries

FULL = 2


def _level_at_each_write(statements: list[str]) -> dict[str, str]:
    """For each table written, the ``synchronous`` level last set before the write."""
    level, levels = "FULL", {}
    for sql in statements:
        text = " ".join(sql.split()).upper()
        if text.startswith("PRAGMA SYNCHRONOUS="):
            level = text.split("=")[1]
        for table in ("SNAPSHOTS", "SUMMARIES", "TIMELINE_CACHE", "EVENTS"):
            if text.startswith("INSERT") and f"INTO {table} " in text:
                levels.setdefault(table.lower(), level)
    return levels


def test_caches_commit_without_an_fsync_and_the_log_keeps_its_own(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "w.db")
    fill(store, "inc-a", 1500)
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    store.state("inc-a")
    incident_summaries(store)
    newest = store.conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    timeline.event_order(store.conn, "inc-a", newest)
    WarRoom(store, default_policy(), "bo").log("inc-a", "a durable entry")
    store.conn.set_trace_callback(None)
    assert _level_at_each_write(statements) == {
        "snapshots": "NORMAL",
        "summaries": "NORMAL",
        "timeline_cache": "NORMAL",
        "events": "FULL",
    }
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == FULL
    store.close()
