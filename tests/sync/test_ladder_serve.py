"""The ladder in a real ``warroom serve``: each step fires once, a ``kill -9`` and a
restart do not fire it again, and an acknowledgement stops it — over real HTTP."""

from datetime import timedelta

import pytest

from tests.sync.conftest import Client, Server, lenient_room, wait_until
from tests.sync.intake_helpers import incident_log
from warroom.core.ladder_runner import LADDER_ACTOR
from warroom.core.timeparse import utcnow

FAST = ("--ladder-every", "0.2")


def declare_unacknowledged(client, minutes_ago: float) -> str:
    """A SEV1 declared with command vacant, ``minutes_ago``, pushed to the server."""
    room = lenient_room(client.store, client.name)
    at = utcnow() - timedelta(minutes=minutes_ago)
    declared = room.declare("Checkout down", severity="SEV1", incident_type="outage", at=at)
    client.sync_once()
    return declared.incident_id


def pages(server: Server, reader: str, incident: str) -> list[dict]:
    return [
        event
        for event in incident_log(server, reader, incident)
        if event["payload"]["kind"] == "escalation"
    ]


@pytest.fixture
def fast_server(tmp_path):
    server = Server(tmp_path / "ladder-data", options=FAST).start()
    yield server
    server.stop()


def test_a_step_fires_once_and_a_kill_9_restart_does_not_fire_it_again(
    tmp_path, fast_server: Server
):
    server = fast_server
    reader = server.token("reader", "viewer")
    client = Client(tmp_path, "ana", server.url, server.token("ana"))
    try:
        first = declare_unacknowledged(client, minutes_ago=6)
        wait_until(lambda: pages(server, reader, first), timeout=20)
        (page,) = pages(server, reader, first)
        assert page["actor"] == LADDER_ACTOR
        payload = page["payload"]
        assert (payload["action"], payload["target"], payload["step"]) == (
            "page",
            "next-tier",
            "sev1-unacknowledged",
        )
        server.kill()  # kill -9: nothing but what was committed survives
        server.start()  # the same data, a fresh process and ladder
        second = declare_unacknowledged(client, minutes_ago=6)
        wait_until(lambda: pages(server, reader, second), timeout=20)  # the ladder runs again
        assert len(pages(server, reader, first)) == 1  # ... and did not page for the first again
        client.sync_once()
        steps = [e.payload.step for e in client.store.events(first) if e.kind == "escalation"]
        assert steps == ["sev1-unacknowledged"]
    finally:
        client.close()


def test_an_acknowledgement_stops_the_unacknowledged_step(tmp_path, fast_server: Server):
    server = fast_server
    reader = server.token("reader", "viewer")
    client = Client(tmp_path, "ana", server.url, server.token("ana"))
    try:
        room = lenient_room(client.store, client.name)
        at = utcnow() - timedelta(minutes=6)
        acked = room.declare("Acked", severity="SEV1", incident_type="outage", at=at).incident_id
        room.acknowledge(acked, at=at + timedelta(minutes=1))
        client.sync_once()
        control = declare_unacknowledged(client, minutes_ago=6)
        wait_until(lambda: pages(server, reader, control), timeout=20)  # the ladder ticked
        assert pages(server, reader, acked) == []
    finally:
        client.close()
