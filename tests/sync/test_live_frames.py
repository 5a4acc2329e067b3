"""The live part of a stream (``sse.LiveFrames``) on a real SQLite server's subscriptions.

One commit is written to every subscriber, so what a stream does per batch is done once
per subscriber: the frames of a batch are encoded once and shared, and every batch
queued since a stream's last write goes out in one write.
"""

import asyncio
import json

import pytest

from tests.factories import declaration, make_event
from warroom.server.sqlite import SQLiteStorage
from warroom.server.sse import PING, LiveFrames, frames
from warroom.server.storage import TokenRevoked


def _admit(state, event, log_of):
    return None


def _positions(chunks: list[bytes]) -> list[int]:
    text = b"".join(chunks).decode()
    return [json.loads(line[6:])["server_seq"] for line in text.split("\n") if line[:6] == "data: "]


@pytest.fixture
async def storage(tmp_path):
    storage = SQLiteStorage(tmp_path / "data")
    await storage.start()
    yield storage
    await storage.close()


async def _commit(storage: SQLiteStorage, *texts: str) -> None:
    """The declaration, then one commit per text, each queued to every subscriber
    before this returns (the writer thread hands a commit to the event loop after its
    append has returned)."""
    await storage.append([declaration("inc-live")], _admit, "tok")
    for text in texts:
        await storage.append([make_event("note", "inc-live", text=text)], _admit, "tok")
    await _queued(storage, 1 + len(texts))


async def _queued(storage: SQLiteStorage, batches: int) -> None:
    for _ in range(500):
        if all(sub.queue.qsize() >= batches for sub in storage._subscribers):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the commits never reached the subscriptions")


async def test_a_burst_of_commits_goes_out_in_one_write(storage):
    # the replay sent the declaration
    live = LiveFrames(storage.subscribe("tok"), last=1, heartbeat_s=5)
    await _commit(storage, "a", "b", "c")  # three commits queued before the stream wakes
    chunks = await live.next()
    assert len(chunks) == 1
    assert _positions(chunks) == [2, 3, 4]
    assert live.last == 4


async def test_every_stream_writes_the_same_bytes_of_a_batch_encoded_once(storage):
    streams = [LiveFrames(storage.subscribe("tok"), last=1, heartbeat_s=5) for _ in range(3)]
    await _commit(storage, "shared")
    written = [await stream.next() for stream in streams]
    assert written[0][0] is written[1][0] is written[2][0]
    assert _positions(written[0]) == [2]


async def test_positions_a_stream_already_sent_are_left_out(storage):
    subscription = storage.subscribe("tok")
    await storage.append([declaration("inc-live")], _admit, "tok")
    await storage.append(
        [make_event("note", "inc-live", text=t) for t in ("x", "y", "z")], _admit, "tok"
    )
    await _queued(storage, 2)
    live = LiveFrames(subscription, last=3, heartbeat_s=5)  # the replay already sent 2 and 3
    chunks = await live.next()
    assert _positions(chunks) == [4]
    everything = await storage.feed(0, 10)
    assert chunks == list(frames(everything.items[3:]))  # the frames a replay would send


async def test_an_idle_stream_pings_and_a_resync_asks_for_a_re_read(storage):
    subscription = storage.subscribe("tok")
    live = LiveFrames(subscription, last=0, heartbeat_s=0.05)
    assert await live.next() == [PING]
    assert await live.next() == [PING]  # and again, one heartbeat later
    await _commit(storage)  # a ping loses nothing: the batch waits in the queue
    assert _positions(await live.next()) == [1]
    subscription.queue.put_nowait(())  # RESYNC: the subscriber fell behind
    assert await live.next() is None
    live.close()


async def test_a_stream_that_writes_is_not_pinged_and_its_own_cancellation_still_ends_it(
    storage,
):
    live = LiveFrames(storage.subscribe("tok"), last=0, heartbeat_s=1.0)
    await storage.append([declaration("inc-live")], _admit, "tok")
    for n in range(6):  # a write every 0.1 s: never 1 s without one
        await asyncio.sleep(0.1)
        await storage.append([make_event("note", "inc-live", text=f"n{n}")], _admit, "tok")
        assert await live.next() != [PING]
    waiting = asyncio.ensure_future(live.next())
    await asyncio.sleep(0.05)
    waiting.cancel()  # the client went away
    with pytest.raises(asyncio.CancelledError):
        await waiting
    live.close()


async def test_a_revoked_token_ends_the_live_frames(storage):
    info, _ = await storage.create_token("dee", "viewer")
    subscription = storage.subscribe(info.id)
    live = LiveFrames(subscription, last=0, heartbeat_s=5)
    waiting = asyncio.ensure_future(live.next())
    await asyncio.sleep(0.05)
    await storage.revoke_token(info.id)
    with pytest.raises(TokenRevoked):
        await asyncio.wait_for(waiting, 5)
    assert subscription.revoked
