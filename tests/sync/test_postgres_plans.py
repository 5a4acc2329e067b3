"""The PostgreSQL writer's look-ups stay on their indexes as the tables grow.

PostgreSQL caches a generic plan for a prepared statement after five runs and keeps it
until the table is ANALYZEd. Made while the tables are nearly empty, that plan scans
whole tables; a fresh database then read every row of ``events`` and ``device_counters``
on every group commit, and the database's CPU per append grew with the log. The count
is PostgreSQL's own: ``pg_stat_user_tables`` (rows read by sequential scans).
"""

import time

import psycopg

from tests.factories import declaration, make_event
from warroom.server.postgres import PostgresStorage
from warroom.server.postgres.schema import PLANS_BY_KEY, by_key

WATCHED = ("events", "device_counters", "incident_heads")


def _admit(state, event, log_of):
    return None


def _scans(url: str) -> dict[str, tuple[int, int]]:
    """``table -> (rows read by sequential scans, scans of any kind)``."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT relname, seq_tup_read, seq_scan + COALESCE(idx_scan, 0)"
            " FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            (list(WATCHED),),
        ).fetchall()
    return {name: (read, scans) for name, read, scans in rows}


def _quiet(url: str) -> dict[str, tuple[int, int]]:
    """The statistics once two readings a report interval apart agree (what the
    backends had still to report is in)."""
    last, deadline = _scans(url), time.monotonic() + 20
    while time.monotonic() < deadline:
        time.sleep(1.2)
        if (now := _scans(url)) == last:
            break
        last = now
    return last


def _settled(url: str, before: dict[str, tuple[int, int]], scans: int) -> dict:
    """The statistics once the writer's backend has reported at least ``scans`` more
    scans of ``incident_heads`` (every group locks its heads; a backend sends its counts
    when idle, about once a second)."""
    deadline = time.monotonic() + 20
    while True:
        now = _scans(url)
        heads = now["incident_heads"][1] - before["incident_heads"][1]
        if heads >= scans or time.monotonic() > deadline:
            return now
        time.sleep(0.2)


async def test_group_commits_read_no_whole_table_once_the_log_has_grown(postgres_url):
    storage = PostgresStorage(postgres_url)
    await storage.start()
    try:
        await storage.append([declaration("inc-plans")], _admit, "tok-a")
        for n in range(8):  # past the plan cache's five runs while the tables are small
            await storage.append(
                [make_event("note", "inc-plans", text=f"early {n}")], _admit, "tok-a"
            )
        for batch in range(4):  # then the log grows (one group a batch)
            events = [make_event("note", "inc-plans", text=f"{batch}.{n}") for n in range(1000)]
            await storage.append(events, _admit, "tok-a")
        before = _quiet(postgres_url)
        groups = 20
        for n in range(groups):
            await storage.append(
                [make_event("note", "inc-plans", text=f"late {n}")], _admit, "tok-a"
            )
        after = _settled(postgres_url, before, groups)
    finally:
        await storage.close()
    heads = after["incident_heads"][1] - before["incident_heads"][1]
    assert heads >= groups, "the statistics never came in"
    read = {table: after[table][0] - before[table][0] for table in WATCHED}
    # was ~4,000 rows of events and of device_counters a group: both tables read whole
    assert read["events"] == 0 and read["device_counters"] == 0, read


def test_the_plan_setting_keeps_the_options_a_database_url_already_gives(monkeypatch):
    monkeypatch.delenv("PGOPTIONS", raising=False)
    given = by_key("postgresql://warroom@db/warroom?options=-c%20work_mem%3D8MB")
    assert given == {"options": f"-c work_mem=8MB {PLANS_BY_KEY}"}
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=5s")
    assert by_key("postgresql://warroom@db/warroom")["options"].startswith("-c statement_timeout")


async def test_the_server_s_small_reads_are_never_compiled(postgres_url):
    """With sequential scans priced out, a scan's cost passes every JIT threshold: the
    revocation watch and each feed read's look at ``feed_head`` were compiled by LLVM
    every time (50-200 ms of the database's CPU each). Asked on a connection of the
    server's own pool, PostgreSQL's plans of them carry no JIT."""
    storage = PostgresStorage(postgres_url)
    await storage.start()
    try:
        with storage._pooled().connection() as conn:
            plans = [
                "\n".join(row[0] for row in conn.execute(f"EXPLAIN (ANALYZE) {query}"))
                for query in (
                    "SELECT id FROM tokens WHERE revoked_at IS NOT NULL",
                    "SELECT pos FROM feed_head",
                )
            ]
    finally:
        await storage.close()
    assert all("Seq Scan" in plan for plan in plans), plans  # priced out, still chosen
    assert not any("JIT" in plan for plan in plans), plans
