"""No entry text can split a live-stream frame: U+2028, U+2029 and U+0085 included.

Python's ``str.splitlines`` (and older JavaScript) end lines at those characters too;
the server escapes them in frames, and the client splits only where SSE ends lines.
"""

import http.server
import json
import threading

import httpx
import pytest

from tests.sync.conftest import Server, free_port, wait_until
from tests.sync.test_device_counters import _push
from tests.sync.test_faults import _event
from tests.sync.test_revocation import Follower
from warroom.sync.client import Offline, ServerClient

INC = "inc-sep001"
AWKWARD = "line\u2028separator, paragraph\u2029separator, next\u0085line, done"


def _note(n: int, text: str) -> str:
    data = json.loads(_event(INC, "wes", n))
    data["payload"]["text"] = text
    return json.dumps(data, ensure_ascii=False)


def test_awkward_text_reaches_a_follower_intact_on_the_same_stream(server: Server):
    writer = server.token("wes")
    _push(server.url, writer, _event(INC, "wes", 1, "declaration"))
    follower = Follower(server.url, server.token("vic", "viewer"))
    try:
        assert follower.caught_up.wait(10)
        _push(server.url, writer, _note(2, AWKWARD), _note(3, "after it"))
        wait_until(lambda: "after it" in follower.texts(), timeout=10)
        assert follower.texts()[-2:] == [AWKWARD, "after it"]
        assert not follower.ended.is_set()  # no reconnect was needed
    finally:
        follower.close()

    token = server.token("raw", "viewer")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream("GET", f"{server.url}/v1/stream", headers=headers, timeout=10) as rsp:
        raw = b""
        for chunk in rsp.iter_bytes():
            raw += chunk
            if b"up_to_date" in raw:
                break
    assert b"\\u2028" in raw and "\u2028".encode() not in raw  # escaped on the wire
    assert "\u2029".encode() not in raw and "\u0085".encode() not in raw


class _RawStream(http.server.BaseHTTPRequestHandler):
    """A server sending those characters raw, as a server before the fix did."""

    def do_GET(self) -> None:
        record = {"cursor": "1", "event": {"payload": {"text": AWKWARD}}}
        body = (
            f"id: 1\r\ndata: {json.dumps(record, ensure_ascii=False)}\r\n\r\n"
            'event: up_to_date\ndata: {"cursor":"1"}\r\r'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_the_client_splits_lines_only_where_sse_ends_them():
    port = free_port()
    raw = http.server.ThreadingHTTPServer(("127.0.0.1", port), _RawStream)
    threading.Thread(target=raw.serve_forever, daemon=True).start()
    client = ServerClient(f"http://127.0.0.1:{port}", "t")
    try:
        got = []
        with pytest.raises(Offline, match="ended"):
            for frame in client.stream(None, read_timeout=5):
                got.append(frame)
        assert got == [
            ("event", {"cursor": "1", "event": {"payload": {"text": AWKWARD}}}),
            ("up_to_date", "1"),
        ]
    finally:
        client.close()
        raw.shutdown()
    from warroom.sync.client import sse_lines

    halves = [b"a\r", b"\nb\xe2\x80", b"\xa8c\n\r\n", b"unfinished"]  # CRLF and UTF-8 cut
    assert list(sse_lines(halves)) == ["a", "b\u2028c", ""]
