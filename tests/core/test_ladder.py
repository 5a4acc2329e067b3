"""The ladder as a pure function: which steps are due, which fired, what fires next."""

from datetime import timedelta

import pytest

from tests.factories import T0, declaration, make_event
from warroom.core.access import check_append
from warroom.core.fold import fold
from warroom.core.ladder import (
    due_steps,
    escalation_ladder,
    next_step,
    severity_raise,
    step_escalation,
)
from warroom.core.policy import PolicyError, default_policy, parse_policy

LADDER = """
[[escalations]]
id = "unack"
when = "unacknowledged"
severities = ["SEV1"]
after_minutes = 5
action = "page"
target = "next-tier"

[[escalations]]
id = "unmitigated"
when = "unmitigated"
after_minutes = 60
action = "notify"
target = "executive-on-call"

[[escalations]]
id = "late-update"
when = "update_overdue"
audience = "internal"
after_minutes = 10
action = "page"
target = "comms-lead"

[[escalations]]
id = "sev1-held"
when = "severity"
severities = ["SEV1"]
after_minutes = 30
action = "notify"
target = "vp-engineering"

[[escalations]]
id = "raise"
when = "unmitigated"
severities = ["SEV3"]
after_minutes = 20
action = "set-severity"
severity = "SEV2"
"""


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def keyed(steps):
    return {step.key: step for step in steps}


def fire(state, step, minute: float):
    """What a scheduler appends: the step's escalation, folded."""
    payload = step_escalation(step, state).model_dump(exclude={"kind"})
    return fold([make_event("escalation", minute=minute, actor="warroom:ladder", **payload)], state)


@pytest.fixture
def policy():
    return parse_policy(LADDER, "ladder.toml")


def test_a_step_is_due_at_its_time_and_fired_once_it_is_on_the_record(policy):
    state = fold([declaration(severity="SEV1")])
    assert "unack" not in keyed(due_steps(policy, state, at(4)))
    assert next_step(escalation_ladder(policy, state, at(4))).key == "unack"
    due = keyed(due_steps(policy, state, at(5)))["unack"]
    assert due.reason == "not acknowledged within 5 min of declaration"
    fired = fire(state, due, 5.1)
    ladder = keyed(escalation_ladder(policy, fired, at(7)))
    assert ladder["unack"].fired and ladder["unack"].record.target == "next-tier"
    assert "unack" not in keyed(due_steps(policy, fired, at(90)))  # never due again


def test_acknowledging_stops_the_unacknowledged_step_even_late(policy):
    state = fold([declaration(severity="SEV1")])
    acked = fold([make_event("milestone", milestone="acknowledged", at=at(8), minute=8)], state)
    step = keyed(escalation_ladder(policy, acked, at(9)))["unack"]
    assert step.settled and "acknowledged" in step.reason
    assert "unack" not in keyed(due_steps(policy, acked, at(9)))


def test_an_overdue_update_fires_once_per_missed_deadline(policy):
    state = fold([declaration(severity="SEV2")])  # SEV2 internal: every 30 min
    assert not [s for s in due_steps(policy, state, at(39)) if s.rule.id == "late-update"]
    (due,) = [s for s in due_steps(policy, state, at(40)) if s.rule.id == "late-update"]
    assert due.key.startswith("late-update@internal@") and "internal update" in due.reason
    fired = fire(state, due, 40)
    assert not [s for s in due_steps(policy, fired, at(45)) if s.rule.id == "late-update"]
    sent = fold([make_event("status_update", text="x", audience="internal", minute=50)], fired)
    (again,) = [s for s in due_steps(policy, sent, at(90)) if s.rule.id == "late-update"]
    assert again.key != due.key  # the next missed deadline is a step of its own


def test_a_severity_held_fires_after_its_minutes(policy):
    state = fold(
        [declaration(severity="SEV2"), make_event("severity_changed", severity="SEV1", minute=10)]
    )
    assert "sev1-held" not in keyed(due_steps(policy, state, at(39)))
    assert keyed(due_steps(policy, state, at(40)))["sev1-held"].reason == "SEV1 for 30 min"


