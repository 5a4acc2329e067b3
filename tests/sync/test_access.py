"""Incident-role rules, judged against the state at that point of the log (pure)."""

import pytest

from tests.factories import declaration, make_event
from warroom.core.access import check_append
from warroom.core.fold import fold
from warroom.core.policy import default_policy, parse_policy

POLICY = default_policy()
INC = "inc-test01"


GATED_RUNBOOK = make_event(
    "runbook_attached",
    INC,
    actor="dora",
    runbook_id="rb",
    title="Gated",
    content_hash="0" * 64,
    steps=[
        {"id": "gate-1", "title": "Approve", "type": "approval", "line": 1},
        {"id": "s1", "title": "Look", "type": "check", "line": 2},
    ],
)


def _state(*events):
    return fold([declaration(INC, actor="dora"), GATED_RUNBOOK, *events])


SEATED = (
    make_event("role_assigned", INC, actor="dora", role="commander", person="carl"),
    make_event("role_assigned", INC, actor="carl", role="deputy", person="dave"),
    make_event("role_assigned", INC, actor="carl", role="scribe", person="sam"),
)


def _check(state, kind, actor, *, admin=False, **payload):
    event = make_event(kind, INC, actor=actor, **payload)
    return check_append(POLICY, state, event, author=actor, admin=admin)


PRIVILEGED = [
    ("severity_changed", {"severity": "SEV1"}),
    ("role_assigned", {"role": "comms", "person": "cleo"}),
    ("role_released", {"role": "deputy", "person": "dave"}),
    ("handoff", {"role": "commander", "to_person": "dave"}),
    ("status_update", {"text": "We are on it", "audience": "external"}),
    ("runbook_step", {"runbook_id": "rb", "step_id": "gate-1", "action": "done"}),
]


@pytest.mark.parametrize(("kind", "payload"), PRIVILEGED)
def test_privileged_changes_need_the_right_incident_role(kind, payload):
    state = _state(*SEATED)
    assert _check(state, kind, "carl", **payload) is None  # the commander may
    assert _check(state, kind, "sam", **payload)  # the scribe may not
    assert _check(state, kind, "sam", admin=True, **payload) is None  # a server admin may
    deputy = _check(state, kind, "dave", **payload)
    if kind == "status_update":
        assert "approval of the commander" in deputy
    else:
        assert deputy is None


def test_anyone_may_write_ordinary_entries_and_internal_updates():
    state = _state(*SEATED)
    assert _check(state, "note", "sam", text="hello") is None
    assert _check(state, "status_update", "sam", text="x", audience="internal") is None
    assert (
        _check(state, "runbook_step", "sam", runbook_id="rb", step_id="s1", action="done") is None
    )
    claim = {"runbook_id": "rb", "step_id": "gate-1", "action": "claim"}
    assert _check(state, "runbook_step", "sam", **claim) is None  # going to get the approval


def test_the_declarer_seats_the_first_commander_and_only_while_vacant():
    state = _state()
    assert _check(state, "role_assigned", "dora", role="commander", person="carl") is None
    assert _check(state, "role_assigned", "eve", role="commander", person="eve")
    seated = _state(SEATED[0])
    assert _check(seated, "severity_changed", "dora", severity="SEV1")
    gate = {"runbook_id": "rb", "step_id": "gate-1", "action": "skip", "note": "no time"}
    assert _check(state, "runbook_step", "dora", **gate)


def test_rules_follow_the_state_at_that_point_of_the_log():
    offer = make_event("handoff", INC, actor="carl", role="commander", to_person="cleo")
    offered = _state(*SEATED, offer)
    assert _check(offered, "severity_changed", "carl", severity="SEV1") is None  # still IC
    assert _check(offered, "severity_changed", "cleo", severity="SEV1")
    accepted = fold(
        [make_event("handoff_accepted", INC, actor="cleo", role="commander", person="cleo")],
        offered,
    )
    assert _check(accepted, "severity_changed", "carl", severity="SEV1")
    assert _check(accepted, "severity_changed", "cleo", severity="SEV1") is None


def test_self_release_and_handoff_acceptance():
    state = _state(*SEATED)
    assert _check(state, "role_released", "sam", role="scribe", person="sam") is None
    assert _check(state, "handoff_accepted", "dave", role="commander", person="dave") is None
    assert "only carl" in _check(state, "handoff_accepted", "dave", role="commander", person="carl")


def test_identity_and_existence():
    state = _state()
    event = make_event("note", INC, actor="mallory", text="x")
    assert "must be written as 'eve'" in check_append(
        POLICY, state, event, author="eve", admin=False
    )
    assert "does not exist" in check_append(POLICY, None, event, author="mallory", admin=False)
    again = declaration(INC, actor="mallory")
    assert "already declared" in check_append(POLICY, state, again, author="mallory", admin=False)
    assert check_append(POLICY, None, again, author="mallory", admin=False) is None


def test_the_policy_adjusts_the_rules():
    policy = parse_policy('[access]\nseverity = ["scribe"]\napprovers = ["comms"]\n', "p.toml")
    state = _state(*SEATED)
    event = make_event("severity_changed", INC, actor="sam", severity="SEV1")
    assert check_append(policy, state, event, author="sam", admin=False) is None
    with pytest.raises(Exception, match="unknown role"):
        parse_policy('[access]\nseverity = ["pope"]\n', "p.toml")
