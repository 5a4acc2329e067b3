"""A real ``warroom serve`` on 127.0.0.1 and client homes that sync with it."""

import asyncio
import os
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import WARROOM
from warroom.actions import WarRoom
from warroom.core.chain import ChainedEvent, Checkpoint, verify_log
from warroom.core.policy import default_policy, parse_policy
from warroom.server.sqlite import SQLiteStorage
from warroom.server.storage import TokenInfo
from warroom.store.local import LocalStore
from warroom.store.replica import Replica
from warroom.sync.engine import SyncEngine

LENIENT_POLICY = (
    '[access]\nseverity = ["commander", "deputy", "scribe"]\ndeclarer_takes_command = false\n'
)
"""A home policy laxer than the server's default: the home lets its scribe change severity,
so an entry the server refuses can still be written locally — the server is the authority
(and the local write path applies the home's policy, as it must offline)."""


def lenient_room(store: LocalStore, actor: str) -> WarRoom:
    return WarRoom(store, parse_policy(LENIENT_POLICY, "lenient.toml"), actor)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BACKENDS = ("sqlite", "postgres")
"""Every server test runs against each storage backend (``server`` is parametrised)."""


class Server:
    """``warroom serve`` in a child process; tokens are minted straight into its data
    (the SQLite folder ``data``, or the PostgreSQL ``database`` when one is given)."""

    def __init__(
        self,
        data: Path,
        *,
        heartbeat: float = 0.5,
        checkpoint_every: int = 10,
        options: tuple[str, ...] = (),
        database: str | None = None,
    ) -> None:
        self.data = data
        self.database = database
        self.options = options
        """More ``warroom serve`` options."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.heartbeat = heartbeat
        self.checkpoint_every = checkpoint_every
        self.proc: subprocess.Popen | None = None
        if database:
            from warroom.server.postgres import PostgresStorage

            self.storage = PostgresStorage(database)
        else:
            self.storage = SQLiteStorage(data)

    @property
    def storage_args(self) -> tuple[str, ...]:
        """The options that point a ``warroom`` command at this server's storage."""
        return ("--database", self.database) if self.database else ("--data", str(self.data))

    def start(self) -> "Server":
        env = dict(os.environ, WARROOM_HOME=str(self.data.parent / "server-home"))
        self.proc = subprocess.Popen(
            [
                WARROOM,
                "serve",
                "--port",
                str(self.port),
                *self.storage_args,
                "--heartbeat",
                str(self.heartbeat),
                "--checkpoint-every",
                str(self.checkpoint_every),
                *self.options,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()}")
            try:
                httpx.get(self.url + "/v1/info", timeout=0.5)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def token(self, name: str, role: str = "responder") -> str:
        """Mint a token (on a thread of its own, so async tests may call it too)."""
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, self.storage.create_token(name, role)).result()[1]

    def tokens(self) -> list[TokenInfo]:
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, self.storage.list_tokens()).result()

    def close_storage(self) -> None:
        """Close the storage this object mints tokens with (its database pool)."""
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, self.storage.close()).result()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str | None:
    """None for SQLite, else a fresh PostgreSQL database's URL (skipped, with the reason,
    where no PostgreSQL can be had)."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def server(tmp_path: Path, backend: str | None):
    srv = Server(tmp_path / "server-data", database=backend).start()
    yield srv
    srv.stop()
    srv.close_storage()


def sqlite_only(server: Server, why: str) -> None:
    """Skip a test that reads or edits the SQLite file itself."""
    if server.database:
        pytest.skip(f"SQLite only: {why}")


class Client:
    """One person on one machine: a home, a write path, and a sync engine."""

    def __init__(self, root: Path, name: str, server_url: str, token: str) -> None:
        self.name = name
        self.home = root / f"home-{name}"
        self.database = self.home / "warroom.db"
        self.store = LocalStore(self.database)
        self.room = WarRoom(self.store, default_policy(), name)
        self.url, self.token = server_url, token
        self.engine: SyncEngine | None = None
        self.thread: threading.Thread | None = None

    def writer(self) -> WarRoom:
        """A write path on its own connection, for use from another thread."""
        return WarRoom(LocalStore(self.database), default_policy(), self.name)

    def new_engine(self, **kwargs) -> SyncEngine:
        return SyncEngine(
            self.database, self.url, self.token, stream_silence_s=3.0, poll_timeout_s=1.0, **kwargs
        )

    def sync_once(self):
        return self.new_engine().sync_once()

    def start(self, **kwargs) -> None:
        self.engine = self.new_engine(**kwargs)
        self.thread = threading.Thread(target=self.engine.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.stop()
            self.thread.join(10)
            self.engine = None

    @property
    def replica(self) -> Replica:
        return Replica(self.store)

    def fingerprint(self, incident_id: str) -> tuple:
        """What must be identical on every converged client."""
        state = self.store.state(incident_id).model_dump(mode="json")
        return (
            state,
            self.replica.head(incident_id),
            [e.id for e in self.store.events(incident_id)],
        )

    def close(self) -> None:
        self.stop()
        self.store.close()


@pytest.fixture
def clients(tmp_path: Path, server: Server):
    made: list[Client] = []

    def make(name: str, role: str = "responder", url: str | None = None) -> Client:
        client = Client(tmp_path, name, url or server.url, server.token(name, role))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def server_log(url: str, token: str, incident_id: str):
    """Every record of an incident as the server holds it, verified from its genesis."""
    records, after = [], 0
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        while True:
            page = http.get(f"/v1/incidents/{incident_id}/events", params={"after": after}).json()
            records += page["records"]
            after = page["next_after"]
            if page["up_to_date"]:
                break
        key = http.get("/v1/info").json()["public_key"]
    chained = [
        ChainedEvent(server_seq=r["server_seq"], hash=r["hash"], event=r["event"]) for r in records
    ]
    checkpoints = [Checkpoint.model_validate(r["checkpoint"]) for r in records if r["checkpoint"]]
    return records, verify_log(incident_id, chained, checkpoints, key)