def test_a_resolved_incident_fires_nothing_more(policy):
    state = fold(
        [declaration(severity="SEV1"), make_event("status_changed", status="resolved", minute=1)]
    )
    assert due_steps(policy, state, at(600)) == []


def test_set_severity_only_raises(policy):
    state = fold([declaration(severity="SEV3")])
    step = keyed(due_steps(policy, state, at(20)))["raise"]
    assert severity_raise(policy, step, state) == "SEV2"
    assert step_escalation(step, state).target == "commander"  # nobody named: the commander
    worse = fold([make_event("severity_changed", severity="SEV1", minute=1)], state)
    assert severity_raise(policy, step, worse) is None


def test_the_admit_refuses_a_second_firing_of_a_step(policy):
    """Two schedulers racing, or one retrying after a restart: the second is refused."""
    state = fold([declaration(severity="SEV1")])
    step = keyed(due_steps(policy, state, at(5)))["unack"]
    fired = fire(state, step, 5)
    again = make_event(
        "escalation",
        minute=6,
        actor="warroom:ladder",
        **step_escalation(step, state).model_dump(exclude={"kind"}),
    )
    refusal = check_append(policy, fired, again, author="warroom:ladder", admin=True, now=at(6))
    assert refusal and "already fired" in refusal
    assert (
        check_append(policy, state, again, author="warroom:ladder", admin=True, now=at(6)) is None
    )


def test_ladder_rules_are_checked_with_their_wording():
    with pytest.raises(PolicyError, match="needs a 'target'"):
        parse_policy(
            '[[escalations]]\nid="x"\nwhen="unmitigated"\nafter_minutes=1\naction="page"\n', "p"
        )
    with pytest.raises(PolicyError, match="needs 'severities'"):
        parse_policy(
            '[[escalations]]\nid="x"\nwhen="severity"\nafter_minutes=1\naction="page"\ntarget="t"\n',
            "p",
        )
    with pytest.raises(PolicyError, match="unknown audience"):
        parse_policy(
            '[[escalations]]\nid="x"\nwhen="update_overdue"\naudience="nobody"\nafter_minutes=1\n'
            'action="page"\ntarget="t"\n',
            "p",
        )
    assert default_policy().escalations  # the shipped ladder still validates


def test_a_threshold_step_fires_once_its_signal_has_held_long_enough():
    """The shipped ``latency-p99-sustained`` step: p99 above 2 s for 15 minutes, fed by
    the ``threshold_crossed`` entries alert rules record, while the alert still fires."""
    policy = default_policy()
    alert = {"source": "alertmanager", "summary": "slow", "fingerprint": "fp1"}
    state = fold(
        [
            declaration(severity="SEV3"),
            make_event("alert_received", minute=1, **alert),
            make_event(
                "threshold_crossed", minute=1, metric="p99_latency_ms", value=2450, threshold=2000
            ),
        ]
    )
    key = "latency-p99-sustained"
    waiting = keyed(escalation_ladder(policy, state, at(15.9)))[key]
    assert waiting.status == "armed" and waiting.fires_at == at(16)
    due = keyed(due_steps(policy, state, at(16)))[key]
    assert due.reason == "p99_latency_ms 2450 > 2000 since 09:01 (15 min)"
    assert severity_raise(policy, due, state) is None  # the alert rule raised it already
    assert step_escalation(due, state).target == "next-tier"
    resolved = fold([make_event("alert_received", minute=2, status="resolved", **alert)], state)
    assert keyed(escalation_ladder(policy, resolved, at(19)))[key].status == "waiting"


def test_the_shipped_ladder_does_not_page_again_whom_an_alert_rule_paged():
    """An alert rule pages at once; the ladder step fed by the same threshold is the next
    rung, so one signal never pages one target twice."""
    policy = default_policy()
    for step in (s for s in policy.escalations if s.when == "threshold"):
        feeding = [r for r in policy.rules if step.metric in {t.name for t in r.thresholds}]
        assert feeding, f"nothing feeds {step.id}"
        assert all(r.page != step.target for r in feeding), step.id
