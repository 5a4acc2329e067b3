"""WAL checkpoints run off the append path (issue 11: local append p99 <= 2 ms at
10,000 incidents), and the WAL stays bounded: in a burst of appends, across many short
processes, and a kill -9 at any moment loses nothing (``test_crash``)."""

import hashlib
import threading
import time
from pathlib import Path

import pytest

from warroom.actions import WarRoom
from warroom.core.policy import default_policy
from warroom.store import checkpoints
from warroom.store.local import LocalStore


def _declared(store: LocalStore) -> tuple[WarRoom, str]:
    room = WarRoom(store, default_policy(), "alice")
    return room, room.declare("x", severity="SEV3", incident_type="outage").incident_id


def _frames(path: Path) -> int:
    """Frames in the WAL file (its 32-byte header, then page-sized frames + 24 bytes)."""
    return (path.with_name(path.name + "-wal").stat().st_size - 32) // (4096 + 24)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_appends_never_copy_the_wal_into_the_database_themselves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """With the checkpoints' mark out of reach, appends past SQLite's own 1,000-page
    automatic checkpoint leave the database file as it was: no commit copies pages."""
    monkeypatch.setattr(checkpoints, "CHECKPOINT_BYTES", 1 << 40)
    path = tmp_path / "w.db"
    with LocalStore(path) as store:
        room, incident = _declared(store)
        before = _digest(path)
        for entry in range(1, 400):
            room.log(incident, f"entry {entry} " + "x" * 400)
            if _frames(path) > 1200:
                break
        assert _frames(path) > 1200, "SQLite's automatic checkpoint started the WAL over"
        assert _digest(path) == before, "an append checkpointed the WAL into the database"
    with LocalStore(path) as store:
        assert store.state(incident).event_count == entry + 1


def test_a_burst_of_appends_keeps_the_wal_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Back-to-back appends outrun a checkpoint that merely follows them: the WAL would
    only start over in a pause. The thread chases, the last commit copies the rest; on
    a loaded machine, where the thread may wait for a core, the bound holds it."""
    monkeypatch.setattr(checkpoints, "CHECKPOINT_BYTES", 128 * 1024)
    monkeypatch.setattr(checkpoints, "WAL_KEEP_BYTES", 32 * 1024)
    monkeypatch.setattr(checkpoints, "CATCH_UP_FRAMES", 12)
    path = tmp_path / "w.db"
    with LocalStore(path) as store:
        room, incident = _declared(store)
        largest, started_over = 0, 0
        for entry in range(300):  # ~6 pages each: ~7 MB of WAL without a restart
            room.log(incident, f"entry {entry}")
            frames = _frames(path)
            started_over += frames < largest
            largest = max(largest, frames)
        assert started_over >= 3, "the WAL never started over during the burst"
        # bounded: 4x the mark, plus what a thread's pass lets by while it holds the
        # checkpoint (a loaded machine may leave it without a core for a while)
        assert largest * 4096 < 3 * 1024 * 1024, f"the WAL grew to {largest} frames"
        assert store.integrity_check() == "ok"
    with LocalStore(path) as store:
        assert store.state(incident).event_count == 301


def test_short_processes_checkpoint_as_they_close(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Each ``warroom log`` is a process of its own that appends once and ends; with the
    screen holding the home open, SQLite's last-connection checkpoint never runs."""
    monkeypatch.setattr(checkpoints, "CHECKPOINT_BYTES", 64 * 1024)
    monkeypatch.setattr(checkpoints, "WAL_KEEP_BYTES", 16 * 1024)
    path = tmp_path / "w.db"
    with LocalStore(path) as screen:
        _, incident = _declared(screen)
        largest = 0
        for entry in range(100):  # ~6 pages each: ~2.4 MB of WAL without a checkpoint
            with LocalStore(path) as one_shot:
                WarRoom(one_shot, default_policy(), "bot").log(incident, f"entry {entry}")
            largest = max(largest, _frames(path))
        assert largest * 4096 < 256 * 1024, f"the WAL grew to {largest} frames"
        assert screen.state(incident).event_count == 101


def test_a_store_closes_without_waiting_out_the_threads_pause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """After a pass the thread pauses (``PAUSE_S``) before the next; a store closed then
    (a process ending, the screen quitting) stops it at once instead of waiting the
    pause out, which made a synced catch-up's close wait up to 50 ms."""
    monkeypatch.setattr(checkpoints, "CHECKPOINT_BYTES", 32 * 1024)
    monkeypatch.setattr(checkpoints, "WAL_KEEP_BYTES", 8 * 1024)
    monkeypatch.setattr(checkpoints, "PAUSE_S", 60.0)
    passes = threading.Event()
    real = checkpoints._checkpoint

    def noted(conn, path):
        outcome = real(conn, path)
        if threading.current_thread().name.startswith("wal-checkpoint"):
            passes.set()
        return outcome

    monkeypatch.setattr(checkpoints, "_checkpoint", noted)
    store = LocalStore(tmp_path / "w.db")
    room, incident = _declared(store)
    for entry in range(3):  # ~8 WAL frames each: past the 32 kB mark
        room.log(incident, f"entry {entry} " + "x" * 300)
    assert passes.wait(20), "the thread never checkpointed"
    started = time.monotonic()
    store.close()
    assert time.monotonic() - started < 20, "the close waited out the thread's pause"
