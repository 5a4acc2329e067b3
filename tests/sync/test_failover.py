"""Clients given several server URLs fail over between replicas of one record.

The SQLite backend runs one server per data folder, so its replicas take turns: A is
killed with SIGKILL under load and B starts on A's data at another port, then B is
killed and A comes back, then A is killed for good and B comes back. Clients configured
with both URLs must move on each time without losing, doubling or reordering anything,
and ``warroom verify`` must pass.
"""

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import WARROOM
from tests.sync.conftest import Client, Server, free_port, server_log, wait_until
from warroom.config import server_urls
from warroom.core.errors import InvalidInput
from warroom.sync.client import Offline
from warroom.sync.failover import FailoverClient

WRITERS = ("alice", "bob", "carol", "dan", "erin")
ENTRIES = 30


def _warroom(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, WARROOM_HOME=str(home))
    env.pop("WARROOM_USER")  # the person is the one `warroom login` saved
    return subprocess.run(
        [WARROOM, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def replicas(tmp_path: Path):
    data = tmp_path / "server-data"
    first, second = Server(data), Server(data)
    yield first, second
    for server in (first, second):
        server.stop()


def _write_through_faults(
    tmp_path: Path, first: Server, second: Server, faults: Callable[[], None]
) -> tuple[list, object, list[Client]]:
    """Five writers and a watcher on both URLs (A first) write while ``faults`` kills and
    starts replicas; once converged: the last replica's log, verified, and the clients.
    Checks that nothing was lost, doubled or reordered, on the server and every client."""
    both = f"{first.url},{second.url}"
    writers = [Client(tmp_path, name, both, first.token(name)) for name in WRITERS]
    watcher = Client(tmp_path, "vic", both, first.token("vic", "viewer"))
    everyone = [*writers, watcher]
    try:
        incident_id = (
            writers[0].room.declare("Region down", severity="SEV2", incident_type="outage")
        ).incident_id
        for client in everyone:
            client.start()
        wait_until(lambda: all(incident_id in c.store.incident_ids() for c in everyone), 60)
        written = {name: threading.Event() for name in WRITERS}

        def write(client: Client) -> None:
            room = client.writer()
            with room.store:
                for i in range(ENTRIES):
                    room.log(incident_id, f"{client.name} {i}")
                    client.engine.wake()
                    if i == ENTRIES // 3:
                        written[client.name].set()
                    time.sleep(0.1)

        threads = [threading.Thread(target=write, args=(c,)) for c in writers]
        for thread in threads:
            thread.start()
        for event in written.values():
            event.wait(30)
        faults()  # under load: pushes in flight, streams open
        for thread in threads:
            thread.join()

        def converged() -> bool:
            if any(c.replica.pending_count() for c in writers):
                return False
            prints = [c.fingerprint(incident_id) for c in everyone]
            return all(p == prints[0] for p in prints)

        wait_until(converged, timeout=120, interval=0.2)
    finally:
        for client in everyone:
            client.stop()

    records, verified = server_log(second.url, second.token("auditor", "viewer"), incident_id)
    ids = [r["event"]["id"] for r in records]
    assert len(ids) == len(set(ids)) == 1 + len(WRITERS) * ENTRIES  # none lost, none doubled
    for client in everyone:
        assert [e.id for e in client.store.events(incident_id)] == ids  # one order everywhere
        assert client.replica.head(incident_id) == verified.head
    for name in WRITERS:
        texts = [
            r["event"]["payload"]["text"]
            for r in records
            if r["event"]["actor"] == name and r["event"]["payload"]["kind"] == "note"
        ]
        assert texts == [f"{name} {i}" for i in range(ENTRIES)]  # each author's order
    return records, verified, everyone


def _verify_on(client: Client, urls: str, incident_id: str, head) -> None:
    """``warroom verify`` on the client's home, configured with ``urls``, passes."""
    (client.home / "config.toml").write_text(
        f'server = "{urls}"\ntoken = "{client.token}"\nuser = "{client.name}"\n'
    )
    client.close()
    result = _warroom(client.home, "verify", incident_id, "--json")
    assert result.returncode == 0, result.stderr
    local, remote = json.loads(result.stdout)
    assert local["head"] == remote["head"] == head.model_dump()


def test_clients_fail_over_under_load_losing_doubling_and_reordering_nothing(
    tmp_path: Path, replicas
):
    first, second = replicas
    first.start()

    def take_turns() -> None:  # one SQLite server at a time on the data folder
        for down, up in ((first, second), (second, first), (first, second)):
            down.kill()
            up.start()
            time.sleep(1.0)

    records, verified, everyone = _write_through_faults(tmp_path, first, second, take_turns)
    # A is down for good: the clients converged through B; verify tries A first
    incident_id = records[0]["event"]["incident_id"]
    _verify_on(everyone[1], f"{first.url},{second.url}", incident_id, verified.head)
    for client in everyone:
        client.close()


def test_two_postgresql_replicas_killed_in_turn_under_load(tmp_path: Path, postgres_url: str):
    first, second = (Server(tmp_path / n, database=postgres_url) for n in ("a", "b"))
    try:
        first.start(), second.start()

        def kill_each_once() -> None:  # A first: every client starts on it, streams too
            first.kill()
            time.sleep(1.5)
            first.start()
            time.sleep(0.5)
            second.kill()
            time.sleep(1.5)
            second.start()

        records, verified, everyone = _write_through_faults(tmp_path, first, second, kill_each_once)
        incident_id = records[0]["event"]["incident_id"]
        first_records, _ = server_log(first.url, first.token("auditor2", "viewer"), incident_id)
        assert first_records == records  # both replicas serve the one record
        first.kill()
        _verify_on(everyone[2], f"{first.url},{second.url}", incident_id, verified.head)
        for client in everyone:
            client.close()
    finally:
        first.stop(), second.stop()
        first.close_storage(), second.close_storage()


def test_login_with_several_urls_keeps_them_and_notes_a_silent_one(tmp_path: Path, replicas):
    first, second = replicas
    first.start()
    home = tmp_path / "home-amy"
    urls = f"{second.url}/, {first.url}"  # the second is down; spaces and slashes tolerated
    result = _warroom(home, "login", urls, "--token", first.token("amy"))
    assert result.returncode == 0, result.stderr
    assert f"{second.url} (" in result.stderr and "kept for fail-over" in result.stderr
    assert f'server = "{second.url},{first.url}"' in (home / "config.toml").read_text()
    result = _warroom(home, "declare", "Disk full", "--severity", "SEV3")
    assert result.returncode == 0, result.stderr
    result = _warroom(home, "sync", "--once", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pushed"] == 1, result.stdout


def test_login_refuses_replicas_that_sign_with_different_keys(tmp_path: Path):
    one = Server(tmp_path / "one")
    token = one.token("amy")
    (tmp_path / "other").mkdir(mode=0o700)
    for file in one.data.glob(f"{one.storage.path.name}*"):  # the same tokens, another key
        shutil.copy(file, tmp_path / "other")
    other = Server(tmp_path / "other")
    assert other.storage.public_key != one.storage.public_key
    try:
        one.start(), other.start()
        result = _warroom(tmp_path / "home", "login", f"{one.url},{other.url}", "--token", token)
        assert result.returncode != 0
        assert f"{other.url}: it signs with another key than {one.url}" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        one.stop(), other.stop()


def test_no_replica_answering_is_offline_naming_each():
    dead = [f"http://127.0.0.1:{free_port()}" for _ in range(2)]
    client = FailoverClient(",".join(dead), "t", timeout=2.0)
    try:
        with pytest.raises(Offline) as caught:
            client.feed(None)
    finally:
        client.close()
    assert all(url in str(caught.value) for url in dead)


@pytest.mark.parametrize("setting", ["", "http://a,", "ftp://a", "http://a,b:8350", "https://"])
def test_a_bad_server_list_is_named_in_words(setting: str):
    with pytest.raises(InvalidInput, match="is not an http:// or https:// URL"):
        server_urls(setting)
