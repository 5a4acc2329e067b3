"""The push lane (``warroom.server.fastpush``) answers a well-formed push without FastAPI's
layers, and every other push exactly as the full app does.

Two copies of the app are served by uvicorn on loopback in this process, each on its own
SQLite data folder: one as ``create_app`` makes it, one with the lane taken out. The same
requests go to both and must get the same status, headers and body (the chain makes the
results of the same events identical byte for byte).
"""

import asyncio
import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from tests.sync.conftest import free_port, wait_until
from tests.sync.test_faults import _event
from warroom.core.events import MAX_EVENT_BYTES
from warroom.server.app import create_app
from warroom.server.authored import ServerAuthor
from warroom.server.sqlite import SQLiteStorage
from warroom.server.sqlite.schema import DB_FILE
from warroom.server.sqlite.tokens import hash_secret

MAX_BODY = 256 * 1024
INC = "inc-lane01"
VARYING = {"date", "server"}
"""Headers uvicorn sets per answer."""


@dataclass
class Served:
    url: str
    port: int
    tokens: dict[str, str]
    reached_fastapi: list[str]
    """The path of every request that went through FastAPI's middleware and routing."""


@contextmanager
def _serve(data: Path, *, lane: bool, author: bool = False) -> Iterator[Served]:
    """The app on ``data``; ``lane=False`` takes every lane out (push and intake), and
    ``author`` gives it a server author, which the intake routes need."""
    storage = SQLiteStorage(data)
    tokens = {
        role: asyncio.run(storage.create_token(f"{role}-one", role))[1]
        for role in ("responder", "viewer", "intake", "admin")
    }
    app = create_app(storage, max_body=MAX_BODY, author=ServerAuthor(data) if author else None)
    if not lane:
        app.push_lane, app.more_lanes = None, {}
    stack = app.build_middleware_stack()
    reached: list[str] = []

    async def counting(scope, receive, send):
        if scope["type"] == "http":
            reached.append(scope["path"])
        await stack(scope, receive, send)

    app.middleware_stack = counting
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=10)
        yield Served(f"http://127.0.0.1:{port}", port, tokens, reached)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Served, Served]]:
    with ExitStack() as stack:
        laned = stack.enter_context(_serve(tmp_path / "laned", lane=True))
        plain = stack.enter_context(_serve(tmp_path / "plain", lane=False))
        # the same token secrets on both, so one request means the same on either
        for role, secret in laned.tokens.items():
            _copy_token(tmp_path / "laned", tmp_path / "plain", secret, role)
        yield laned, plain


def _copy_token(source: Path, target: Path, secret: str, role: str) -> None:
    """Give ``target`` the token ``secret`` of ``source`` (same hash, id, name and role)."""
    with sqlite3.connect(source / DB_FILE) as read:
        row = read.execute(
            "SELECT id, secret_hash, name, role, device, created_at FROM tokens"
            " WHERE secret_hash = ?",
            (hash_secret(secret),),
        ).fetchone()
    with sqlite3.connect(target / DB_FILE) as write:
        write.execute("DELETE FROM tokens WHERE role = ?", (role,))
        write.execute(
            "INSERT INTO tokens (id, secret_hash, name, role, device, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            row,
        )


def _events(*events: str) -> bytes:
    return ('{"events":[' + ",".join(events) + "]}").encode()


def _raw(port: int, head: bytes, body: bytes = b"") -> bytes:
    """Send one raw HTTP/1.1 request; the whole answer (the server closes after it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def _same_answer(pair: tuple[Served, Served], method: str, path: str, **kwargs) -> httpx.Response:
    """Send the request to both apps; assert equal answers; return the laned one's."""
    answers = []
    for served in pair:
        with httpx.Client(base_url=served.url, timeout=10) as http:
            answers.append(http.request(method, path, **kwargs))
    laned, plain = answers
    assert laned.status_code == plain.status_code, (laned.text, plain.text)
    assert laned.content == plain.content
    strip = lambda r: {k: v for k, v in r.headers.items() if k not in VARYING}  # noqa: E731
    assert strip(laned) == strip(plain)
    return laned


def _post(pair, token: str | None, body: bytes, **headers: str) -> httpx.Response:
    sent = {"Content-Type": "application/json", **headers}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return _same_answer(pair, "POST", "/v1/push", content=body, headers=sent)


