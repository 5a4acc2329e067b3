from datetime import timedelta

from tests.factories import T0, declaration, make_event
from warroom.core.clocks import update_clocks
from warroom.core.fold import fold
from warroom.core.ladder import escalation_ladder
from warroom.core.metrics import incident_metrics
from warroom.core.policy import default_policy


def test_all_metrics_from_milestones():
    state = fold(
        [
            declaration(impact_started_at=T0 - timedelta(minutes=10)),
            make_event("role_assigned", role="commander", person="alice", minute=3),
            make_event("status_changed", status="monitoring", minute=30),
            make_event("status_changed", status="resolved", minute=50),
        ]
    )
    metrics = incident_metrics(state)
    assert metrics.mttd == timedelta(minutes=10)
    assert metrics.mtta == timedelta(minutes=3)
    assert metrics.mttm == timedelta(minutes=40)
    assert metrics.mttr == timedelta(minutes=60)


def test_missing_milestones_give_unknown_never_a_number():
    metrics = incident_metrics(fold([declaration()]))
    assert metrics.mttd is None and metrics.mttm is None and metrics.mttr is None
    assert metrics.mtta is None


def test_milestones_in_the_wrong_order_give_unknown():
    state = fold(
        [
            declaration(impact_started_at=T0 + timedelta(minutes=5)),
        ]
    )
    assert incident_metrics(state).mttd is None


def test_update_clock_counts_from_last_update_and_goes_overdue():
    policy = default_policy()
    state = fold(
        [
            declaration(severity="SEV1"),
            make_event("status_update", text="x", audience="external", minute=10),
        ]
    )
    clocks = {c.audience: c for c in update_clocks(policy, state, T0 + timedelta(minutes=25))}
    assert clocks["external"].due_at == T0 + timedelta(minutes=30)
    assert not clocks["external"].overdue
    assert clocks["internal"].due_at == T0 + timedelta(minutes=30)
    late = {c.audience: c for c in update_clocks(policy, state, T0 + timedelta(minutes=45))}
    assert late["external"].overdue and late["internal"].overdue


def test_external_cadence_window_ends_and_resolved_incidents_have_no_clocks():
    policy = default_policy()
    state = fold([declaration(severity="SEV1")])
    audiences = {c.audience for c in update_clocks(policy, state, T0 + timedelta(hours=3))}
    assert "external" not in audiences and "internal" in audiences
    resolved = fold([make_event("status_changed", status="resolved", minute=5)], state)
    assert update_clocks(policy, resolved, T0 + timedelta(minutes=6)) == []


def test_escalation_ladder_fires_with_a_reason_and_says_what_is_next():
    policy = default_policy()
    state = fold([declaration(severity="SEV1")])
    early = {s.rule.id: s for s in escalation_ladder(policy, state, T0 + timedelta(minutes=2))}
    assert not early["sev1-unacknowledged"].fired
    assert early["sev1-unacknowledged"].fires_at == T0 + timedelta(minutes=5)
    late = {s.rule.id: s for s in escalation_ladder(policy, state, T0 + timedelta(minutes=6))}
    assert late["sev1-unacknowledged"].due  # due: fired only once on the record (test_ladder)
    assert "not acknowledged within 5 min" in late["sev1-unacknowledged"].reason
    acked = fold([make_event("role_assigned", role="commander", person="a", minute=1)], state)
    settled = {s.rule.id: s for s in escalation_ladder(policy, acked, T0 + timedelta(minutes=6))}
    assert settled["sev1-unacknowledged"].settled and not settled["sev1-unacknowledged"].fired
    assert "major-unacknowledged" not in settled  # a SEV2 rule
