"""kill -9 a process in the middle of appending: nothing half-written, nothing lost."""

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from warroom.core.fold import fold
from warroom.store.local import LocalStore

CHILD = r"""
import sys
from pathlib import Path
from warroom.actions import WarRoom
from warroom.core.policy import default_policy
from warroom.store.local import LocalStore

store = LocalStore(Path(sys.argv[1]))
room = WarRoom(store, default_policy(), "crasher")
ids = store.incident_ids()
if not ids:
    ids = [room.declare("crash", severity="SEV2", incident_type="outage").incident_id]
incident = ids[0]
print("ready", incident, flush=True)
n = 0
while True:
    n += 1
    event = room.log(incident, f"entry {n} " + "x" * (n % 500))
    print("committed", event.id, flush=True)
"""


SMALL_WAL = """
from warroom.store import checkpoints
checkpoints.CHECKPOINT_BYTES, checkpoints.WAL_KEEP_BYTES = 96 * 1024, 24 * 1024
"""
"""Checkpoints every ~4 appends, so kills land in them and in the WAL starting over."""


def _run_and_kill(db: Path, committed: set[str], delay: float, prelude: str = "") -> None:
    """Start the child, SIGKILL it after ``delay`` seconds, collect what it acknowledged."""
    child = subprocess.Popen(
        [sys.executable, "-c", prelude + CHILD, str(db)], stdout=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(child.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 20
    while not lines and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lines and lines[0].startswith("ready"), lines[:1]
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    reader.join(timeout=10)
    for line in lines:
        if line.startswith("committed ") and line.endswith("\n"):
            committed.add(line.split()[1])


@pytest.mark.parametrize("prelude", ["", SMALL_WAL], ids=["default", "checkpointing"])
def test_sigkill_at_random_moments_loses_nothing_acknowledged(tmp_path: Path, prelude: str):
    db = tmp_path / "crash.db"
    committed: set[str] = set()
    rng = random.Random(7)
    for _ in range(6):
        _run_and_kill(db, committed, delay=rng.uniform(0.2, 0.8), prelude=prelude)
    assert len(committed) > 20, "the child should have committed events before being killed"

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with LocalStore(db) as store:
        (incident,) = store.incident_ids()
        events = store.events(incident)  # every stored body validates: no half-written event
        stored = {e.id for e in events}
        assert committed <= stored, f"{len(committed - stored)} acknowledged events lost"
        outboxed = {e.id for e in store.outbox(limit=100_000)}
        assert stored == outboxed, "event and outbox rows are written in one transaction"
        seqs = [e.device_seq for e in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert fold(events).event_count == len(events)
