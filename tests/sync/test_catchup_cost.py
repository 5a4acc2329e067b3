"""What catching up costs per event, without changing what it accepts (issue 11).

A fresh client verifies and stores every event of the server's history. Each event is
decoded once, encoded canonically once (by an encoder built once, which must give
``json.dumps``'s bytes exactly) and hashed once; a page commits without waiting for the
disk, since it is fetched again from the cursor that commits with it, while the home's
own appends keep waiting for it.
"""

import json
import math
import random
import sqlite3
from pathlib import Path

import pytest

from tests.sync.test_faults import _event
from warroom.core.chain import ChainError, Head, canonical_bytes, link
from warroom.store.local import LocalStore
from warroom.store.replica import Replica

INC = "inc-cost01"
FULL = 2  # PRAGMA synchronous values
NORMAL = 1


def _reference(value) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 4 else 6)
    text = "".join(
        chr(rng.choice([rng.randrange(0x20, 0x80), rng.randrange(0, 0x20), 0x2028, 0x1F600]))
        for _ in range(rng.randrange(6))
    )
    return [
        lambda: None,
        lambda: rng.random() < 0.5,
        lambda: rng.randrange(-(2**63), 2**63),
        lambda: rng.random() * 10 ** rng.randrange(-300, 300),
        lambda: text + 'é"\\',
        lambda: -0.0,
        lambda: {},
        lambda: [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))],
        lambda: {text + str(i): _random_value(rng, depth + 1) for i in range(rng.randrange(4))},
    ][kind]()


def test_canonical_bytes_are_json_dumps_byte_for_byte():
    rng = random.Random(11)
    for _ in range(3000):
        value = {"b": _random_value(rng), "a": _random_value(rng), "\U0001f600": [1, 2.5]}
        assert canonical_bytes(value) == _reference(value)
    event = json.loads(_event(INC, "dora", 1, "declaration"))
    assert canonical_bytes(event) == _reference(event)


@pytest.mark.parametrize("bad", [{"x": math.nan}, {"x": [math.inf]}, {"x": object()}])
def test_what_json_dumps_refuses_canonical_bytes_refuse(bad):
    with pytest.raises((ValueError, TypeError)) as expected:
        _reference(bad)
    with pytest.raises(expected.type):
        canonical_bytes(bad)
    assert canonical_bytes({"after": "an error"}) == b'{"after":"an error"}'  # nothing kept


def _page(count: int, *, tamper_at: int | None = None) -> list[dict]:
    """``count`` records of one incident as a server's feed sends them."""
    head, items = Head.start(INC), []
    for n in range(1, count + 1):
        event = json.loads(_event(INC, "dora", n, "declaration" if n == 1 else "note"))
        digest = link(head.hash, n, canonical_bytes(event))
        head = Head(seq=n, hash=digest)
        if n == tamper_at:
            event["payload"]["text"] = "rewritten"
        items.append(
            {
                "cursor": str(n),
                "incident_id": INC,
                "server_seq": n,
                "hash": digest,
                "event": event,
                "checkpoint": None,
            }
        )
    return items


def _synchronous(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA synchronous").fetchone()[0]


def test_a_page_commits_without_waiting_for_the_disk_and_own_appends_still_wait(
    tmp_path: Path,
):
    store = LocalStore(tmp_path / "home" / "warroom.db")
    seen: list[tuple[str, int]] = []

    def trace(statement: str) -> None:
        if statement in ("COMMIT", "BEGIN IMMEDIATE"):
            seen.append((statement, _synchronous(probe)))

    probe = store.conn
    store.conn.set_trace_callback(trace)
    try:
        assert Replica(store).ingest(_page(50), "50") == 50
    finally:
        store.conn.set_trace_callback(None)
    assert seen == [("BEGIN IMMEDIATE", NORMAL), ("COMMIT", NORMAL)]
    assert _synchronous(store.conn) == FULL  # the home's own writes wait for the disk again
    assert len(store.events(INC)) == 50
    store.close()


def test_a_refused_page_writes_nothing_and_leaves_commits_durable(tmp_path: Path):
    store = LocalStore(tmp_path / "home" / "warroom.db")
    replica = Replica(store)
    with pytest.raises(ChainError, match="#7 does not match its hash"):
        replica.ingest(_page(20, tamper_at=7), "20")
    assert replica.head(INC).seq == 0 and replica.cursor() is None
    assert _synchronous(store.conn) == FULL
    assert replica.ingest(_page(20), "20") == 20
    assert replica.head(INC).seq == 20
    store.close()
