"""The PostgreSQL writer's group commit: its cost in round trips, and its race for a
device counter with another replica.

Round trips are what an append costs on PostgreSQL when the database is on the same
cores (each is a wake-up of both processes), so they are counted where they happen: in
libpq's own trace of the writer's connection, each time the writer stops sending and
the database answers.
"""

import asyncio
import itertools
import threading
from pathlib import Path

from psycopg.pq import Trace

from tests.factories import declaration, make_event
from warroom.server.postgres import PostgresStorage
from warroom.server.storage import device_clash


def _admit(state, event, log_of):
    return "no such incident" if state is None and event.kind != "declaration" else None


def _traced(storage: PostgresStorage, trace: Path) -> None:
    """Make the writer's connection write libpq's trace of its messages to ``trace``."""
    opened = storage._writer._open
    out = trace.open("w")

    def open_traced():
        conn = opened()
        conn.pgconn.trace(out.fileno())
        conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS | Trace.REGRESS_MODE)
        return conn

    storage._writer._open = open_traced


def _sent(trace: Path, after_first_commit: bool = False) -> tuple[int, int, int, int]:
    """(round trips, groups, statements, transactions) of the writer in its trace, from
    its first statement or, if asked, from the end of its first transaction (libpq
    buffers its trace: where it has got to is not known until the connection closes). A
    round trip is a turn from the writer's messages (``F``) to the database's (``B``), a
    statement a ``Bind`` (each costs both sides a fixed amount, whatever it holds), a
    group one ``Sync``, a transaction a ``COMMIT``."""
    lines = [line for line in trace.read_text().splitlines() if line[:2] in ("F\t", "B\t")]
    committed = ["CommandComplete" in line and '"COMMIT"' in line for line in lines]
    if after_first_commit:
        lines = lines[committed.index(True) + 1 :]
    else:
        lines = lines[next(n for n, line in enumerate(lines) if "\tParse\t" in line) :]
    turns = sum(a[0] == "F" and b[0] == "B" for a, b in itertools.pairwise(lines))
    sent = [line.split("\t")[2] for line in lines if line.startswith("F\t")]
    commits = sum("CommandComplete" in line and '"COMMIT"' in line for line in lines)
    return turns, sent.count("Sync"), sent.count("Bind"), commits


async def _sixty_pushes(url: str, tmp_path: Path, *, locked: bool) -> tuple[int, int, int, int]:
    """Twenty incidents declared, then three pushes to each at once, on the locked path
    if asked (``before_positions`` set keeps every group on it): ``_sent`` of the pushes
    (everything after the declarations' transaction: new incidents are locked)."""
    storage = PostgresStorage(url)
    trace = tmp_path / "writer.trace"
    _traced(storage, trace)
    await storage.start()
    try:
        incidents = [f"inc-rt{n:02d}" for n in range(20)]
        await storage.append([declaration(i) for i in incidents], _admit, "tok-a")
        if locked:
            storage._writer.before_positions = lambda: None
        pushes = [
            storage.append([make_event("note", i, text=f"note {n}")], _admit, "tok-a")
            for n, i in enumerate(incidents * 3)
        ]
        results = await asyncio.gather(*pushes)
        assert all(r[0].status == "applied" for r in results)
        assert {r[0].server_seq for r in results} == {2, 3, 4}
    finally:
        await storage.close()
    return _sent(trace, after_first_commit=True)


async def test_a_group_on_cached_heads_is_one_statement_in_one_round_trip(postgres_url, tmp_path):
    """Once this replica has written an incident it knows its head: the next group on it
    is judged on that and written by one ``WRITE``, with no transaction around it."""
    round_trips, groups, statements, commits = await _sixty_pushes(
        postgres_url, tmp_path, locked=False
    )
    assert 1 <= groups <= 60
    assert commits == 0  # was one transaction a group: BEGIN ... COMMIT
    assert round_trips == groups, (round_trips, groups)  # was two a group
    assert statements == groups, (statements, groups)  # was six a group


async def test_a_group_on_the_locked_path_costs_two_round_trips_however_many_pushes_it_holds(
    postgres_url, tmp_path
):
    """The path of a group whose heads are not cached: one transaction in two round
    trips, whatever its size."""
    round_trips, groups, statements, commits = await _sixty_pushes(
        postgres_url, tmp_path, locked=True
    )
    assert 1 <= commits == groups <= 60
    assert round_trips <= 2 * commits, (round_trips, commits)  # was ~4 per push + ~9
    # BEGIN, the locks, the look-up, the write, COMMIT
    assert statements <= 5 * commits, (statements, commits)  # was 6: counters, then the rest


