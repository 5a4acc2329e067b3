"""Background jobs run on the lease holder only, and move when it dies or stops."""

import asyncio
import sqlite3
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.sync.conftest import Server, wait_until
from warroom.server import leader
from warroom.server.leader import LEASE, BackgroundJobs
from warroom.server.sqlite import SQLiteStorage
from warroom.server.sqlite.leases import Leases
from warroom.server.sqlite.schema import migrate

TTL_S, ROUND_S = 0.6, 0.05


class Recorder:
    """A job that notes who ticked it, and when."""

    def __init__(self, name: str, ticks: list[tuple[str, str, float]], who: str) -> None:
        self.name, self.ticks, self.who = name, ticks, who

    def tick(self, now: datetime) -> None:
        self.ticks.append((self.name, self.who, time.monotonic()))


class AsyncRecorder(Recorder):
    async def tick(self, now: datetime) -> None:
        super().tick(now)


class Broken:
    name = "broken"

    def tick(self, now: datetime) -> None:
        raise RuntimeError("the channel is down")


@pytest.fixture
def storage(tmp_path: Path, backend: str | None):
    """Storages of one server's data on the backend of the run (each replica its own)."""
    made = []

    def make():
        if backend:
            from warroom.server.postgres import PostgresStorage

            made.append(PostgresStorage(backend))
        else:
            made.append(SQLiteStorage(tmp_path / "server-data"))
        return made[-1]

    yield make
    for each in made:
        asyncio.run(each.close())


def _replica(storage, who: str, ticks: list) -> BackgroundJobs:
    jobs = [Recorder("ladder", ticks, who), Broken(), AsyncRecorder("dispatch", ticks, who)]
    return BackgroundJobs(storage(), jobs, holder=who, ttl_s=TTL_S, every_s=ROUND_S)


async def _die(runner: BackgroundJobs) -> None:
    """As ``kill -9`` would: stop ticking and renewing, release nothing."""
    runner._task.cancel()
    await asyncio.gather(runner._task, return_exceptions=True)


def _holders_since(ticks: list, start: float) -> set[str]:
    return {who for _, who, at in ticks if at >= start}


def test_only_the_holder_ticks_and_a_dead_holder_is_replaced_within_the_lease(storage):
    ticks: list[tuple[str, str, float]] = []

    async def scenario() -> None:
        a, b = _replica(storage, "a", ticks), _replica(storage, "b", ticks)
        await a.start()
        await asyncio.sleep(0.2)
        await b.start()
        await asyncio.sleep(1.0)
        assert _holders_since(ticks, 0) == {"a"}  # b stood by
        assert (a.leading, b.leading) == (True, False)
        names = {name for name, _, _ in ticks}
        assert names == {"ladder", "dispatch"}  # the broken job held back neither
        assert a.health()["job:broken"]["state"] == "retrying"
        assert a.health()["job:ladder"]["state"] == "running"

        await _die(a)
        died = time.monotonic()
        while _holders_since(ticks, died) != {"b"}:
            await asyncio.sleep(0.01)
            assert time.monotonic() - died < TTL_S + 10 * ROUND_S + 1.0, "no hand-over"
        handed_over = time.monotonic() - died
        assert handed_over >= TTL_S / 2  # it waited for a's lease to run out
        assert b.leading and b.leader() == {
            "holder": "b",
            "leading": True,
            "jobs": ["ladder", "broken", "dispatch"],
        }

        c = _replica(storage, "c", ticks)
        await c.start()
        await b.stop()  # a clean stop hands over at once, without waiting out the lease
        stopped = time.monotonic()
        while _holders_since(ticks, stopped) != {"c"}:
            await asyncio.sleep(0.01)
            assert time.monotonic() - stopped < TTL_S / 2, "the lease was not released"
        await c.stop()

    asyncio.run(scenario())


