"""The server keeps each device's counters: one event per ``(device_id, device_seq)``.

Two installs sharing a device identity (a copied home) are caught the moment their
counters clash: the second event is refused with a reason that says what to do, the
client keeps and shows it, the first stays in the record, and retries still answer the
original result. Gaps and out-of-order counters are normal and accepted.
"""

import asyncio
import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.sync.conftest import Client, server_log
from tests.sync.test_faults import _event
from warroom.core.events import Event
from warroom.core.ids import new_event_id
from warroom.server.sqlite import DB_FILE, SCHEMA_VERSION, SQLiteStorage
from warroom.server.storage import StorageError

CLASH = "also used by another install"


def _push(url: str, token: str, *bodies: str) -> list[dict]:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        answer = http.post(
            "/v1/push",
            content='{"events":[' + ",".join(bodies) + "]}",
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


def _body(event: Event) -> str:
    return event.model_dump_json()


def test_a_copied_home_gets_its_clashing_entries_rejected_and_shown(tmp_path: Path, server):
    laptop_token, jump_token = server.token("alice"), server.token("alice")
    laptop = Client(tmp_path / "laptop", "alice", server.url, laptop_token)
    incident = laptop.room.declare("Search down", severity="SEV2", incident_type="outage")
    incident_id = incident.incident_id
    laptop.sync_once()
    laptop.close()
    shutil.copytree(laptop.home, tmp_path / "jump" / "home-alice")  # `cp -r ~/.warroom`
    laptop = Client(tmp_path / "laptop", "alice", server.url, laptop_token)
    jump = Client(tmp_path / "jump", "alice", server.url, jump_token)
    fresh = Client(tmp_path / "fresh", "alice", server.url, jump_token)
    try:
        assert laptop.store.device_id == jump.store.device_id
        kept = laptop.room.log(incident_id, "written on the laptop")
        clash = jump.room.log(incident_id, "written on the jump host")
        assert (kept.device_seq, kept.device_id) == (clash.device_seq, clash.device_id)

        assert laptop.sync_once().rejected == []
        report = jump.sync_once()
        assert [entry.id for entry in report.rejected] == [clash.id]
        reason = report.rejected[0].reason
        assert CLASH in reason and kept.id in reason and "WARROOM_HOME" in reason
        assert "warroom login" in reason
        shown = jump.replica.rejected(incident_id)  # kept, with the reason: never dropped
        assert [(e.id, e.reason) for e in shown] == [(clash.id, reason)]
        assert jump.replica.pending_count() == 0

        records, verified = server_log(server.url, laptop_token, incident_id)
        ids = [r["event"]["id"] for r in records]
        assert kept.id in ids and clash.id not in ids
        assert verified.verified_events == len(records)
        assert kept.id in [e.id for e in jump.store.events(incident_id)]  # the copy follows

        applied = next(r for r in records if r["event"]["id"] == kept.id)
        again = _push(server.url, laptop_token, _body(kept), _body(clash))  # retries
        assert again[0] == {
            "id": kept.id,
            "status": "applied",
            "duplicate": True,
            "incident_id": incident_id,
            "server_seq": applied["server_seq"],
            "hash": applied["hash"],
            "reason": None,
        }
        assert again[1]["status"] == "rejected" and again[1]["duplicate"]
        assert again[1]["reason"] == reason

        server.stop()  # the counters outlive the server process
        server.start()
        imposter = clash.model_copy(update={"id": new_event_id()})
        answer = _push(server.url, jump_token, _body(imposter))[0]
        assert answer["status"] == "rejected" and not answer["duplicate"]
        assert CLASH in answer["reason"] and kept.id in answer["reason"]
        assert _push(server.url, laptop_token, _body(kept))[0]["duplicate"]

        fresh.sync_once()  # what the reason says to do: a home of its own
        assert fresh.store.device_id != laptop.store.device_id
        again_written = fresh.room.log(incident_id, "written on the jump host")
        assert fresh.sync_once().rejected == []
        laptop.sync_once()
        assert again_written.id in [e.id for e in laptop.store.events(incident_id)]
    finally:
        for client in (laptop, jump, fresh):
            client.close()


def test_gaps_and_out_of_order_counters_are_fine_a_reused_one_is_not(server):
    token = server.token("dora")
    inc = "inc-ctr001"
    declared, gap, back, seven, seven_again = (
        _event(inc, "dora", 1, "declaration"),
        _event(inc, "dora", 10),  # a jump: events the server never saw, that is normal
        _event(inc, "dora", 5),  # out of order within a batch: judged one by one
        _event(inc, "dora", 7),
        _event(inc, "dora", 7),  # a different event with the same counter: refused
    )
    results = _push(server.url, token, declared, gap, back, seven, seven_again)
    assert [r["status"] for r in results] == ["applied"] * 4 + ["rejected"]
    reason = results[4]["reason"]
    assert CLASH in reason and results[3]["id"] in reason and "highest seen: #10" in reason
    assert [r["server_seq"] for r in results[:4]] == [1, 2, 3, 4]

    stray = _event("inc-ghost1", "dora", 20)  # rejected (no such incident) …
    assert "does not exist" in _push(server.url, token, stray)[0]["reason"]
    reused = _event(inc, "dora", 20)  # … so it claimed nothing: the counter is free
    assert _push(server.url, token, reused)[0]["status"] == "applied"
    other_device = _event(inc, "eve", 7)  # counters are per device
    assert _push(server.url, server.token("eve"), other_device)[0]["status"] == "applied"


def _admit(state, event: Event, log_of) -> str | None:
    """Refuse entries of an incident that was never declared, admit the rest."""
    return "no such incident" if state is None and event.kind != "declaration" else None


def _storage_append(data: Path, *events: Event) -> list:
    async def run():
        storage = SQLiteStorage(data)
        await storage.start()
        try:
            return await storage.append(list(events), _admit, "tok-test")
        finally:
            await storage.close()

    return asyncio.run(run())


def _event_obj(body: str, **update) -> Event:
    return Event.model_validate_json(body).model_copy(update=update)


def test_an_existing_server_database_is_migrated_and_back_filled(tmp_path: Path):
    data = tmp_path / "server-data"
    inc = "inc-mig001"
    first = _event_obj(_event(inc, "dora", 1, "declaration"))
    noted = _event_obj(_event(inc, "dora", 2))
    twin = noted.model_copy(update={"id": new_event_id()})  # a clash from before the check
    refused = _event_obj(_event("inc-ghost2", "dora", 3))
    outcomes = _storage_append(data, first, noted, refused)
    assert [r.status for r in outcomes] == ["applied", "applied", "rejected"]
    with sqlite3.connect(data / DB_FILE) as conn:  # back to the schema before counters
        conn.execute("DROP TABLE device_counters")
        conn.execute("DROP TABLE devices")
        conn.execute("PRAGMA user_version = 0")
        twin_at = conn.execute("SELECT MAX(gseq) FROM events").fetchone()[0] + 1
        conn.execute(
            "INSERT INTO events SELECT ?, incident_id, seq + 1, ?, hash, token_id, received_at,"
            " replace(record, ?, ?) FROM events WHERE event_id = ?",
            (twin_at, twin.id, noted.id, twin.id, noted.id),
        )
    conn.close()

    fourth = _event_obj(_event(inc, "dora", 4))
    again = (
        noted.model_copy(update={"id": new_event_id()}),
        refused.model_copy(update={"id": new_event_id(), "incident_id": inc}),
        fourth,
    )
    outcomes = _storage_append(data, *again)
    assert [r.status for r in outcomes] == ["rejected", "applied", "applied"]
    assert noted.id in outcomes[0].reason  # the first holder kept the counter, not the twin
    # a rejected event holds no counter (schema 3 hands back what schema 2 kept for them)
    with sqlite3.connect(data / DB_FILE) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        held = dict(conn.execute("SELECT device_seq, event_id FROM device_counters"))
    conn.close()
    assert held == {1: first.id, 2: noted.id, 3: again[1].id, 4: fourth.id}


def test_a_database_from_a_newer_server_is_refused(tmp_path: Path):
    data = tmp_path / "server-data"
    SQLiteStorage(data)
    with sqlite3.connect(data / DB_FILE) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer warroom"):
        SQLiteStorage(data)
