"""A bulk catch-up checkpoints its WAL itself per ``BULK_CHECKPOINT_BYTES`` and once at its
end (issue 11: checkpointing every 4 MB was about a quarter of a fresh client's
catch-up), while the checkpoint thread copies the WAL behind it; its WAL stays bounded,
and a catch-up cut in the middle resumes where it stopped."""

import threading
import time
from pathlib import Path

import pytest

from warroom.actions import WarRoom
from warroom.core.fold import fold
from warroom.core.policy import default_policy
from warroom.store import checkpoints
from warroom.store.local import LocalStore
from warroom.store.replica import Replica
from warroom.sync import engine

EVENTS = 600
MARK = 32 * 1024
BULK_MARK = 256 * 1024


@pytest.fixture
def small_marks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, int, bool]]:
    """Marks a few hundred events cross, small pages; returns the (database, WAL bytes,
    whether on the checkpoint thread) of every checkpoint, as they happen."""
    monkeypatch.setattr(checkpoints, "CHECKPOINT_BYTES", MARK)
    monkeypatch.setattr(checkpoints, "WAL_KEEP_BYTES", 8 * 1024)
    monkeypatch.setattr(checkpoints, "BULK_CHECKPOINT_BYTES", BULK_MARK, raising=False)
    monkeypatch.setattr(engine, "PAGE", 60)
    monkeypatch.setattr(engine, "INGEST_CHUNK", 20)
    seen: list[tuple[Path, int, bool]] = []
    real = checkpoints._checkpoint

    def noted(conn, path):
        on_thread = threading.current_thread().name.startswith("wal-checkpoint")
        seen.append((path, checkpoints.WalCheckpoints(path).wal_bytes(), on_thread))
        return real(conn, path)

    monkeypatch.setattr(checkpoints, "_checkpoint", noted)
    return seen


def _record(clients):
    """A writer's client and the incident it synced: a declaration and ``EVENTS`` notes."""
    writer = clients("alice")
    incident_id = writer.room.declare(
        "Queue backlog", severity="SEV2", incident_type="outage"
    ).incident_id
    for n in range(EVENTS):
        writer.room.log(incident_id, f"note {n} " + "x" * 300, kind="observation")
    writer.sync_once()
    return writer, incident_id


def test_a_catch_up_checkpoints_per_bulk_mark_and_once_at_its_end(
    clients, small_marks, monkeypatch
):
    _, incident_id = _record(clients)
    fresh = clients("fresh", "viewer")
    largest = 0
    real_after = checkpoints.WalCheckpoints.after_commit

    def watched(self, conn):
        nonlocal largest
        if self.path == fresh.database:
            largest = max(largest, self.wal_bytes())
        real_after(self, conn)

    monkeypatch.setattr(checkpoints.WalCheckpoints, "after_commit", watched)
    small_marks.clear()
    assert fresh.sync_once().pulled == EVENTS + 1
    sizes = [
        size for path, size, on_thread in small_marks if path == fresh.database and not on_thread
    ]
    # the catch-up's end copies what is left, and the store's close finds it copied
    during, at_end = sizes[:-2], sizes[-2:]
    assert during, "the WAL was never checkpointed during the catch-up: it is unbounded"
    assert all(size >= BULK_MARK for size in during), f"checkpointed before the mark: {sizes}"
    assert all(size >= MARK for size in at_end), sizes
    assert largest < 2 * BULK_MARK, f"the WAL grew to {largest} bytes"
    assert fresh.store.integrity_check() == "ok"
    assert fresh.store.state(incident_id).model_dump() == (
        fold(fresh.store.events(incident_id)).model_dump()
    )