async def test_two_replicas_claiming_one_device_counter_at_once_apply_one_and_refuse_the_other(
    postgres_url,
):
    """The first replica is held open inside its transaction after judging its push (the
    counter was free); the second claims the same counter meanwhile. Whichever insert
    loses (the second's waits for the first's transaction, then finds the row) has its
    group judged again: one entry applied, the other refused as a clash naming it."""
    first, second = PostgresStorage(postgres_url), PostgresStorage(postgres_url)
    await first.start()
    await second.start()
    reached, release = threading.Event(), threading.Event()
    try:
        await first.append([declaration("inc-a"), declaration("inc-b")], _admit, "tok-a")
        mine = make_event("note", "inc-a", text="on the first replica")
        copy = make_event("note", "inc-b", text="a copied home's").model_copy(
            update={"device_seq": mine.device_seq}
        )

        def hold_open() -> None:
            reached.set()
            release.wait(20)

        first._writer.before_positions = hold_open
        held = asyncio.ensure_future(first.append([mine], _admit, "tok-a"))
        assert await asyncio.to_thread(reached.wait, 20)
        first._writer.before_positions = None
        racing = asyncio.ensure_future(second.append([copy], _admit, "tok-b"))
        await asyncio.sleep(0.5)
        release.set()
        outcomes = [r[0] for r in await asyncio.wait_for(asyncio.gather(held, racing), 20)]
    finally:
        release.set()
        await first.close()
        await second.close()
    (won,) = [r for r in outcomes if r.status == "applied"]
    (lost,) = [r for r in outcomes if r.status == "rejected"]
    assert lost.reason == device_clash(mine.device_id, mine.device_seq, won.id, mine.device_seq)


async def test_an_incident_id_with_a_nul_byte_is_no_such_incident_not_a_server_error(
    postgres_url,
):
    """PostgreSQL text cannot hold NUL, so the query itself fails (the HTTP fuzz test found
    ``GET /v1/incidents/%00/events`` answered 500); no incident has such an id."""
    storage = PostgresStorage(postgres_url)
    await storage.start()
    try:
        assert await storage.incident_log("inc\x00x", 0, 10) is None
    finally:
        await storage.close()


async def test_a_group_is_settled_and_relayed_in_one_wake_up_of_the_event_loop(postgres_url):
    """Each wake-up of the loop from the writer thread is a system call and a loop turn on
    the append's path: the futures of a group and its feed items go in the same one."""
    storage = PostgresStorage(postgres_url)
    await storage.start()
    loop = asyncio.get_running_loop()
    writer_threads: set[int] = set()
    groups: list[int] = []
    wake_ups: list[int] = []
    relayed: list[tuple[int, int]] = []  # (thread, items) of each relay of a commit
    commit_group, call_soon, committed = (
        storage._writer._commit_group,
        loop.call_soon_threadsafe,
        storage._relay.committed,
    )

    def counted_group(conn, group):
        writer_threads.add(threading.get_ident())
        groups.append(len(group))
        return commit_group(conn, group)

    def counted_wake_up(*args, **kwargs):
        if threading.get_ident() in writer_threads:
            wake_ups.append(1)
        return call_soon(*args, **kwargs)

    def counted_relay(items):
        relayed.append((threading.get_ident(), len(items)))
        return committed(items)

    storage._writer._commit_group = counted_group
    loop.call_soon_threadsafe = counted_wake_up
    storage._relay.committed = counted_relay
    try:
        incidents = [f"inc-wk{n:02d}" for n in range(10)]
        await storage.append([declaration(i) for i in incidents], _admit, "tok-a")
        pushes = [
            storage.append([make_event("note", i, text=f"note {n}")], _admit, "tok-a")
            for n, i in enumerate(incidents * 3)
        ]
        assert all(r[0].status == "applied" for r in await asyncio.gather(*pushes))
    finally:
        del loop.call_soon_threadsafe
        await storage.close()
    assert len(wake_ups) == len(groups), (len(wake_ups), groups)  # was two per group
    assert sum(n for _, n in relayed) == 10 + 30  # every committed event relayed
    assert {thread for thread, _ in relayed} == {threading.get_ident()}  # on the loop
