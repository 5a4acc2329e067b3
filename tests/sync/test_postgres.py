"""What only the PostgreSQL backend has to prove: several replicas on one database.

The trap (reference/sync-protocols.md §3.2): with ids from a sequence, a transaction that
took its id first but commits last lands *behind* a cursor a reader was already given,
and that reader never sees it. Here two replicas append to one database with a
transaction held open at the worst moment, and a reader polling in between misses nothing.
"""

import asyncio
import threading
import time

import psycopg
import pytest

from tests.factories import declaration, make_event
from warroom.server.postgres import SCHEMA_VERSION, PostgresStorage
from warroom.server.storage import StorageError


def _admit(state, event, log_of):
    return "no such incident" if state is None and event.kind != "declaration" else None


def _texts(page) -> list[str]:
    import json

    return [json.loads(item.record)["event"]["payload"].get("text", "") for item in page.items]


async def test_a_late_commit_never_sorts_before_a_cursor_already_handed_out(postgres_url):
    first, second = PostgresStorage(postgres_url), PostgresStorage(postgres_url)
    await first.start()
    await second.start()
    try:
        await first.append([declaration("inc-x"), declaration("inc-y")], _admit, "tok-a")
        reached, release = threading.Event(), threading.Event()

        def hold_open() -> None:  # on first's writer, inside its transaction
            reached.set()
            release.wait(20)

        first._writer.before_positions = hold_open
        started_first = asyncio.ensure_future(
            first.append([make_event("note", "inc-x", text="A")], _admit, "tok-a")
        )
        assert await asyncio.to_thread(reached.wait, 20)
        first._writer.before_positions = None

        # started after A, committed before it: another incident is not held up
        done = await asyncio.wait_for(
            second.append([make_event("note", "inc-y", text="B")], _admit, "tok-b"), 20
        )
        assert done[0].status == "applied"
        # the same incident is: C waits for A's row lock on inc-x's head
        behind = asyncio.ensure_future(
            second.append([make_event("note", "inc-x", text="C")], _admit, "tok-b")
        )
        polled = await second.feed(0, 100)  # the reader polls while A is still open
        assert _texts(polled)[-1] == "B" and "A" not in _texts(polled)
        await asyncio.sleep(0.5)
        assert not behind.done()

        release.set()
        applied_a, applied_c = (await started_first)[0], (await asyncio.wait_for(behind, 20))[0]
        assert (applied_a.server_seq, applied_c.server_seq) == (2, 3)  # dense, in lock order
        later = await second.feed(int(polled.cursor), 100)
        everything = await second.feed(0, 100)
        assert _texts(polled) + _texts(later) == _texts(everything)  # nothing skipped
        assert _texts(later) == ["A", "C"]
        positions = [item.position for item in everything.items]
        assert positions == list(range(1, len(positions) + 1))  # dense, commit order
    finally:
        release.set()
        await first.close()
        await second.close()


async def test_an_entry_appended_on_one_replica_reaches_the_subscribers_of_another(
    postgres_url,
):
    first, second = PostgresStorage(postgres_url), PostgresStorage(postgres_url)
    await first.start()
    await second.start()
    try:
        assert first.public_key == second.public_key  # one signing key per database
        follower = second.subscribe("tok-b")
        await first.append([declaration("inc-live")], _admit, "tok-a")
        batch = await asyncio.wait_for(follower.get(), 5)
        assert [item.position for item in batch] == [1]
        follower.close()
    finally:
        await first.close()
        await second.close()


def test_a_database_from_a_newer_server_is_refused(postgres_url):
    PostgresStorage(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE warroom_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(StorageError, match="newer warroom"):
        PostgresStorage(postgres_url)


def test_replicas_racing_for_deliveries_each_win_one_once_and_a_lapsed_claim_passes_on(
    postgres_url,
):
    from concurrent.futures import ThreadPoolExecutor

    replicas = [PostgresStorage(postgres_url) for _ in range(2)]
    ids = [f"d{n}" for n in range(100)]
    try:
        with ThreadPoolExecutor(4) as pool:
            rounds = list(
                pool.map(
                    lambda n: replicas[n % 2].claim_deliveries(ids, f"holder-{n}", 30),
                    range(4),
                )
            )
        won = [delivery for round_ in rounds for delivery in round_]
        assert sorted(won) == sorted(ids)  # every delivery claimed, none twice
        holder = next(n for n, round_ in enumerate(rounds) if "d0" in round_)
        other = (holder + 1) % 4
        assert replicas[0].claim_deliveries(["d0"], f"holder-{other}", 30) == set()
        assert replicas[1].claim_deliveries(["d0"], f"holder-{holder}", 30) == {"d0"}  # renew
        replicas[0].release_deliveries(["d0"], f"holder-{holder}")
        assert replicas[1].claim_deliveries(["d0"], f"holder-{other}", 0.2) == {"d0"}
        time.sleep(0.3)
        assert replicas[0].claim_deliveries(["d0"], f"holder-{holder}", 30) == {"d0"}  # lapsed
    finally:
        for replica in replicas:
            asyncio.run(replica.close())