def test_a_cut_catch_up_resumes_from_its_cursor(clients, small_marks, monkeypatch):
    """A catch-up that fails half-way (here: the local disk refuses a page) leaves the
    pages stored so far, with their cursor, checkpointed; the next sync goes on."""
    writer, incident_id = _record(clients)
    fresh = clients("fresh", "viewer")
    real_ingest = Replica.ingest_records
    stored_pages = 0

    def failing(self, records, cursor):
        nonlocal stored_pages
        if stored_pages == 12:
            raise OSError("disk full")
        stored_pages += 1
        return real_ingest(self, records, cursor)

    monkeypatch.setattr(Replica, "ingest_records", failing)
    small_marks.clear()
    with pytest.raises(OSError):
        fresh.sync_once()
    # checkpointed as it failed
    assert [path for path, _, on_thread in small_marks if not on_thread][-1] == fresh.database
    assert fresh.store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 12 * 20
    monkeypatch.setattr(Replica, "ingest_records", real_ingest)
    assert fresh.sync_once().pulled == EVENTS + 1 - 12 * 20
    assert fresh.store.state(incident_id).model_dump() == (
        fold(fresh.store.events(incident_id)).model_dump()
    )
    assert fresh.fingerprint(incident_id) == writer.fingerprint(incident_id)


def test_the_screens_appends_during_a_catch_up_defer_their_checkpoints_too(
    tmp_path: Path, small_marks
):
    """The screen's store and the sync engine's share a home in one process: a scribe's
    append while a catch-up runs neither checkpoints per 4 MB on its own thread nor
    copies the WAL there at the bound, and the WAL stays bounded by the bulk mark."""
    path = tmp_path / "warroom.db"
    with LocalStore(path) as before:  # its checkpoints are done once it is closed
        room = WarRoom(before, default_policy(), "alice")
        incident_id = room.declare("x", severity="SEV3", incident_type="outage").incident_id
    with LocalStore(path) as catching_up, LocalStore(path) as screen:
        room = WarRoom(screen, default_policy(), "alice")
        small_marks.clear()
        largest = 0
        with catching_up._checkpoints.deferred(catching_up.conn):
            for entry in range(400):  # ~6 pages each: ~10 MB of WAL without a checkpoint
                room.log(incident_id, f"entry {entry}")
                largest = max(largest, screen._checkpoints.wal_bytes())
        sizes = [size for _, size, on_thread in small_marks if not on_thread]
        assert sizes[:-1], "the WAL was never checkpointed: it is unbounded"
        assert all(size >= BULK_MARK for size in sizes[:-1]), f"checkpointed early: {sizes}"
        assert largest < 2 * BULK_MARK, f"the WAL grew to {largest} bytes"
        assert screen.state(incident_id).event_count == 401


def test_the_thread_copies_a_bulk_catch_ups_wal_behind_it(tmp_path: Path, small_marks):
    """Inside ``deferred`` each commit past ``CHECKPOINT_BYTES`` asks the thread for a
    pass: the WAL is copied while the catch-up goes on, not all at its end, and the
    catch-up's own thread copies nothing below the bulk mark."""
    path = tmp_path / "warroom.db"
    with LocalStore(path) as store:
        room = WarRoom(store, default_policy(), "alice")
        incident_id = room.declare("x", severity="SEV3", incident_type="outage").incident_id
        small_marks.clear()
        with store._checkpoints.deferred(store.conn):
            for entry in range(5):  # ~8 WAL frames each: past the 32 kB mark, not the bulk one
                room.log(incident_id, f"entry {entry} " + "x" * 300)
            assert store._checkpoints.wal_bytes() < BULK_MARK
            deadline = time.monotonic() + 20
            while not any(on_thread for *_, on_thread in small_marks):
                assert time.monotonic() < deadline, "the thread never copied the WAL"
                time.sleep(0.02)
            on_writer = [size for _, size, on_thread in small_marks if not on_thread]
            assert on_writer == [], f"the catch-up's thread checkpointed: {on_writer}"
        assert store.state(incident_id).event_count == 6
    assert LocalStore(path).state(incident_id).event_count == 6
