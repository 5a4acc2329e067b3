"""The fold: unit tests of each rule, and property tests of its algebra."""

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import T0, declaration, make_event
from warroom.core.fold import fold


def test_declaration_sets_the_header_and_milestones():
    state = fold([declaration(services=["checkout-api"])])
    assert (state.title, state.severity, state.incident_type) == ("Checkout 502s", "SEV2", "outage")
    assert state.services == ["checkout-api"]
    assert state.milestones["declared"] == T0
    assert state.milestones["detected"] == T0
    assert "impact_started" not in state.milestones


def test_single_valued_fields_last_writer_wins():
    state = fold(
        [
            declaration(),
            make_event("severity_changed", severity="SEV1", minute=1),
            make_event("severity_changed", severity="SEV3", minute=2),
            make_event("phase_changed", phase="containment", minute=3),
            make_event("status_changed", status="identified", minute=4),
        ]
    )
    assert (state.severity, state.phase, state.status) == ("SEV3", "containment", "identified")
    assert state.severity_since == T0 + timedelta(minutes=2)


def test_roles_keep_history_and_a_handoff_completes_when_accepted():
    state = fold(
        [
            declaration(),
            make_event("role_assigned", role="commander", person="alice", minute=1),
            make_event("role_assigned", role="scribe", person="bob", minute=1),
            make_event("handoff", role="commander", to_person="carol", minute=10),
        ]
    )
    assert state.commander == "alice"  # an offer only: alice holds command until carol accepts
    offer = state.pending_handoff("commander")
    assert (offer.from_person, offer.to_person, offer.at) == (
        "alice",
        "carol",
        T0 + timedelta(minutes=10),
    )
    assert [h.to_person for h in state.pending_handoffs()] == ["carol"]
    accepted = fold(
        [make_event("handoff_accepted", role="commander", person="carol", minute=11)], state
    )
    assert accepted.commander == "carol"
    alice = next(t for t in accepted.tenures if t.person == "alice")
    assert alice.released_at == T0 + timedelta(minutes=11)
    assert alice.time_in_role(T0 + timedelta(hours=1)) == timedelta(minutes=10)
    assert accepted.pending_handoffs() == []
    assert accepted.milestones["acknowledged"] == T0 + timedelta(minutes=1)


def test_shadow_does_not_become_commander_until_handed_off():
    state = fold(
        [
            declaration(),
            make_event("role_assigned", role="commander", person="alice"),
            make_event("role_assigned", role="commander", person="tim", shadow=True),
        ]
    )
    assert state.commander == "alice"
    offered = fold([make_event("handoff", role="commander", to_person="tim", minute=5)], state)
    assert offered.commander == "alice"
    stepped_up = fold(
        [make_event("handoff_accepted", role="commander", person="tim", minute=6)], offered
    )
    assert stepped_up.commander == "tim"
    assert [t.person for t in stepped_up.holders("commander")] == ["tim"]


def test_checklist_marks_are_set_operations():
    marks = [make_event("checklist_marked", phase="triage", item="set-severity", checked=True)] * 2
    state = fold([declaration(), *marks])
    assert state.is_checked("triage", "set-severity")
    cleared = fold(
        [make_event("checklist_marked", phase="triage", item="set-severity", checked=False)], state
    )
    assert not cleared.is_checked("triage", "set-severity")
    again = fold(
        [make_event("checklist_marked", phase="triage", item="set-severity", checked=False)],
        cleared,
    )
    assert not again.is_checked("triage", "set-severity")


def test_corrections_and_retractions_point_at_the_original():
    note = make_event("note", text="p99 4s")
    other = make_event("note", text="db fine")
    state = fold(
        [
            declaration(),
            note,
            other,
            make_event("correction", target_id=note.id, text="p99 40s"),
            make_event("retraction", target_id=other.id, reason="wrong dashboard"),
        ]
    )
    assert state.fixes[note.id].text == "p99 40s" and not state.fixes[note.id].retracted
    assert state.fixes[other.id].retracted


def test_status_changes_derive_mitigated_and_resolved_once():
    state = fold(
        [
            declaration(impact_started_at=T0 - timedelta(minutes=10)),
            make_event("status_changed", status="monitoring", minute=30),
            make_event("status_changed", status="investigating", minute=40),
            make_event("status_changed", status="monitoring", minute=50),
            make_event("status_changed", status="resolved", minute=60),
        ]
    )
    assert state.milestones["mitigated"] == T0 + timedelta(minutes=30)
    assert state.milestones["resolved"] == T0 + timedelta(minutes=60)


