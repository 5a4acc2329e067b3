"""The client side: rejected events, refused histories, order and snapshots, the CLI."""

import json
import sqlite3
import subprocess
import time

import httpx
import pytest

from tests.conftest import WARROOM
from tests.sync.conftest import LENIENT_POLICY, Server, lenient_room, sqlite_only, wait_until
from warroom.core.chain import ChainError, Head, canonical_bytes, link
from warroom.core.errors import InvalidInput
from warroom.core.fold import fold
from warroom.server.token_cache import AUTH_CACHE_S
from warroom.sync.client import ServerClient
from warroom.sync.engine import SyncReport


def test_rejected_events_are_kept_marked_and_shown(clients):
    alice, bob = clients("alice"), clients("bob")
    incident = alice.room.declare("Disk full", severity="SEV3", incident_type="outage").incident_id
    alice.room.assign(incident, "scribe", "bob")  # alice holds command: she declared
    alice.sync_once()
    bob.sync_once()
    note = bob.room.log(incident, "bob looks at disks")
    lenient = lenient_room(bob.store, "bob")  # bob's home lets its scribe change severity
    change = lenient.set_severity(incident, "SEV1", "panic")  # the server does not
    assert bob.store.state(incident).severity == "SEV1"  # shown at once, pending
    assert bob.replica.pending_ids(incident) == {note.id, change.id}
    report = bob.sync_once()
    assert [r.id for r in report.rejected] == [change.id]
    assert "commander or deputy" in report.rejected[0].reason
    kept = bob.replica.rejected(incident)
    assert [(r.id, r.kind, r.actor) for r in kept] == [(change.id, "severity_changed", "bob")]
    assert bob.store.state(incident).severity == "SEV3"  # out of the fold, like everywhere
    assert change.id not in [e.id for e in bob.store.events(incident)]
    assert bob.replica.pending_ids(incident) == set()
    assert bob.sync_once().rejected == []  # reported once, kept for good
    assert len(bob.replica.rejected()) == 1


def test_a_viewer_token_gets_its_entries_rejected_not_dropped(clients):
    """Written before the home knew its token's role, the entry is refused by the server
    and kept; once it knows (any sync checks the token), the home refuses the next."""
    alice, vic = clients("alice"), clients("vic", "viewer")
    incident = alice.room.declare("Lag", severity="SEV4", incident_type="outage").incident_id
    alice.sync_once()
    vic.room.declare("Mine", severity="SEV4", incident_type="outage")
    report = vic.sync_once()
    assert len(report.rejected) == 1 and "read-only" in report.rejected[0].reason
    with pytest.raises(InvalidInput, match="with a viewer token, which may not write"):
        vic.room.log(incident, "can I write?")
    assert vic.replica.pending() == []


def _rewrite_server_history(server: Server, incident_id: str, seq: int, text: str) -> None:
    """What a compromised server could do: edit an event and recompute every later hash."""
    sqlite_only(server, "edits the server's SQLite file as a compromised server would")
    server.stop()
    db = sqlite3.connect(server.data / "server.db")
    rows = db.execute(
        "SELECT gseq, seq, record FROM events WHERE incident_id = ? ORDER BY seq", (incident_id,)
    ).fetchall()
    head = Head.start(incident_id).hash
    for gseq, n, raw in rows:
        record = json.loads(raw)
        if n == seq:
            record["event"]["payload"]["text"] = text
        head = link(head, n, canonical_bytes(record["event"]))
        record["hash"], record["checkpoint"] = head, None
        db.execute(
            "UPDATE events SET record = ?, hash = ? WHERE gseq = ?",
            (json.dumps(record), head, gseq),
        )
    db.commit()
    db.close()
    server.start()


