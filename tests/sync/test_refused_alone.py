"""One entry the server refuses is refused alone: the rest of the outbox goes through."""

import json

from tests.sync.conftest import server_log, wait_until
from warroom.core.ids import new_event_id
from warroom.core.timeparse import utcnow


def _tamper(client, event_id: str, **payload) -> None:
    """Give a stored entry a payload this client's fold tolerates but the server's model
    refuses (what a stricter server, or a body damaged on disk, looks like)."""
    body = json.loads(
        client.store.conn.execute("SELECT body FROM events WHERE id = ?", (event_id,)).fetchone()[0]
    )
    body["payload"].update(payload)
    client.store.conn.execute(
        "UPDATE events SET body = ? WHERE id = ?", (json.dumps(body), event_id)
    )


def test_a_malformed_entry_and_a_non_finite_one_are_refused_alone(clients):
    alice = clients("alice")
    incident = alice.room.declare("Queue lag", severity="SEV3", incident_type="outage").incident_id
    before = [alice.room.log(incident, f"before {i}").id for i in range(5)]
    blank = alice.room.log(incident, "to be blanked").id
    _tamper(alice, blank, text="")  # the server's model needs a text: the whole push is a 422
    nan = alice.store.append_new(
        event_id=new_event_id(),
        incident_id=incident,
        actor="alice",
        occurred_at=utcnow(),
        payload={"kind": "note", "text": "gauge", "gauge": float("nan")},
    ).id
    after = [alice.room.log(incident, f"after {i}").id for i in range(5)]

    report = alice.sync_once()  # raised "SYNC STOPPED"-worthy ServerRefused before

    assert sorted(r.id for r in report.rejected) == sorted([blank, nan])
    reasons = {r.id: r.reason for r in report.rejected}
    assert "the server refused this entry" in reasons[blank]
    assert "NaN and infinite numbers" in reasons[nan]
    assert report.pushed == 11 and alice.replica.pending_count() == 0
    records, verification = server_log(alice.url, alice.token, incident)
    assert [r["event"]["id"] for r in records][1:] == before + after
    assert verification.verified_events == 11
    assert {r.id for r in alice.replica.rejected(incident)} == {blank, nan}


def test_the_sync_loop_keeps_going_past_a_refused_entry(clients):
    alice = clients("alice")
    incident = alice.room.declare("Disk", severity="SEV3", incident_type="outage").incident_id
    _tamper(alice, alice.room.log(incident, "soon blank").id, text="")
    statuses = []
    alice.start(on_status=statuses.append)
    try:
        wait_until(lambda: alice.replica.pending_count() == 0 and statuses[-1].online)
        writer = alice.writer()
        later = writer.log(incident, "written while syncing")
        alice.engine.wake()
        wait_until(lambda: alice.replica.pending_count() == 0)
        records, _ = server_log(alice.url, alice.token, incident)
        assert later.id in [r["event"]["id"] for r in records]
        assert all(s.stopped is None for s in statuses)
        assert alice.thread.is_alive()
        writer.store.close()
    finally:
        alice.stop()
