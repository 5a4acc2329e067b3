"""Revoking a token ends what it has open: live streams and long polls, within seconds.

Tokens are revoked over HTTP by an admin, or by ``warroom token revoke`` on the server's
machine (another process: the server notices by watching its tokens table).
"""

import subprocess
import threading
import time

import httpx
import pytest

from tests.conftest import WARROOM
from tests.sync.conftest import Server, wait_until
from tests.sync.test_device_counters import _push
from tests.sync.test_faults import _event
from warroom.sync.client import Offline, ServerClient

INC = "inc-rev001"


class Follower:
    """An SSE stream read on a thread: what it delivered, and when it ended."""

    def __init__(self, url: str, token: str) -> None:
        self.client = ServerClient(url, token)
        self.records: list[dict] = []
        self.caught_up = threading.Event()
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for kind, value in self.client.stream(None, read_timeout=30):
                if kind == "event":
                    self.records.append(value)
                elif kind == "up_to_date":
                    self.caught_up.set()
        except Offline:
            self.ended.set()

    def texts(self) -> list[str]:
        return [r["event"]["payload"].get("text") for r in self.records]

    def close(self) -> None:
        self.client.close()
        self.thread.join(5)


def _revoke_over_http(server: Server, token_id: str) -> None:
    admin = server.token("ada", "admin")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {admin}"}) as http:
        assert http.delete(f"/v1/tokens/{token_id}").status_code == 200


def _revoke_from_the_cli(server: Server, token_id: str) -> None:
    subprocess.run(
        [WARROOM, "token", "revoke", token_id, *server.storage_args],
        check=True,
        capture_output=True,
        timeout=30,
    )


def _token_id(server: Server, name: str) -> str:
    return next(token.id for token in server.tokens() if token.name == name)


@pytest.mark.parametrize("revoke", [_revoke_over_http, _revoke_from_the_cli])
def test_a_revoked_viewer_stream_is_cut_and_gets_nothing_new(server: Server, revoke):
    writer = server.token("wes")
    _push(server.url, writer, _event(INC, "wes", 1, "declaration"))
    follower = Follower(server.url, server.token("vic", "viewer"))
    try:
        assert follower.caught_up.wait(10)
        _push(server.url, writer, _event(INC, "wes", 2))
        wait_until(lambda: "wes 2" in follower.texts(), timeout=10)

        revoke(server, _token_id(server, "vic"))
        started = time.monotonic()
        assert follower.ended.wait(3), "the revoked token's stream is still open"
        assert time.monotonic() - started < 2.5
        _push(server.url, writer, _event(INC, "wes", 3))
        time.sleep(0.3)
        assert "wes 3" not in follower.texts()
    finally:
        follower.close()


@pytest.mark.parametrize("revoke", [_revoke_over_http, _revoke_from_the_cli])
def test_a_revoked_long_poll_is_answered_401_at_once(server: Server, revoke):
    writer = server.token("wes")
    _push(server.url, writer, _event(INC, "wes", 1, "declaration"))
    viewer = server.token("vic", "viewer")
    answers: list[httpx.Response] = []

    def long_poll() -> None:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {viewer}"}) as h:
            cursor = h.get("/v1/events").json()["cursor"]
            answers.append(h.get("/v1/poll", params={"after": cursor, "timeout": 30}, timeout=40))

    poller = threading.Thread(target=long_poll, daemon=True)
    poller.start()
    time.sleep(0.5)  # the poll is waiting
    revoke(server, _token_id(server, "vic"))
    poller.join(3)
    assert answers and answers[0].status_code == 401, answers
    assert "revoked" in answers[0].json()["detail"]
