"""Notice approval through a real ``warroom serve``: the server applies the same rules as
the local write path — a responder cannot approve an external notice, an approval must
name the text as it is now, and a revision after approval leaves nothing ready."""

import pytest

from tests.sync.conftest import server_log
from tests.sync.test_api import _http, _payload_event, _push
from tests.sync.test_rules_server import Pusher
from warroom.core.events import Event
from warroom.core.fold import fold
from warroom.core.notices import ready_notices, text_digest
from warroom.core.policy import default_policy

INC = "inc-rules1"
TEXT = "We are investigating errors at checkout.\n"


@pytest.fixture
def tokens(server):
    roles = {"root": "admin", "dora": "responder", "cleo": "responder", "vic": "viewer"}
    return {name: server.token(name, role) for name, role in roles.items()}


def _draft(text: str, audience: str = "external") -> dict:
    return {"kind": "notice_drafted", "draft_id": "u-1", "audience": audience, "text": text}


def _approve(text: str) -> dict:
    return {"kind": "notice_approved", "draft_id": "u-1", "digest": text_digest(text)}


def test_approval_rules_on_the_server(server, tokens):
    push = Pusher(server, tokens)
    assert push("dora", "declaration")["status"] == "applied"
    seat = {"kind": "role_assigned", "role": "commander", "person": "dora"}
    assert push("dora", seat)["status"] == "applied"
    with _http(server, tokens["vic"]) as http:  # a viewer drafts nothing
        assert _push(http, _payload_event(INC, "vic", 90, _draft(TEXT))).status_code == 403
    assert push("cleo", _draft(TEXT))["status"] == "applied"  # any responder drafts

    refused = push("cleo", _approve(TEXT))  # the comms lead cannot approve external
    assert refused["status"] == "rejected"
    assert refused["reason"] == (
        f"approving a notice to external needs the commander of {INC}; cleo is not"
    )
    back = push("cleo", {"kind": "notice_returned", "draft_id": "u-1", "reason": "mine"})
    assert back["status"] == "rejected" and "sending back" in back["reason"]
    assert push("dora", _approve(TEXT + "x"))["status"] == "rejected"  # not the text shown
    assert push("dora", _approve(TEXT))["status"] == "applied"

    records, verified = server_log(server.url, tokens["vic"], INC)
    assert verified.verified_events == len(records)
    state = fold(_events(records))
    (ready,) = ready_notices(state, default_policy())
    assert (ready.text, ready.digest) == (TEXT, text_digest(TEXT))

    # revised after approval: the server takes the revision, and nothing is ready
    assert push("cleo", _draft(TEXT + "Also EU.\n"))["status"] == "applied"
    stale = push("dora", _approve(TEXT))
    assert stale["status"] == "rejected" and "not the one approved" in stale["reason"]
    records, _ = server_log(server.url, tokens["vic"], INC)
    assert ready_notices(fold(_events(records)), default_policy()) == []


def _events(records):
    return [Event.model_validate(r["event"]) for r in records]
