"""Delivery from a real ``warroom serve``: receipts on the server's record, and exactly
once across a ``kill -9`` between sending and recording the receipt."""

import subprocess
import sys
import time
from pathlib import Path

from tests.notify.conftest import book_of, hook_url
from tests.sync.conftest import Client, Server, server_log, wait_until
from warroom.core import events as ev
from warroom.core.ids import new_event_id


def _serve(tmp_path: Path, hook, *options: str) -> Server:
    book_of(tmp_path / "server-home", {"hook": hook_url(hook)}, '"internal", "external"')
    return Server(
        tmp_path / "server-data",
        options=("--deliver-every", "0.1", "--delivery-backoff", "0.05", *options),
    )


def _receipts(server: Server, token: str, incident_id: str) -> list[dict]:
    records, _ = server_log(server.url, token, incident_id)
    return [r["event"] for r in records if r["event"]["payload"]["kind"] == "notice_delivered"]


def test_serve_delivers_a_pushed_notice_once_and_the_receipt_reaches_clients(tmp_path, hook):
    server = _serve(tmp_path, hook).start()
    client = Client(tmp_path, "eli", server.url, server.token("eli"))
    try:
        incident = client.room.declare("API down", severity="SEV2", incident_type="outage")
        client.room.draft_notice(incident.incident_id, "internal", "Investigating")
        client.sync_once()
        wait_until(lambda: _receipts(server, client.token, incident.incident_id))
        time.sleep(0.5)  # a few more rounds: nothing more goes out
        (arrival,) = hook.arrivals
        assert arrival.json()["text"] == "Investigating"
        (receipt,) = _receipts(server, client.token, incident.incident_id)
        assert receipt["actor"] == "warroom" and receipt["payload"]["answer"] == "HTTP 200 OK"
        assert receipt["payload"]["delivery_id"] == arrival.headers["Idempotency-Key"]
        client.sync_once()
        (record,) = client.store.state(incident.incident_id).deliveries.values()
        assert record.delivered
    finally:
        client.close()
        server.stop()


def test_kill_9_between_send_and_receipt_resends_under_the_same_id_once(tmp_path, hook):
    hook.hold_first = True  # the first send arrives, then its answer waits: kill the server
    server = _serve(tmp_path, hook, "--delivery-lease", "1").start()
    client = Client(tmp_path, "eli", server.url, server.token("eli"))
    try:
        incident = client.room.declare("API down", severity="SEV2", incident_type="outage")
        client.room.draft_notice(incident.incident_id, "internal", "Failing over")
        client.sync_once()
        wait_until(lambda: len(hook.arrivals) == 1)
        server.kill()
        hook.release.set()
        assert _receipts_offline(server, incident.incident_id) == 0
        server.start()
        wait_until(lambda: _receipts(server, client.token, incident.incident_id))
        time.sleep(0.5)
        assert len(hook.arrivals) == 2
        assert len(set(hook.delivery_ids())) == 1  # the receiver sees one delivery: dedupes
        assert [a.json()["text"] for a in hook.arrivals] == ["Failing over"] * 2
        assert len(_receipts(server, client.token, incident.incident_id)) == 1
    finally:
        client.close()
        server.stop()


def _receipts_offline(server: Server, incident_id: str) -> int:
    import sqlite3

    conn = sqlite3.connect(server.data / "server.db")
    try:
        return conn.execute(
            "SELECT COUNT(*) FROM events WHERE incident_id = ?"
            " AND json_extract(record, '$.event.payload.kind') = 'notice_delivered'",
            (incident_id,),
        ).fetchone()[0]
    finally:
        conn.close()


CLAIMER = """
import sys
from pathlib import Path
from warroom.notify.claims import SQLiteClaims
claims = SQLiteClaims(Path(sys.argv[1]))
won = set()
for start in range(0, 200, 20):  # rounds of 20, as a dispatcher claims a round's deliveries
    won |= claims.claim([f"d{i}" for i in range(start, start + 20)], sys.argv[2], 60)
print(" ".join(w[1:] for w in won))
"""


def test_processes_racing_on_one_database_each_win_a_delivery_once(tmp_path):
    database = tmp_path / "server.db"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(database), f"holder-{n}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    wins = [int(w) for racer in racers for w in racer.communicate(timeout=60)[0].split()]
    assert sorted(wins) == list(range(200))  # every delivery claimed, none twice


def test_a_lapsed_lease_passes_the_claim_on_and_the_holder_may_renew(tmp_path):
    from warroom.notify.claims import SQLiteClaims

    claims = SQLiteClaims(tmp_path / "claims.db")
    assert claims.claim(["d", "e"], "a", 0.3) == {"d", "e"}
    assert claims.claim(["d", "f"], "b", 0.3) == {"f"}
    assert claims.claim(["d"], "a", 0.3) == {"d"}  # the holder renews
    time.sleep(0.4)
    assert claims.claim(["d"], "b", 0.3) == {"d"}
    claims.release(["d"], "b")
    assert claims.claim(["d"], "a", 0.3) == {"d"}


def test_a_client_cannot_push_a_receipt_of_its_own(tmp_path, server, clients):
    client = clients("eli")
    incident = client.room.declare("API down", severity="SEV2", incident_type="outage")
    draft = client.room.draft_notice(incident.incident_id, "internal", "Hi").payload.draft_id
    forged = ev.NoticeDelivered(
        delivery_id="f" * 32, subject_id=draft, channel="mmost://x/", audience="internal"
    )
    client.room.record_delivery(
        incident.incident_id, forged, event_id=new_event_id(), at=incident.occurred_at
    )
    client.sync_once()
    (refused,) = client.replica.rejected()
    assert (
        refused.reason == "delivery receipts are written by the server as it delivers, not pushed"
    )
