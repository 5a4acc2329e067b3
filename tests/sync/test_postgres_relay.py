"""The live relay of a PostgreSQL replica reads the feed only for someone.

Two replicas on one real database: every commit of one hints the other. A replica with
no subscriber must not read what the other committed (at load, that was a feed read per
hint for nobody), and a subscriber that comes afterwards still misses nothing: it reads
the feed from its own cursor, then takes live batches from where the relay stands.
"""

import asyncio

from tests.factories import declaration, make_event
from warroom.server.postgres import PostgresStorage


def _admit(state, event, log_of):
    return None


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_replica_nobody_follows_reads_nothing_and_a_later_follower_misses_nothing(
    postgres_url,
):
    writing, quiet = PostgresStorage(postgres_url), PostgresStorage(postgres_url)
    await writing.start()
    await quiet.start()
    reads = []
    real_feed = quiet.feed

    async def counted_feed(after: int, limit: int):
        reads.append(after)
        return await real_feed(after, limit)

    quiet.feed = counted_feed  # the relay reads through it, as the routes do
    try:
        await writing.append([declaration("inc-r")], _admit, "tok-a")
        for n in range(5):
            await writing.append([make_event("note", "inc-r", text=f"n{n}")], _admit, "tok-a")
        await _until(lambda: quiet._relay.seen == 6)  # the hints moved it on
        await asyncio.sleep(1.2)  # two safety polls too
        assert reads == []  # ... and not one read of the feed for nobody

        follower = quiet.subscribe("tok-b")  # as a stream does: subscribe, read, go live
        replayed = await real_feed(0, 100)
        assert [item.position for item in replayed.items] == [1, 2, 3, 4, 5, 6]
        await writing.append([make_event("note", "inc-r", text="live")], _admit, "tok-a")
        batch = await asyncio.wait_for(follower.get(), 5)
        assert [item.position for item in batch] == [7]
        assert reads  # with a follower, the relay reads again
        follower.close()
    finally:
        await writing.close()
        await quiet.close()


async def test_own_commits_with_nobody_subscribed_move_the_relay_on_without_a_read(
    postgres_url,
):
    other, replica = PostgresStorage(postgres_url), PostgresStorage(postgres_url)
    await other.start()
    await replica.start()
    reads = []
    real_feed = replica.feed

    async def counted_feed(after: int, limit: int):
        reads.append(after)
        return await real_feed(after, limit)

    replica.feed = counted_feed
    try:  # commits interleaved across the replicas: each of this one's leaves a gap
        await other.append([declaration("inc-a")], _admit, "tok-a")
        await replica.append([declaration("inc-b")], _admit, "tok-b")
        for n in range(3):
            await other.append([make_event("note", "inc-a", text=f"a{n}")], _admit, "tok-a")
            await replica.append([make_event("note", "inc-b", text=f"b{n}")], _admit, "tok-b")
        await _until(lambda: replica._relay.seen == 8)
        assert reads == []
    finally:
        await other.close()
        await replica.close()


async def test_a_replica_nobody_follows_is_not_woken_for_each_commit_of_another(postgres_url):
    """Every commit of a replica hints every other; with nobody subscribed, each hint
    woke the listener and the event loop just to move ``seen`` on (at 1,000 appends/s,
    a tenth of a replica's CPU). The hints are now looked at in batches."""
    writing, quiet = PostgresStorage(postgres_url), PostgresStorage(postgres_url)
    await writing.start()
    await quiet.start()
    hints = []
    real_hint = quiet._relay.hint

    def counted_hint(upto=None):
        hints.append(upto)
        real_hint(upto)

    quiet._relay.hint = counted_hint  # the listener pokes the loop with it
    try:
        await writing.append([declaration("inc-w")], _admit, "tok-a")
        commits = 40
        for n in range(commits):  # one group each: the writer waits for every answer
            await writing.append([make_event("note", "inc-w", text=f"n{n}")], _admit, "tok-a")
        await _until(lambda: quiet._relay.seen == commits + 1)
    finally:
        await writing.close()
        await quiet.close()
    assert len(hints) < commits / 4, hints  # was one a commit
