"""A device belongs to the person who first used it, and refused entries claim nothing.

Any token can read every device id and counter in the feed; none of that may let it
block another person's device (by claiming its next counters, with its own name or
someone else's) or make its own refused entries burn counters.
"""

import json
import sqlite3
from pathlib import Path

import httpx

from tests.sync.conftest import Server
from tests.sync.test_device_counters import _push
from tests.sync.test_faults import _event
from warroom.server.sqlite import DB_FILE, SCHEMA_VERSION
from warroom.server.sqlite.schema import MIGRATIONS

TAKEN = "belongs to vic's install"
INC = "inc-own001"


def _entry(actor: str, device: str, seq: int, incident_id: str = INC, **payload) -> str:
    data = json.loads(_event(incident_id, actor, seq))
    data["device_id"] = device
    if payload:
        data["payload"] = payload
    return json.dumps(data)


def _declaration(actor: str, device: str) -> str:
    return _entry(
        actor,
        device,
        1,
        kind="declaration",
        title="Queue stuck",
        incident_type="outage",
        severity="SEV2",
    )


def _statuses(results: list[dict]) -> list[str]:
    return [r["status"] for r in results]


def test_nobody_can_squat_another_persons_device_or_its_counters(server: Server):
    vic, mal = server.token("vic"), server.token("mal")
    assert _statuses(_push(server.url, vic, _declaration("vic", "dev-vic"))) == ["applied"]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {mal}"}) as http:
        seen = http.get("/v1/events").json()["items"][-1]["event"]  # what a squatter reads
    device, highest = seen["device_id"], seen["device_seq"]

    as_himself = _entry("mal", device, highest + 1)  # passes the access rule
    as_victim = _entry("vic", device, highest + 2)  # refused by it
    answers = _push(server.url, mal, as_himself, as_victim)
    assert _statuses(answers) == ["rejected", "rejected"]
    assert TAKEN in answers[0]["reason"] and "warroom login" in answers[0]["reason"]
    assert "must be written as 'mal'" in answers[1]["reason"]

    severity = _entry("vic", device, highest + 1, kind="severity_changed", severity="SEV1")
    later = _entry("vic", device, highest + 2)
    assert _statuses(_push(server.url, vic, severity, later)) == ["applied", "applied"]

    ghost = _entry("vic", device, 10, incident_id="inc-ghost9")  # refused: no such incident
    assert _statuses(_push(server.url, vic, ghost)) == ["rejected"]
    assert _statuses(_push(server.url, vic, _entry("vic", device, 10))) == ["applied"]

    assert _statuses(_push(server.url, mal, _entry("mal", "dev-mal", 1))) == ["applied"]
    admin = server.token("ada", "admin")  # an admin may write as vic, on vic's device …
    assert _statuses(_push(server.url, admin, _entry("vic", device, 11))) == ["applied"]
    assert TAKEN in _push(server.url, admin, _entry("ada", device, 12))[0]["reason"]  # … only


def _downgrade_to_schema_2(path: Path) -> None:
    """What the previous server left: no owners, and every counter it saw held — those of
    refused entries included (its own back-fill, which matches what it did live)."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE devices")
        conn.execute("DELETE FROM device_counters")
        for statement in MIGRATIONS[1][1:]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
    conn.close()


def test_a_previous_servers_squatted_counters_are_handed_back(tmp_path: Path):
    server = Server(tmp_path / "server-data").start()
    try:
        vic, mal = server.token("vic"), server.token("mal")
        _push(server.url, vic, _declaration("vic", "dev-vic"), _entry("vic", "dev-vic", 2))
        _push(server.url, mal, _declaration("mal", "dev-mal"))
        squat = [_entry("vic", "dev-vic", n) for n in (3, 4)]
        assert _statuses(_push(server.url, mal, *squat)) == ["rejected", "rejected"]
    finally:
        server.stop()
    _downgrade_to_schema_2(tmp_path / "server-data" / DB_FILE)
    with sqlite3.connect(tmp_path / "server-data" / DB_FILE) as conn:
        held = dict(conn.execute("SELECT device_seq, event_id FROM device_counters"))
    conn.close()
    assert {held[3], held[4]} == {json.loads(body)["id"] for body in squat}  # blocked

    server.start()  # the newer server migrates the folder on its first start
    try:
        mine = [_entry("vic", "dev-vic", n) for n in (3, 4)]
        assert _statuses(_push(server.url, vic, *mine)) == ["applied", "applied"]
        assert TAKEN in _push(server.url, mal, _entry("mal", "dev-vic", 5))[0]["reason"]
        assert _statuses(_push(server.url, mal, _entry("mal", "dev-mal", 2))) == ["applied"]
    finally:
        server.stop()
    with sqlite3.connect(tmp_path / "server-data" / DB_FILE) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        owners = dict(conn.execute("SELECT device_id, owner FROM devices"))
    conn.close()
    assert owners == {"dev-vic": "vic", "dev-mal": "mal"}