def test_a_replica_that_cannot_reach_the_lease_runs_nothing(tmp_path: Path):
    ticks: list[tuple[str, str, float]] = []

    class Unreachable(SQLiteStorage):
        async def hold_lease(self, name: str, holder: str, ttl_s: float) -> bool:
            raise OSError("database unreachable")

    async def scenario() -> None:
        runner = BackgroundJobs(
            Unreachable(tmp_path),
            [Recorder("ladder", ticks, "x")],
            holder="x",
            ttl_s=TTL_S,
            every_s=ROUND_S,
        )
        await runner.start()
        await asyncio.sleep(0.3)
        assert ticks == [] and not runner.leading
        report = runner.health()["leader-lease"]
        assert report["state"] == "retrying" and "database unreachable" in report["last_error"]
        await runner.stop()

    asyncio.run(scenario())


def test_one_holder_at_a_time_and_renewals_keep_it(tmp_path: Path):
    (tmp_path / "server.db").touch()
    migrate(tmp_path / "server.db")
    one, other = Leases(tmp_path / "server.db"), Leases(tmp_path / "server.db")
    try:
        assert one.hold(LEASE, "a", 0.3)
        assert not other.hold(LEASE, "b", 0.3)
        time.sleep(0.2)
        assert one.hold(LEASE, "a", 0.3)  # renewed: b still waits past the first expiry
        time.sleep(0.2)
        assert not other.hold(LEASE, "b", 0.3)
        time.sleep(0.35)
        assert other.hold(LEASE, "b", 0.3)  # a stopped renewing
        assert not one.hold(LEASE, "a", 0.3)
        one.release(LEASE, "a")  # not a's to give: nothing changes
        assert not one.hold(LEASE, "a", 0.3)
        other.release(LEASE, "b")
        assert one.hold(LEASE, "a", 0.3)
    finally:
        one.close(), other.close()


def _leading(server: Server) -> bool:
    try:
        body = httpx.get(server.url + "/v1/health", timeout=2).json()
    except httpx.HTTPError:
        return False
    return body["leader"]["leading"]


def test_two_replicas_on_postgresql_one_leads_and_the_other_takes_over_after_kill_9(
    tmp_path: Path, postgres_url: str
):
    one, other = (Server(tmp_path / name, database=postgres_url) for name in ("a", "b"))
    try:
        one.start(), other.start()
        wait_until(lambda: _leading(one) != _leading(other), timeout=10)
        leader_now, standby = (one, other) if _leading(one) else (other, one)
        time.sleep(2 * leader.ROUND_S)
        assert _leading(leader_now) and not _leading(standby)  # exactly one, and it keeps it
        leader_now.kill()
        killed = time.monotonic()
        wait_until(lambda: _leading(standby), timeout=leader.LEASE_TTL_S + 10)
        assert time.monotonic() - killed < leader.LEASE_TTL_S + 3 * leader.ROUND_S
        leader_now.start()  # back, it stands by
        time.sleep(2 * leader.ROUND_S)
        assert _leading(standby) and not _leading(leader_now)
    finally:
        one.stop(), other.stop()
        one.close_storage(), other.close_storage()


def test_warroom_serve_takes_the_lease_and_a_successor_takes_it_after_kill_9(tmp_path: Path):
    data = tmp_path / "server-data"
    first, second = Server(data), Server(data)
    try:
        first.start()
        wait_until(lambda: _leading(first), timeout=10)
        first.kill()
        killed = time.monotonic()
        second.start()
        wait_until(lambda: _leading(second), timeout=leader.LEASE_TTL_S + 10)
        assert time.monotonic() - killed < leader.LEASE_TTL_S + 5  # within seconds
        second.stop()  # a clean stop releases the lease: the next one leads at once
        with sqlite3.connect(second.storage.path) as conn:
            assert conn.execute("SELECT * FROM leases").fetchall() == []
        first.start()
        up = time.monotonic()
        wait_until(lambda: _leading(first), timeout=10)
        assert time.monotonic() - up < leader.LEASE_TTL_S / 2
    finally:
        first.stop(), second.stop()
