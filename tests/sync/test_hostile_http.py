"""A hostile client against a real ``warroom serve``: slow connections, unauthenticated
bodies, and numbers the record cannot hold."""

import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.sync.conftest import Server
from tests.sync.test_faults import _event

HEADER_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    """One server for the module, with a short header timeout so slow clients show fast."""
    data = Path(tmp_path_factory.mktemp("hostile")) / "server-data"
    srv = Server(data, options=("--header-timeout", str(HEADER_TIMEOUT_S))).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def dora(live: Server) -> str:
    token = live.token("dora")
    declaration = _event("inc-host01", "dora", 1, "declaration")
    answer = _push(live, token, f'{{"events":[{declaration}]}}')
    assert answer.json()["results"][0]["status"] == "applied"
    return token


def _push(live: Server, token: str, body: str) -> httpx.Response:
    return httpx.post(
        live.url + "/v1/push",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=10,
    )


def _connect(live: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", live.port), timeout=5)


def _answer_until_closed(sock: socket.socket, within: float) -> bytes | None:
    """What the server sends until it closes the connection; ``None`` if it does not
    close it within ``within`` seconds."""
    sock.settimeout(within)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return received


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    return _answer_until_closed(sock, within) is not None


def test_connections_that_do_not_finish_their_headers_are_closed(live: Server):
    partial = [_connect(live) for _ in range(40)]
    for sock in partial:
        sock.sendall(b"GET /v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    silent = _connect(live)  # never sends a byte
    dribbling = _connect(live)  # a byte every 50 ms: never idle, never done in time
    started = time.monotonic()
    try:
        for byte in b"GET /v1/info HTTP/1.1\r\n" + b"X-Slow: 1\r\n" * 100:
            dribbling.sendall(bytes([byte]))
            time.sleep(HEADER_TIMEOUT_S / 20)
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert _closed_by_server(dribbling, within=3)
    assert time.monotonic() - started < HEADER_TIMEOUT_S + 3
    for sock in [*partial, silent]:
        assert _closed_by_server(sock, within=3)
        sock.close()
    assert httpx.get(live.url + "/v1/info").status_code == 401  # still serving


def test_a_slow_but_timely_request_is_answered(live: Server, dora: str):
    with _connect(live) as sock:
        request = f"GET /v1/info HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {dora}\r\n\r\n"
        for part in (request[:20], request[20:]):
            sock.sendall(part.encode())
            time.sleep(HEADER_TIMEOUT_S / 3)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("authorization", ["", "Authorization: Bearer wr_not_a_token\r\n"])
def test_a_body_without_a_valid_token_is_refused_before_it_is_read(live: Server, authorization):
    """8 MB announced, a kilobyte sent: the 401 comes at once, and the server closes
    the connection rather than read (or parse) the rest."""
    with _connect(live) as sock:
        head = (
            "POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {8 * 1024 * 1024}\r\n{authorization}\r\n"
        )
        started = time.monotonic()
        sock.sendall(head.encode() + b'{"events": [' + b" " * 1024)
        answer = _answer_until_closed(sock, within=3)
        assert answer is not None and answer.startswith(b"HTTP/1.1 401"), answer
        assert b"connection: close" in answer.lower() and b"token" in answer
        assert time.monotonic() - started < 2


def test_a_body_with_a_valid_token_is_still_read(live: Server, dora: str):
    note = _event("inc-host01", "dora", 2)
    assert _push(live, dora, f'{{"events":[{note}]}}').json()["results"][0]["status"] == "applied"


def _note_with(field: str, number: str, seq: int) -> str:
    """A note whose ``field`` holds ``number`` verbatim (JSON cannot carry some of them)."""
    note = json.loads(_event("inc-host01", "dora", seq))
    if field == "device_seq":
        note["device_seq"] = "@@"
    else:
        note["payload"][field] = "@@"
    return json.dumps({"events": [note]}).replace('"@@"', number)


def _command_run(exit_code: str) -> str:
    event = json.loads(_event("inc-host01", "dora", 40))
    event["payload"] = {
        "kind": "command_run",
        "runbook_id": "db",
        "step_id": "s1",
        "command": "true",
        "exit_code": "@@",
        "duration_s": 1.0,
    }
    return json.dumps({"events": [event]}).replace('"@@"', exit_code)


TWO_63 = str(2**63)
PUSHES = {
    "device_seq 2^63": (_note_with("device_seq", TWO_63, 10), "events.0.device_seq"),
    "device_seq -2^63-1": (_note_with("device_seq", f"-{2**63 + 1}", 11), "events.0.device_seq"),
    "device_seq 1e19": (_note_with("device_seq", "1e19", 12), "events.0.device_seq"),
    "device_seq 1.5": (_note_with("device_seq", "1.5", 13), "events.0.device_seq"),
    "400-digit decimal": (
        _note_with("gauge", "1" + "0" * 400 + ".0", 14),
        "events.0.payload.gauge",
    ),
    "400-digit integer": (_note_with("gauge", "9" * 400, 15), "events.0.payload.gauge"),
    "5000-digit integer": (_note_with("gauge", "9" * 5000, 16), "events.0.payload.gauge"),
    "NaN": (_note_with("gauge", "NaN", 17), "events.0.payload.gauge"),
    "nested 2,000 deep": (_note_with("gauge", "[" * 2000 + "]" * 2000, 18), "body"),
    "nested 200 deep": (_note_with("gauge", "[" * 200 + "]" * 200, 19), "events.0.payload.gauge"),
    "exit_code 2^70": (_command_run(str(2**70)), "events.0.payload.exit_code"),
    "exit_code 1e30": (_command_run("1e30"), "events.0.payload.command_run.exit_code"),
}


@pytest.mark.parametrize("case", PUSHES, ids=list(PUSHES))
def test_out_of_range_numbers_in_bodies_are_422_naming_the_field(live: Server, dora: str, case):
    body, field = PUSHES[case]
    answer = _push(live, dora, body)
    assert answer.status_code == 422, (answer.status_code, answer.text[:300])
    assert answer.json()["detail"].startswith(f"{field}"), answer.json()["detail"]


def _actor_of(actor: str, seq: int) -> str:
    event = json.loads(_event("inc-host01", "dora", seq))
    event["actor"] = "@@"
    return json.dumps({"events": [event]}).replace('"@@"', actor)


SHAPES = {
    "a list for the body": ("[]", "body: must be a JSON object"),
    "a number for an event": ('{"events": [7]}', "events.0: must be a JSON object"),
    "an object for the events": ('{"events": {}}', "events: must be a JSON array"),
    "a number for the actor": (_actor_of("5", 50), "events.0.actor: must be a JSON string"),
}


@pytest.mark.parametrize("case", SHAPES, ids=list(SHAPES))
def test_a_body_of_the_wrong_shape_is_told_in_jsons_words(live: Server, dora: str, case):
    """A client writes JSON: it is told of objects, arrays and strings, not of the TOML
    tables and quoted text the configuration files' messages speak of."""
    body, detail = SHAPES[case]
    answer = _push(live, dora, body)
    assert answer.status_code == 422, (answer.status_code, answer.text[:300])
    assert answer.json()["detail"] == detail


QUERIES = {
    "incident after=2^63": ("/v1/incidents/inc-host01/events", {"after": TWO_63}, "query.after"),
    "incident after=-1": ("/v1/incidents/inc-host01/events", {"after": -1}, "query.after"),
    "feed after, 19 digits": ("/v1/events", {"after": TWO_63}, "query.after"),
    "feed after, 40 digits": ("/v1/events", {"after": "9" * 40}, "query.after"),
    "poll after, letters": ("/v1/poll", {"after": "abc", "timeout": 0}, "query.after"),
    "limit=2^64": ("/v1/events", {"limit": 2**64}, "query.limit"),
    "limit=1.5": ("/v1/events", {"limit": 1.5}, "query.limit"),
    "timeout=inf": ("/v1/poll", {"timeout": "inf"}, "query.timeout"),
    "timeout=nan": ("/v1/poll", {"timeout": "nan"}, "query.timeout"),
    "timeout, 400 digits": ("/v1/poll", {"timeout": "1" + "0" * 400}, "query.timeout"),
}


@pytest.mark.parametrize("case", QUERIES, ids=list(QUERIES))
def test_out_of_range_numbers_in_queries_are_422_naming_the_field(live: Server, dora: str, case):
    path, params, field = QUERIES[case]
    answer = httpx.get(
        live.url + path, params=params, headers={"Authorization": f"Bearer {dora}"}, timeout=10
    )
    assert answer.status_code == 422, (answer.status_code, answer.text[:300])
    assert answer.json()["detail"].startswith(f"{field}:"), answer.json()["detail"]


def test_a_last_event_id_out_of_range_is_422(live: Server, dora: str):
    answer = httpx.get(
        live.url + "/v1/stream",
        headers={"Authorization": f"Bearer {dora}", "Last-Event-ID": TWO_63},
        timeout=10,
    )
    assert answer.status_code == 422 and answer.json()["detail"].startswith("header.last-event-id")