def test_a_history_that_does_not_extend_the_verified_head_is_refused(clients, server):
    alice, bob = clients("alice"), clients("bob")
    incident = alice.room.declare("Auth down", severity="SEV2", incident_type="outage").incident_id
    alice.room.log(incident, "the truth")
    alice.sync_once()
    bob.sync_once()
    before = (bob.replica.head(incident), bob.replica.cursor(), len(bob.store.events(incident)))
    _rewrite_server_history(server, incident, 2, "a convenient story")
    carl = clients("carl")  # a newcomer cannot tell: the rewritten history is consistent
    carl.sync_once()
    carl.room.log(incident, "new entry chained on the rewritten history")
    carl.sync_once()
    with pytest.raises(ChainError):
        alice.sync_once()  # everyone who verified the old head refuses
    with pytest.raises(ChainError, match="does not match its hash"):
        bob.sync_once()
    after = (bob.replica.head(incident), bob.replica.cursor(), len(bob.store.events(incident)))
    assert after == before  # nothing of the refused page was written
    # the same, as a person sees it
    config = f'server = "{server.url}"\ntoken = "{bob.token}"\nuser = "bob"\n'
    (bob.home / "config.toml").write_text(config)
    env = {"WARROOM_HOME": str(bob.home), "WARROOM_USER": "bob", "PATH": "/usr/bin:/bin"}
    run = subprocess.run([WARROOM, "sync", "--once"], capture_output=True, text=True, env=env)
    assert run.returncode == 3 and "SYNC STOPPED" in run.stderr and "altered" in run.stderr
    run = subprocess.run([WARROOM, "verify", incident], capture_output=True, text=True, env=env)
    assert run.returncode == 3 and "VERIFICATION FAILED" in run.stderr


def test_a_forged_record_in_a_page_is_refused_before_anything_is_written(clients):
    alice = clients("alice")
    incident = alice.room.declare("Cache", severity="SEV4", incident_type="outage").incident_id
    alice.room.log(incident, "one")
    alice.sync_once()
    page = httpx.get(
        f"{alice.url}/v1/events", headers={"Authorization": f"Bearer {alice.token}"}
    ).json()
    forged = page["items"]
    forged[1]["event"]["payload"]["text"] = "two"
    with pytest.raises(ChainError, match="different event #2"):
        alice.replica.ingest(forged, "99")
    assert alice.replica.cursor() == page["cursor"]


def test_remote_events_land_before_pending_ones_and_stale_snapshots_go(clients):
    alice, bob = clients("alice"), clients("bob")
    incident = alice.room.declare("Queue lag", severity="SEV3", incident_type="outage").incident_id
    alice.room.assign(incident, "scribe", "alice")  # she holds command: she declared
    alice.sync_once()
    bob.sync_once()
    for i in range(1100):  # offline, enough for the store to cache a folded snapshot
        bob.room.log(incident, f"bob {i}")
    assert bob.store.state(incident).event_count == 1102
    assert bob.store.snapshot(incident)[0] is not None
    alice.room.set_severity(incident, "SEV2", "spreading")
    alice.sync_once()
    engine = bob.new_engine()
    client = ServerClient(bob.url, bob.token)
    engine.pull_all(client, bob.replica, SyncReport())  # pull only: bob's events stay pending
    client.close()
    # The snapshot had folded events that moved: it was dropped, and the catch-up's end
    # saved a fresh one, through the newest row (the stale one ended before bob's moved
    # events, which now sit behind alice's).
    snapshot, through = bob.store.snapshot(incident)
    newest = bob.store.conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    assert through == newest and snapshot.severity == "SEV2"
    events = bob.store.events(incident)
    assert snapshot.model_dump() == fold(events).model_dump()
    kinds = [e.kind for e in events]
    assert kinds[:3] == ["declaration", "role_assigned", "severity_changed"]
    assert len(bob.replica.pending_ids(incident)) == 1100
    state = bob.store.state(incident)
    assert state.severity == "SEV2" and state.model_dump() == fold(events).model_dump()


