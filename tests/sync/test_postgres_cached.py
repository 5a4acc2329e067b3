"""The PostgreSQL writer's cached path: a group judged on the heads its replica cached
and written in one statement must never commit on a guess that has gone stale.

Each test makes the guess wrong in one way (another replica moved the head, the event
already has an outcome, the schema predates the write function) and checks the answer
is the one the locked path gives.
"""

import json

import psycopg

from tests.factories import declaration, make_event
from warroom.core.chain import Head, canonical_bytes, link
from warroom.server.postgres import SCHEMA_VERSION, PostgresStorage


def _admit(state, event, log_of):
    return "no such incident" if state is None and event.kind != "declaration" else None


def _refuse(state, event, log_of):
    return "refused by the rule of the moment"


async def test_a_head_another_replica_moved_is_read_again_and_the_chain_stays_whole(
    postgres_url,
):
    first, second = PostgresStorage(postgres_url), PostgresStorage(postgres_url)
    await first.start()
    await second.start()
    try:
        await first.append([declaration("inc-c")], _admit, "tok-a")
        await first.append([make_event("note", "inc-c", text="one")], _admit, "tok-a")
        await second.append([make_event("note", "inc-c", text="two")], _admit, "tok-b")
        # first's cached head of inc-c is seq 2; the database's is 3 (second's)
        (late,) = await first.append([make_event("note", "inc-c", text="three")], _admit, "t")
        page = await second.incident_log("inc-c", 0, 100)
    finally:
        await first.close()
        await second.close()
    assert (late.status, late.server_seq) == ("applied", 4)
    records = [json.loads(record) for record in page.records]
    assert [r["server_seq"] for r in records] == [1, 2, 3, 4]
    head = Head.start("inc-c").hash
    for record in records:  # each hash links the one before it: none judged on a stale head
        head = link(head, record["server_seq"], canonical_bytes(record["event"]))
        assert record["hash"] == head
    assert page.head_hash == head


def _notes_on_sev1_only(state, event, log_of):
    if event.kind == "note" and state.severity != "SEV1":
        return "notes wait for SEV1"
    return None


async def test_a_refusal_is_never_judged_on_a_fold_another_replica_has_moved_past(
    postgres_url,
):
    """An append on a stale head collides with the other replica's seq anyway; a refusal
    takes no seq, so only the heads' check stops it being decided on the old fold."""
    first, second = PostgresStorage(postgres_url), PostgresStorage(postgres_url)
    await first.start()
    await second.start()
    try:
        await first.append([declaration("inc-s", severity="SEV2")], _admit, "tok-a")
        raised = make_event("severity_changed", "inc-s", severity="SEV1")
        await second.append([raised], _admit, "tok-b")
        # first's cached fold of inc-s is still SEV2
        note = make_event("note", "inc-s", text="now it is SEV1")
        (result,) = await first.append([note], _notes_on_sev1_only, "tok-a")
    finally:
        await first.close()
        await second.close()
    assert (result.status, result.server_seq) == ("applied", 3), result


async def test_a_retry_is_answered_with_its_first_outcome_whatever_the_rule_says_now(
    postgres_url,
):
    storage = PostgresStorage(postgres_url)
    await storage.start()
    try:
        await storage.append([declaration("inc-r")], _admit, "tok-a")
        refused = make_event("note", "inc-r", text="refused the first time")
        applied = make_event("note", "inc-r", text="applied the first time")
        (first_refusal,) = await storage.append([refused], _refuse, "tok-a")
        (first_apply,) = await storage.append([applied], _admit, "tok-a")
        # both incidents' heads are cached: the retries are judged on the cached path
        (again_refused,) = await storage.append([refused], _admit, "tok-a")
        (again_applied,) = await storage.append([applied], _refuse, "tok-a")
        (after,) = await storage.append([make_event("note", "inc-r", text="next")], _admit, "t")
    finally:
        await storage.close()
    assert first_refusal.status == "rejected" and not first_refusal.duplicate
    assert (again_refused.status, again_refused.duplicate) == ("rejected", True)
    assert again_refused.reason == first_refusal.reason
    assert (again_applied.status, again_applied.duplicate) == ("applied", True)
    assert (again_applied.server_seq, again_applied.hash) == (2, first_apply.hash)
    assert after.server_seq == 3  # neither retry took a number


async def test_a_database_of_the_previous_schema_gains_the_write_function_on_first_start(
    postgres_url,
):
    """The previous schema (3) is this one without ``warroom_write``: a database written
    by it is made here by taking the function away again, data and all."""
    storage = PostgresStorage(postgres_url)
    await storage.start()
    await storage.append([declaration("inc-m")], _admit, "tok-a")
    await storage.close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP FUNCTION warroom_write")
        conn.execute("UPDATE warroom_schema SET version = 3")

    storage = PostgresStorage(postgres_url)
    await storage.start()
    try:
        (note,) = await storage.append([make_event("note", "inc-m", text="after")], _admit, "t")
        feed = await storage.feed(0, 10)
    finally:
        await storage.close()
    assert (note.status, note.server_seq) == ("applied", 2)
    assert [item.position for item in feed.items] == [1, 2]
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT version FROM warroom_schema").fetchone()[0] == SCHEMA_VERSION
