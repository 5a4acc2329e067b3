"""The server's background threads survive their errors, and ``/v1/health`` shows them.

Faults are injected in-process (a disk-full error from the checkpoint, an I/O error at
commit) into the app served by uvicorn on loopback; the health endpoint is also read
from a real ``warroom serve``.
"""

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from tests.sync.conftest import Server, free_port, wait_until
from tests.sync.test_faults import _event
from warroom.server import threads
from warroom.server.app import create_app
from warroom.server.sqlite import store, writer

THREADS = {"writer", "wal-checkpoint", "revocation-watch", "leader-lease", "job:ladder"}
PG_THREADS = {"writer", "live-hints", "revocation-watch", "leader-lease", "job:ladder"}


def test_a_real_server_reports_every_thread_running(server: Server):
    answer = httpx.get(server.url + "/v1/health", timeout=5)  # no token needed
    assert answer.status_code == 200
    report = answer.json()
    assert report["status"] == "ok"
    assert set(report["threads"]) == (PG_THREADS if server.database else THREADS)
    assert report["leader"]["jobs"] == ["ladder"]
    assert {t["state"] for t in report["threads"].values()} == {"running"}


class _Faults:
    """Make a method raise ``error`` its first ``times`` calls, then behave."""

    def __init__(self, monkeypatch, owner: type, name: str, error: Exception, times: int):
        self.calls, self.error, self.times = 0, error, times
        original = getattr(owner, name)

        def faulty(*args, **kwargs):
            self.calls += 1
            if self.calls <= self.times:
                raise self.error
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, faulty)


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(store, "CHECKPOINT_EVERY_S", 0.05)
    monkeypatch.setattr(threads, "BACKOFF_FIRST_S", 0.1)


@contextmanager
def _serving(data: Path) -> Iterator[tuple[httpx.Client, str]]:
    """The app served by uvicorn on 127.0.0.1 in this process (so faults can be
    patched in), with a client and a responder token for ``dora``."""
    storage = store.SQLiteStorage(data)
    _, token = asyncio.run(storage.create_token("dora", "responder"))
    port = free_port()
    config = uvicorn.Config(create_app(storage), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=10)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            yield http, token
    finally:
        server.should_exit = True
        thread.join(10)


def test_the_checkpoint_thread_survives_a_full_disk(tmp_path: Path, monkeypatch, quick, caplog):
    full = sqlite3.OperationalError("database or disk is full")
    faults = _Faults(monkeypatch, store._Checkpoints, "run", full, times=3)
    with caplog.at_level(logging.ERROR, "warroom.server"), _serving(tmp_path / "d") as (http, _):
        wait_until(lambda: faults.calls >= 1, timeout=5)
        degraded = http.get("/v1/health")
        assert degraded.status_code == 503
        checkpoint = degraded.json()["threads"]["wal-checkpoint"]
        assert checkpoint["state"] == "retrying"
        assert "disk is full" in checkpoint["last_error"]
        wait_until(lambda: faults.calls >= 6, timeout=10)  # it kept going, and works again
        healthy = http.get("/v1/health").json()["threads"]["wal-checkpoint"]
        assert healthy["state"] == "running" and healthy["errors"] == 3
    assert "wal-checkpoint failed (OperationalError: database or disk is full)" in caplog.text


def _push(http: httpx.Client, token: str, *bodies: str) -> httpx.Response:
    return http.post(
        "/v1/push",
        content='{"events":[' + ",".join(bodies) + "]}",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )


def test_the_writer_survives_a_failed_commit(tmp_path: Path, monkeypatch, quick):
    io_error = sqlite3.OperationalError("disk I/O error")
    faults = _Faults(monkeypatch, writer.Writer, "_commit_group", io_error, times=1)
    inc = "inc-hlt001"
    first, later = _event(inc, "dora", 1, "declaration"), _event(inc, "dora", 2)
    with _serving(tmp_path / "data") as (http, token):
        failed = _push(http, token, first)
        assert failed.status_code == 503  # the client keeps the entry and retries
        assert "cannot write right now: disk I/O error" in failed.json()["detail"]
        assert http.get("/v1/health").json()["threads"]["writer"]["state"] == "retrying"
        time.sleep(0.2)  # past the first pause
        results = _push(http, token, first, later).json()["results"]
        assert [(r["status"], r["server_seq"]) for r in results] == [("applied", 1), ("applied", 2)]
        assert http.get("/v1/health").json()["threads"]["writer"]["state"] == "running"
    assert faults.calls == 2


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_thread_shows_as_dead(tmp_path: Path, monkeypatch, quick, caplog):
    def die(self):
        raise SystemExit  # not an error it could retry: the thread ends

    monkeypatch.setattr(store._Checkpoints, "run", die)
    with caplog.at_level(logging.CRITICAL, "warroom.server"), _serving(tmp_path / "d") as (http, _):
        wait_until(lambda: http.get("/v1/health").status_code == 503, timeout=5)
        report = http.get("/v1/health").json()
        assert report["status"] == "degraded"
        assert report["threads"]["wal-checkpoint"]["state"] == "dead"
        assert report["threads"]["writer"]["state"] == "running"
    assert "wal-checkpoint died: SystemExit" in caplog.text