def test_the_command_line_round_trip(server, tmp_path, cli):
    data = server.storage_args
    admin = cli("token", "create", "root", "--role", "admin", *data).out.strip()
    alice = cli("token", "create", "alice", "--role", "responder", *data).out.strip()
    listed = cli("token", "list", *data, "--json").json()
    assert {t["name"] for t in listed} == {"root", "alice"} and "token" not in listed[0]
    assert cli("token", "create", "x", "--role", "god", *data, check=False).code != 0
    home_a, home_b = tmp_path / "a", tmp_path / "b"
    out = cli("login", server.url, "--token", alice, home=home_a).out
    assert "as alice (responder)" in out
    assert oct((home_a / "config.toml").stat().st_mode & 0o777) == "0o600"
    cli("login", server.url, "--token", admin, home=home_b)
    incident = cli(
        "declare", "Payments failing", "--severity", "SEV2", home=home_a, user="alice"
    ).out.strip()
    cli("assign", incident, "scribe", "carl", home=home_a, user="alice")  # alice commands
    for i in range(8):
        cli("log", incident, f"step {i}", home=home_a, user="alice")
    assert "pushed 10" in cli("sync", "--once", home=home_a, user="alice").out
    assert "pulled 10" in cli("sync", "--once", home=home_b, user="root").out
    verified = cli("verify", incident, "--json", home=home_b).json()
    assert verified[0]["verified_events"] == 10 and verified[0]["checkpoints_verified"] == 1
    assert verified[1]["head"] == verified[0]["head"]  # the server's copy agrees
    bundle = tmp_path / "inc.json"
    cli("export", incident, "--format", "json", "-o", str(bundle), home=home_b)
    assert "10 events verified" in cli("verify", "--bundle", str(bundle)).out
    data_ = json.loads(bundle.read_text())
    data_["events"][3]["payload"]["text"] = "edited afterwards"
    bundle.write_text(json.dumps(data_))
    bad = cli("verify", "--bundle", str(bundle), check=False)
    assert bad.code == 3 and "altered" in bad.err
    home_c = tmp_path / "c"  # a responder who is neither commander nor deputy
    carl = cli("token", "create", "carl", "--role", "responder", *data).out.strip()
    cli("login", server.url, "--token", carl, home=home_c)
    (home_c / "policy.toml").write_text(LENIENT_POLICY)  # carl's home lets its scribe
    cli("sync", "--once", home=home_c, user="carl")
    cli("severity", incident, "SEV1", home=home_c, user="carl")
    refusal = cli("sync", "--once", home=home_c, user="carl")
    assert "rejected 1" in refusal.out and "commander or deputy" in refusal.err
    refused = cli("rejected", "--json", home=home_c).json()
    assert [r["kind"] for r in refused] == ["severity_changed"]
    assert "refused: changing severity" in cli("rejected", incident, home=home_c).out
    token_id = next(t["id"] for t in listed if t["name"] == "alice")
    cli("token", "revoke", token_id, *data)
    time.sleep(AUTH_CACHE_S)  # another process revoked it: the server notices within this
    refused = cli("sync", "--once", home=home_a, user="alice", check=False)
    assert refused.code != 0 and "refused the token" in refused.err
    other = Server(tmp_path / "other-data").start()
    try:
        mixed = cli("login", other.url, "--token", other.token("alice"), home=home_a, check=False)
        assert mixed.code != 0 and "follows" in mixed.err
    finally:
        other.stop()


def test_without_a_server_sync_commands_explain_themselves(cli, server):
    assert "warroom login" in cli("sync", "--once", check=False).err
    taken = cli("serve", "--port", str(server.port), check=False)
    assert taken.code != 0 and "cannot listen" in taken.err
    assert "name an incident" in cli("verify", check=False).err
    assert "not JSON" in cli("verify", "--bundle", __file__, check=False).err


def test_the_long_poll_fallback_follows_the_same_feed(clients):
    alice, bob = clients("alice"), clients("bob")
    incident = alice.room.declare(
        "Proxy buffers", severity="SEV3", incident_type="outage"
    ).incident_id
    alice.sync_once()
    bob.start(transport="poll")
    try:
        for i in range(5):
            alice.room.log(incident, f"over long-poll {i}")
        alice.sync_once()
        wait_until(
            lambda: incident in bob.store.incident_ids() and len(bob.store.events(incident)) == 6
        )
        assert bob.fingerprint(incident) == alice.fingerprint(incident)
    finally:
        bob.stop()
