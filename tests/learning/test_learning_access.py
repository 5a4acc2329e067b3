"""Access rules for action items, outcomes, factors and risk logs (pure, as the server
and the local write path both apply them)."""

import pytest

from tests.factories import declaration, make_event
from warroom.core.access import check_append
from warroom.core.fold import fold
from warroom.core.policy import default_policy

POLICY = default_policy()
INC, RISK = "inc-test01", "risk-test01"
BASE = (
    declaration(INC, actor="dora"),
    make_event("role_assigned", INC, actor="dora", role="commander", person="carl"),
    make_event("todo", INC, actor="sam", event_id="todo-1", text="Add a canary", owner="bo"),
    make_event("hypothesis", INC, actor="sam", event_id="hyp-1", text="bad deploy"),
)
CLOSED = (
    make_event("status_changed", INC, actor="carl", status="resolved"),
    make_event("status_changed", INC, actor="carl", status="closed"),
)


def _check(events, kind, actor="eve", stream=INC, **payload):
    state = fold(events) if events else None
    event = make_event(kind, stream, actor=actor, **payload)
    return check_append(POLICY, state, event, author=actor, admin=False)


def _linked(log, incident, **payload):
    """A risk link in ``log`` judged where ``INC`` is ``incident`` and ``RISK`` is ``log``."""
    event = make_event("risk_linked", RISK, actor="eve", **payload)
    return check_append(
        POLICY,
        fold(log),
        event,
        author="eve",
        admin=False,
        log_of={INC: incident, RISK: fold(log)}.get,
    )


AFTER_WORK = [
    ("todo", {"text": "Page the DB team sooner", "priority": "high"}),
    ("action_item_updated", {"target_id": "todo-1", "status": "done"}),
    ("action_item_updated", {"target_id": "todo-1", "owner": "cy"}),
    ("hypothesis_outcome", {"target_id": "hyp-1", "outcome": "confirmed"}),
    ("contributing_factor", {"text": "No canary stage"}),
]


@pytest.mark.parametrize(("kind", "payload"), AFTER_WORK)
def test_after_incident_work_goes_on_a_closed_incident_without_reopening(kind, payload):
    assert _check(BASE + CLOSED, kind, **payload) is None


def test_a_closed_incident_still_refuses_the_response_entries():
    refusal = _check(BASE + CLOSED, "note", text="more")
    assert refusal and "is closed; reopen it first" in refusal


@pytest.mark.parametrize(
    ("kind", "payload", "words"),
    [
        ("action_item_updated", {"target_id": "nope", "owner": "cy"}, "no action item"),
        ("action_item_updated", {"target_id": "hyp-1", "owner": "cy"}, "no action item"),
        ("hypothesis_outcome", {"target_id": "todo-1", "outcome": "confirmed"}, "no hypothesis"),
    ],
)
def test_an_update_must_name_an_item_of_this_incident(kind, payload, words):
    assert words in (_check(BASE, kind, **payload) or "")


def test_a_retracted_item_takes_no_update():
    retracted = make_event("retraction", INC, target_id="todo-1", reason="duplicate")
    refusal = _check((*BASE, retracted), "action_item_updated", target_id="todo-1", owner="x")
    assert refusal and "was retracted: duplicate" in refusal


@pytest.mark.parametrize(
    ("actor", "allowed"), [("bo", True), ("sam", True), ("carl", True), ("eve", False)]
)
def test_wont_do_is_for_the_owner_the_raiser_or_the_commander(actor, allowed):
    refusal = _check(
        BASE + CLOSED,
        "action_item_updated",
        actor,
        target_id="todo-1",
        status="wont_do",
        reason="superseded",
    )
    assert (refusal is None) is allowed
    if not allowed:
        assert "won't do needs its owner (bo)" in refusal


def test_a_risk_log_opens_with_risk_raised_on_the_policy_scales():
    raised = {"title": "Single primary", "likelihood": "likely", "impact": "severe"}
    assert _check((), "risk_raised", stream=RISK, **raised) is None
    assert "scale is negligible, minor" in _check(
        (), "risk_raised", stream=RISK, **raised | {"impact": "huge"}
    )
    assert "must be written 'likely'" in _check(
        (), "risk_raised", stream=RISK, **raised | {"likelihood": "Likely"}
    )
    assert "named risk-" in _check((), "risk_raised", stream="inc-zzz", **raised)
    assert "risk_raised entry is missing" in _check((), "risk_updated", stream=RISK, owner="x")
    assert "only risk entries" in _check(
        (), "declaration", stream=RISK, title="t", incident_type="outage", severity="SEV2"
    )
    log = (make_event("risk_raised", RISK, **raised),)
    assert _check(log, "risk_updated", stream=RISK, status="mitigating") is None
    assert "already raised" in _check(log, "risk_raised", stream=RISK, **raised)
    assert "only risk entries" in _check(log, "note", stream=RISK, text="hi")
    assert "no such link" in _check(log, "risk_linked", stream=RISK, incident_ref=INC, removed=True)
    # A link names another log: judged against it where it is known, refused where not.
    incident = fold(BASE)
    assert "no incident 'inc-test01' is known here" in _check(
        log, "risk_linked", stream=RISK, incident_ref=INC
    )
    for action_id in (None, "todo-1"):
        assert _linked(log, incident, incident_ref=INC, action_id=action_id) is None, action_id
    assert f"no action item 'hyp-1' in {INC}" == _linked(
        log, incident, incident_ref=INC, action_id="hyp-1"
    )
    assert "is a risk of the register, not an incident" in _linked(log, incident, incident_ref=RISK)


def test_risk_entries_never_go_on_an_incident_log():
    refusal = _check(BASE, "risk_updated", owner="x")
    assert refusal and "risks are kept in the register" in refusal
