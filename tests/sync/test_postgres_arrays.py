"""The PostgreSQL writer sends its statements' arrays in binary.

In text, psycopg quotes and escapes every array element with a regular expression in
Python: for a group of five events, converting the insert's parameters took about seven
times the CPU of the binary form (the records' JSON is full of quotes). Whatever the
form, a record must come back byte for byte.
"""

import json
import re

import psycopg

from tests.factories import declaration, make_event
from warroom.server.postgres import PostgresStorage, group_sql
from warroom.server.postgres.arrays import Bigints, Texts, register

_TEXT_ARRAY = re.compile(r"%(\(\w+\))?s::\w+\[\]|ANY\(%(\(\w+\))?s\)")


def test_every_array_of_the_group_commit_goes_in_binary():
    statements = {n: v for n, v in vars(group_sql).items() if n.isupper() and isinstance(v, str)}
    assert statements
    for name, sql in statements.items():
        assert not _TEXT_ARRAY.search(sql), f"{name} sends an array as text"


async def test_awkward_text_comes_back_from_the_feed_as_it_was_written(postgres_url):
    storage = PostgresStorage(postgres_url)
    await storage.start()
    awkward = 'quotes " and \\ backslashes {braces}, commas, NULL, ñ, \u2028, \U0001f525'
    try:
        events = [declaration("inc-a"), make_event("note", "inc-a", text=awkward)]
        results = await storage.append(events, lambda state, event, log_of: None, "tok")
        assert [r.status for r in results] == ["applied", "applied"]
        page = await storage.feed(0, 10)
        record = json.loads(page.items[-1].record)
        assert record["event"]["payload"]["text"] == awkward
        assert record["server_seq"] == 2
    finally:
        await storage.close()


def test_the_writer_s_own_arrays_arrive_as_sent(postgres_url):
    texts = ["", 'quotes " and \\ {braces}, NULL', "ñ \U0001f525", "x" * 70_000]
    numbers = [0, -1, 2**63 - 1, -(2**63)]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        register(conn)
        for sent in ((texts, numbers), ([], [])):
            row = conn.execute(
                "SELECT %b::text[], %b::bigint[], pg_typeof(%b), pg_typeof(%b)::text",
                (Texts(sent[0]), Bigints(sent[1]), Texts(sent[0]), Bigints(sent[1])),
            ).fetchone()
            assert row == (sent[0], sent[1], "text[]", "bigint[]")
