"""Several clients on a real server converge to one record: same state, same head."""

import threading

from tests.sync.conftest import server_log, wait_until
from warroom.core.events import ChecklistMarked
from warroom.core.ids import new_event_id
from warroom.core.timeparse import utcnow


def _converged(clients, incident_id: str) -> bool:
    try:
        prints = [c.fingerprint(incident_id) for c in clients]
    except Exception:
        return False
    return all(p == prints[0] for p in prints) and not any(
        c.replica.pending_count() for c in clients
    )


def test_three_clients_writing_concurrently_converge(clients, server):
    alice, bob, carol = clients("alice"), clients("bob"), clients("carol")
    declared = alice.room.declare("Checkout down", severity="SEV2", incident_type="outage")
    incident = declared.incident_id
    alice.room.assign(incident, "scribe", "carol")  # alice holds command: she declared
    alice.room.assign(incident, "deputy", "bob")
    for client in (alice, bob, carol):
        client.start()
    wait_until(lambda: all(incident in c.store.incident_ids() for c in (bob, carol)))

    def write(client, n):
        room = client.writer()
        with room.store:
            for i in range(n):
                room.log(incident, f"{client.name} entry {i}")
                if i % 10 == 0:
                    room.store.append_new(  # a set, not a toggle: concurrent marks converge
                        event_id=new_event_id(),
                        incident_id=incident,
                        actor=client.name,
                        occurred_at=utcnow(),
                        payload=ChecklistMarked(phase="triage", item="confirm-impact"),
                    )
                client.engine.wake()

    writers = [threading.Thread(target=write, args=(c, 40)) for c in (alice, bob, carol)]
    for thread in writers:
        thread.start()
    bob.room.set_severity(incident, "SEV1", "EU customers affected")  # bob is deputy
    for thread in writers:
        thread.join()
    wait_until(lambda: _converged((alice, bob, carol), incident), timeout=30)

    records, verified = server_log(server.url, server.token("auditor", "viewer"), incident)
    ids = [r["event"]["id"] for r in records]
    assert len(ids) == len(set(ids)) == 3 + 3 * 44 + 1
    assert verified.head == alice.replica.head(incident)
    assert [e.id for e in alice.store.events(incident)] == ids  # local order is server order
    state = carol.store.state(incident)
    assert state.severity == "SEV1" and state.commander == "alice"
    for client in (alice, bob, carol):
        assert client.replica.rejected() == []


def test_an_offline_client_records_100_events_and_catches_up(clients, server):
    alice, bob = clients("alice"), clients("bob")
    incident = alice.room.declare(
        "DNS flapping", severity="SEV3", incident_type="outage"
    ).incident_id
    alice.sync_once()
    bob.sync_once()
    alice.start()
    for i in range(100):  # bob is offline: nothing of this leaves his machine yet
        bob.room.log(incident, f"offline note {i}")
        if i % 25 == 0:
            alice.room.log(incident, f"alice online {i}")
    assert bob.replica.pending_count() == 100
    assert len(bob.store.events(incident)) == 101  # shown at once, marked pending
    assert len(bob.replica.pending_ids(incident)) == 100
    wait_until(lambda: alice.replica.pending_count() == 0)
    state_before = bob.store.state(incident)  # caches a snapshot that folded pending events
    bob.start()
    wait_until(lambda: _converged((alice, bob), incident), timeout=30)
    events = bob.store.events(incident)
    assert len(events) == 1 + 100 + 4
    assert bob.store.state(incident).event_count == state_before.event_count + 4
    records, _verified = server_log(server.url, server.token("auditor", "viewer"), incident)
    assert [r["event"]["id"] for r in records] == [e.id for e in events]
    offline = [e.payload.text for e in events if e.actor == "bob"]
    assert offline == [f"offline note {i}" for i in range(100)]  # the author's order is kept
