"""A group commit costs a few statements whatever its size, and keeps every guarantee.

The writer thread lets go of the GIL around each statement, and takes it back only when
the event loop next switches (up to 5 ms when the loop is busy): statements per push
were the append's tail at 1,000/s (``bench/bench_push_stages.py``). These drive one
group through the real writer on a real SQLite file.
"""

import asyncio
import sqlite3
from pathlib import Path

from tests.factories import declaration, make_event
from warroom.server.sqlite import SQLiteStorage
from warroom.server.sqlite.writer import _Job
from warroom.server.storage import EventTooLarge


def _admit(state, event, log_of):
    return None


def _group(
    tmp_path: Path, pushes: list[list], before: list[list] = ()
) -> tuple[list, list[str], sqlite3.Connection]:
    """Commit ``before`` as one group, then ``pushes`` as another: each push's outcome and
    the statements the second group ran."""
    writer = SQLiteStorage(tmp_path / "data")._writer
    conn = writer._open()
    statements: list[str] = []
    loop = asyncio.new_event_loop()
    try:
        for batch in (before, pushes):
            group = [_Job(events, _admit, "tok-1", loop.create_future()) for events in batch]
            conn.set_trace_callback(statements.append)
            writer._commit_group(conn, group) if group else None
            conn.set_trace_callback(None)
            futures = [job.future for job in group]
            if futures:
                loop.run_until_complete(asyncio.wait(futures))
            outcomes = [f.exception() or f.result() for f in futures]
            if batch is before:
                statements.clear()
    finally:
        loop.close()
    return outcomes, statements, conn


def test_a_group_of_forty_pushes_runs_a_handful_of_statements(tmp_path):
    incidents = [f"inc-{i:02d}" for i in range(20)]
    opened = [[declaration(incident)] for incident in incidents]
    notes = [[make_event("note", incident, text="a note")] for incident in incidents]
    notes += [[make_event("note", incident, text="and another")] for incident in incidents]

    outcomes, statements, conn = _group(tmp_path, notes, before=opened)

    assert all(result[0].status == "applied" for result in outcomes)
    assert len(statements) <= 7, statements  # was 5 per push: 202 for this group
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 60
    assert conn.execute("SELECT COUNT(*) FROM device_counters").fetchone()[0] == 60


def test_within_one_group_a_retry_a_clash_and_a_failing_push_keep_their_answers(tmp_path):
    opened = declaration("inc-a")
    note = make_event("note", "inc-a", text="the note")
    clash = make_event("note", "inc-a", text="same counter")
    clash = clash.model_copy(update={"device_seq": note.device_seq})
    huge = make_event("note", "inc-a", text="big", extra="x" * 70_000)

    outcomes, _, conn = _group(tmp_path, [[opened, note], [huge], [note], [clash]])

    first, failed, retry, clashed = outcomes
    assert [r.server_seq for r in first] == [1, 2]
    assert isinstance(failed, EventTooLarge)  # refused alone: its neighbours commit
    assert retry[0].duplicate and retry[0].server_seq == 2 and retry[0].hash == first[1].hash
    assert clashed[0].status == "rejected" and "also used by another install" in clashed[0].reason
    assert f"#{note.device_seq} is already {note.id}" in clashed[0].reason
    seqs = conn.execute("SELECT seq FROM events ORDER BY gseq").fetchall()
    assert seqs == [(1,), (2,)]  # dense: the failed push took no number
    assert conn.execute("SELECT COUNT(*) FROM rejections").fetchone()[0] == 1


def test_names_with_a_nul_character_are_stored_whole(tmp_path):
    event = declaration("inc-\x00nul").model_copy(
        update={"actor": "al\x00ice", "device_id": "dev-\x00x"}
    )

    outcomes, _, conn = _group(tmp_path, [[event]])

    assert outcomes[0][0].status == "applied"
    assert conn.execute("SELECT incident_id FROM events").fetchone()[0] == "inc-\x00nul"
    assert conn.execute("SELECT device_id, owner FROM devices").fetchone() == (
        "dev-\x00x",
        "al\x00ice",
    )
