"""Stopping a running sync returns at once, not at the live stream's next heartbeat:
the screen's process (and ``warroom sync``) ends only when ``SyncEngine.run`` does, and
a stream blocked on its socket notices a stop only when the server next writes — every
15 s on an idle stream, so quitting a synced screen left the terminal without a prompt
for up to 15 s."""

import threading
import time

import pytest

from tests.sync.conftest import Server, wait_until
from warroom.actions import WarRoom
from warroom.core.policy import default_policy
from warroom.server.app import HEARTBEAT_S
from warroom.store.local import LocalStore
from warroom.sync.engine import STOP_GRACE_S, SyncEngine


@pytest.fixture
def idle_server(tmp_path):
    """A server that pings an idle stream as rarely as ``warroom serve`` does."""
    server = Server(tmp_path / "server-data", heartbeat=HEARTBEAT_S).start()
    yield server
    server.stop()
    server.close_storage()


def test_a_stopped_engine_returns_while_its_stream_waits_for_a_heartbeat(idle_server, tmp_path):
    database = tmp_path / "home" / "warroom.db"
    with LocalStore(database) as store:
        incident = WarRoom(store, default_policy(), "alice").declare(
            "Lag", severity="SEV4", incident_type="outage"
        )
    token = idle_server.token("alice")
    statuses = []
    engine = SyncEngine(database, idle_server.url, token, on_status=statuses.append)
    runner = threading.Thread(target=engine.run, daemon=True)
    runner.start()
    wait_until(lambda: statuses and statuses[-1].online and statuses[-1].pending == 0)
    time.sleep(1.0)  # the stream is open and idle: its first heartbeat is ~14 s away

    started = time.monotonic()
    engine.stop()
    runner.join(HEARTBEAT_S + 5)
    took = time.monotonic() - started

    assert not runner.is_alive()
    assert took < STOP_GRACE_S + 1.5, f"run() returned {took:.1f} s after stop()"
    again = SyncEngine(database, idle_server.url, token).sync_once()
    assert (again.pushed, again.pulled, again.rejected) == (0, 0, [])  # nothing half-sent
    with LocalStore(database) as store:
        assert [e.kind for e in store.events(incident.incident_id)] == ["declaration"]