def test_a_well_formed_push_skips_fastapi_and_a_retry_gets_the_original_answer(pair):
    laned, _ = pair
    token = laned.tokens["responder"]
    declaration = _event(INC, "responder-one", 1, "declaration")
    first = _post(pair, token, _events(declaration))
    assert first.json()["results"][0]["status"] == "applied"
    retry = _post(pair, token, _events(declaration))
    assert retry.json()["results"][0]["duplicate"] is True
    assert laned.reached_fastapi == []  # neither push went through FastAPI's layers
    _same_answer(pair, "GET", "/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert laned.reached_fastapi == ["/v1/events"]  # other routes still do


def test_a_large_answer_is_compressed_as_the_full_app_compresses_it(pair):
    token = pair[0].tokens["responder"]
    events = [_event(INC, "responder-one", 1, "declaration")]
    events += [_event(INC, "responder-one", n) for n in range(2, 30)]
    zipped = _post(pair, token, _events(*events), **{"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert len(zipped.json()["results"]) == 29
    more = [_event(INC, "responder-one", n) for n in range(30, 60)]
    plain = _post(pair, token, _events(*more), **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"
    assert pair[0].reached_fastapi == []


def test_every_mistake_gets_the_full_apps_answer(pair):
    laned, _ = pair
    tokens = laned.tokens
    declaration = _event(INC, "responder-one", 1, "declaration")
    assert _post(pair, tokens["responder"], _events(declaration)).status_code == 200
    note = json.loads(_event(INC, "responder-one", 2))
    cases = {
        "no token": (None, _events(declaration), {}),
        "unknown token": ("wr_nobody", _events(declaration), {}),
        "a viewer": (tokens["viewer"], _events(declaration), {}),
        "an intake token": (tokens["intake"], _events(declaration), {}),
        "not JSON": (tokens["responder"], b'{"events": [', {}),
        "NaN": (
            tokens["responder"],
            _events(json.dumps(note).replace('"text"', '"n": NaN, "text"')),
            {},
        ),
        "no actor": (tokens["responder"], _events(json.dumps({**note, "actor": None})), {}),
        "not a push": (tokens["responder"], b"[1, 2]", {}),
        "an empty body": (tokens["responder"], b"", {}),
        "text/plain": (tokens["responder"], _events(declaration), {"Content-Type": "text/plain"}),
        "too large": (tokens["responder"], b" " * (MAX_BODY + 1), {}),
    }
    for name, (token, body, headers) in cases.items():
        answer = _post(pair, token, body, **headers)
        assert answer.status_code in (401, 403, 413, 422), name
        assert set(answer.json()) == {"detail"}, name
    assert laned.reached_fastapi == ["/v1/push"] * len(cases)


def test_an_entry_over_the_limit_is_refused_by_the_storage_in_the_lane(pair):
    token = pair[0].tokens["responder"]
    declaration = _event(INC, "responder-one", 1, "declaration")
    big = json.loads(_event(INC, "responder-one", 2))
    big["payload"]["from_the_future"] = "x" * MAX_EVENT_BYTES  # kept, unknown: no field limit
    answer = _post(pair, token, _events(declaration, json.dumps(big)))
    assert answer.status_code == 422 and "over the limit of 65,536 bytes" in answer.json()["detail"]
    assert pair[0].reached_fastapi == []


def test_a_body_in_pieces_or_chunked_is_read_whole(pair):
    laned, _ = pair
    token = laned.tokens["responder"]
    body = _events(_event(INC, "responder-one", 1, "declaration"))
    head = (
        f"POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nConnection: close\r\n"
    ).encode()
    answers = []
    for served in pair:
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
            sock.sendall(head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:40])
            threading.Event().wait(0.2)  # the first piece is read on its own
            sock.sendall(body[40:])
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        answers.append(received.split(b"\r\n\r\n", 1)[1])
    assert answers[0] == answers[1] and b'"applied"' in answers[0]
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n"
    chunked += f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    again = [_raw(served.port, chunked).split(b"\r\n\r\n", 1)[1] for served in pair]
    assert again[0] == again[1] and b'"duplicate":true' in again[0]
    assert laned.reached_fastapi == ["/v1/push"]  # only the chunked one went the long way


def test_a_client_gone_mid_body_leaves_the_server_serving(pair):
    laned, _ = pair
    token = laned.tokens["responder"]
    head = (
        f"POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", laned.port), timeout=10) as sock:
        sock.sendall(head + b'{"events": [')
    declaration = _event(INC, "responder-one", 1, "declaration")
    assert _post(pair, token, _events(declaration)).status_code == 200
