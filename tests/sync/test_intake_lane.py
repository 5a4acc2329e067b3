"""The intake lanes (``warroom.server.intake.intake_lanes``) decide a well-formed
notification without FastAPI's layers, and answer everything else as the routes do.

Two copies of the app, each with its server author and its own SQLite data folder, are
served by uvicorn on loopback in this process: one as ``create_app`` makes it, one with
the intake lanes taken out. The same requests go to both. A mistake must get the same
answer byte for byte; an accepted alert the same answer but for the incident's id (each
copy declares its own).
"""

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.sync.intake_helpers import latency_alert, webhook
from tests.sync.test_push_lane import MAX_BODY, VARYING, Served, _copy_token, _serve
from warroom.core.events import MAX_TEXT


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Served, Served]]:
    with ExitStack() as stack:
        laned = stack.enter_context(_serve(tmp_path / "laned", lane=True, author=True))
        plain = stack.enter_context(_serve(tmp_path / "plain", lane=False, author=True))
        for role, secret in laned.tokens.items():
            _copy_token(tmp_path / "laned", tmp_path / "plain", secret, role)
        yield laned, plain


def _post_both(pair, path: str, token: str | None, body: bytes, **headers: str):
    sent = {"Content-Type": "application/json", **headers}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    answers = []
    for served in pair:
        with httpx.Client(base_url=served.url, timeout=30) as http:
            answers.append(http.post(f"/v1/intake/{path}", content=body, headers=sent))
    return answers


def _without_ids(text: str) -> str:
    return re.sub(r"inc-[0-9a-z]+", "inc-?", text)


def test_an_accepted_alert_skips_fastapi_and_gets_the_routes_answer(pair):
    laned, _ = pair
    token = laned.tokens["intake"]
    for path, body in (
        ("alertmanager", webhook(latency_alert())),
        ("alertmanager", webhook(latency_alert())),  # the repeat
        ("generic", {"summary": "disk full", "severity": "critical", "dedup_key": "d1"}),
        ("alertmanager", webhook(latency_alert(status="resolved"))),
    ):
        fast, full = _post_both(pair, path, token, json.dumps(body).encode())
        assert fast.status_code == full.status_code == 200, (fast.text, full.text)
        assert _without_ids(fast.text) == _without_ids(full.text)
        strip = lambda r: {k: v for k, v in r.headers.items() if k not in VARYING}  # noqa: E731
        assert strip(fast) == strip(full)
    news = [a["news"] for a in fast.json()["alerts"]]
    assert news == ["resolution"]
    assert laned.reached_fastapi == []


def test_every_mistake_gets_the_routes_answer(pair):
    laned, _ = pair
    tokens = laned.tokens
    alert = json.dumps(webhook(latency_alert())).encode()
    long_group = webhook(latency_alert(), group="g" * (MAX_TEXT + 1))
    cases = {
        "no token": ("alertmanager", None, alert, {}),
        "unknown token": ("alertmanager", "wr_nobody", alert, {}),
        "a responder": ("alertmanager", tokens["responder"], alert, {}),
        "an admin": ("generic", tokens["admin"], b'{"summary": "x"}', {}),
        "not JSON": ("generic", tokens["intake"], b"{not json", {}),
        "no alerts": ("alertmanager", tokens["intake"], b'{"status": "firing", "alerts": []}', {}),
        "a misspelt field": ("generic", tokens["intake"], b'{"summary": "x", "sevrity": 1}', {}),
        "text/plain": ("alertmanager", tokens["intake"], alert, {"Content-Type": "text/plain"}),
        "too large": ("generic", tokens["intake"], b" " * (MAX_BODY + 1), {}),
    }
    for name, (path, token, body, headers) in cases.items():
        fast, full = _post_both(pair, path, token, body, **headers)
        assert fast.status_code in (401, 403, 413, 422), name
        assert (fast.status_code, fast.content) == (full.status_code, full.content), name
    assert laned.reached_fastapi == [f"/v1/intake/{path}" for path, *_ in cases.values()]
    # decided in the lane and refused there: an entry the record cannot hold
    fast, full = _post_both(pair, "alertmanager", tokens["intake"], json.dumps(long_group).encode())
    assert fast.status_code == full.status_code == 422
    assert fast.content == full.content and b"alerts.0" in fast.content
    assert len(laned.reached_fastapi) == len(cases)