def test_explicit_milestone_overrides_derived_one():
    state = fold(
        [
            declaration(),
            make_event("status_changed", status="monitoring", minute=30),
            make_event(
                "milestone", milestone="mitigated", at=(T0 + timedelta(minutes=20)).isoformat()
            ),
        ]
    )
    assert state.milestones["mitigated"] == T0 + timedelta(minutes=20)


def test_unknown_kinds_are_counted_not_fatal():
    future = make_event("note", text="x").model_dump(mode="json")
    future["payload"] = {"kind": "ai_summary", "text": "later"}
    from warroom.core.events import Event

    state = fold([declaration(), Event.model_validate(future)])
    assert state.unknown_count == 1 and state.event_count == 2


def test_events_of_another_incident_are_ignored():
    state = fold([declaration(), make_event("note", "inc-other", text="elsewhere")])
    assert state.event_count == 1


def test_status_updates_feed_the_cadence_clock_per_audience():
    state = fold(
        [
            declaration(),
            make_event("status_update", text="a", audience="external", minute=5),
            make_event("status_update", text="b", audience="external", minute=3),
        ]
    )
    assert state.last_update == {"external": T0 + timedelta(minutes=5)}


def test_empty_log_needs_an_initial_state():
    with pytest.raises(ValueError):
        fold([])


# -- properties ------------------------------------------------------------------------

_people = st.sampled_from(["alice", "bob", "carol", "dave"])
_roles = st.sampled_from(["commander", "deputy", "scribe", "sme"])
_items = st.sampled_from(
    [("triage", "set-severity"), ("triage", "assign-roles"), ("containment", "fix")]
)


@st.composite
def _event(draw):
    minute = draw(st.integers(0, 600))
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return make_event(
            "severity_changed",
            severity=draw(st.sampled_from(["SEV1", "SEV2", "SEV3"])),
            minute=minute,
        )
    if choice == 1:
        return make_event(
            "phase_changed",
            phase=draw(st.sampled_from(["triage", "containment", "recovery"])),
            minute=minute,
        )
    if choice == 2:
        return make_event(
            "role_assigned",
            role=draw(_roles),
            person=draw(_people),
            minute=minute,
            shadow=draw(st.booleans()),
        )
    if choice == 3:
        return make_event("role_released", role=draw(_roles), person=draw(_people), minute=minute)
    if choice == 4:
        return make_event("handoff", role=draw(_roles), to_person=draw(_people), minute=minute)
    if choice == 5:
        phase, item = draw(_items)
        return make_event(
            "checklist_marked", phase=phase, item=item, checked=draw(st.booleans()), minute=minute
        )
    if choice == 6:
        return make_event(
            "status_changed",
            status=draw(st.sampled_from(["identified", "monitoring", "resolved"])),
            minute=minute,
        )
    if choice == 7:
        return make_event(
            "status_update",
            text="u",
            audience=draw(st.sampled_from(["internal", "external"])),
            minute=minute,
        )
    if choice == 8:
        return make_event(
            "handoff_accepted", role=draw(_roles), person=draw(_people), minute=minute
        )
    return make_event(
        "note", text=draw(st.text(min_size=1, max_size=20).filter(str.strip)), minute=minute
    )


_logs = st.lists(_event(), max_size=40).map(lambda rest: [declaration(), *rest])


def _dump(state):
    return state.model_dump(mode="json")


@settings(max_examples=150, deadline=None)
@given(_logs, st.data())
def test_folding_a_prefix_then_the_rest_equals_folding_all(log, data):
    cut = data.draw(st.integers(1, len(log)))
    assert _dump(fold(log[cut:], fold(log[:cut]))) == _dump(fold(log))


@settings(max_examples=150, deadline=None)
@given(_logs, st.data())
def test_duplicate_event_ids_change_nothing(log, data):
    """A re-delivered event (sync retries, replays) anywhere after its original is a no-op."""
    noisy = list(log)
    for event in data.draw(st.lists(st.sampled_from(log), max_size=10)):
        original = noisy.index(event)
        noisy.insert(data.draw(st.integers(original + 1, len(noisy))), event)
    assert _dump(fold(noisy)) == _dump(fold(log))


@settings(max_examples=100, deadline=None)
@given(_logs)
def test_same_events_same_order_same_state(log):
    assert _dump(fold(log)) == _dump(fold(list(log)))


@settings(max_examples=50, deadline=None)
@given(_logs)
def test_fold_does_not_mutate_the_initial_state(log):
    base = fold(log[:1])
    before = _dump(base)
    fold(log[1:], base)
    assert _dump(base) == before
