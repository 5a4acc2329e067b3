"""The records of "learning after" fold from events alone: action items and their
updates, hypothesis outcomes, contributing factors, a risk's own log."""

from tests.factories import T0, declaration, make_event
from warroom.core.events import Event
from warroom.core.fold import fold

INC = "inc-learn1"
RISK = "risk-abc123"


def _todo(**fields) -> Event:
    return make_event("todo", INC, minute=1, event_id="todo-1", text="Add a canary", **fields)


def test_an_old_todo_folds_into_an_open_action_item_with_nothing_else_set():
    item = fold([declaration(INC), _todo(owner="bo")]).action_items["todo-1"]
    assert (item.text, item.owner, item.created_by, item.status) == (
        "Add a canary",
        "bo",
        "alice",
        "open",
    )
    assert (item.priority, item.action_type, item.ticket, item.due) == (None, None, None, None)


def test_updates_reassign_redate_and_close_an_item_last_writer_wins():
    due = "2026-12-01T00:00:00+00:00"
    events = [
        declaration(INC),
        _todo(priority="high", action_type="preventive", ticket="https://t/1"),
        make_event("action_item_updated", INC, minute=2, target_id="todo-1", owner="cy"),
        make_event("action_item_updated", INC, minute=3, target_id="todo-1", due=due),
        make_event("action_item_updated", INC, minute=4, target_id="todo-1", status="in_progress"),
        make_event("action_item_updated", INC, minute=5, target_id="todo-1", status="done"),
    ]
    item = fold(events).action_items["todo-1"]
    assert (item.owner, item.due.isoformat(), item.status) == ("cy", due, "done")
    assert (item.priority, item.action_type, item.ticket) == ("high", "preventive", "https://t/1")
    assert item.done_at == events[-1].occurred_at and len(item.history) == 4
    assert item.closed and not item.overdue(T0.replace(year=2030))


def test_wont_do_keeps_its_reason_and_reopening_clears_done():
    events = [
        declaration(INC),
        _todo(),
        make_event("action_item_updated", INC, target_id="todo-1", status="done"),
        make_event(
            "action_item_updated", INC, target_id="todo-1", status="wont_do", reason="replaced"
        ),
    ]
    item = fold(events).action_items["todo-1"]
    assert (item.status, item.reason, item.done_at) == ("wont_do", "replaced", None)


def test_an_update_of_an_unknown_item_changes_nothing_and_replays_are_idempotent():
    update = make_event("action_item_updated", INC, target_id="todo-1", owner="cy")
    early = fold([declaration(INC), update])
    assert early.action_items == {} and early.event_count == 2
    events = [declaration(INC), _todo(), update]
    once = fold(events)
    assert fold(events, once) == once
    assert fold(events[2:], fold(events[:2])) == once


def test_overdue_is_an_open_item_past_its_due_time():
    item = fold([declaration(INC), _todo(due=T0.isoformat())]).action_items["todo-1"]
    assert item.overdue(T0.replace(hour=10)) and not item.overdue(T0.replace(hour=8))


def test_a_hypothesis_carries_its_latest_outcome_and_factors_are_listed():
    events = [
        declaration(INC),
        make_event("hypothesis", INC, event_id="hyp-1", text="bad deploy"),
        make_event("hypothesis_outcome", INC, target_id="hyp-1", outcome="confirmed"),
        make_event(
            "hypothesis_outcome",
            INC,
            actor="bo",
            target_id="hyp-1",
            outcome="ruled_out",
            reason="the rollback did not help",
        ),
        make_event("contributing_factor", INC, event_id="f-1", text="no canary stage"),
    ]
    state = fold(events)
    record = state.hypotheses["hyp-1"]
    assert (record.text, record.outcome, record.outcome_reason, record.outcome_by) == (
        "bad deploy",
        "ruled_out",
        "the rollback did not help",
        "bo",
    )
    assert [f.text for f in state.factors.values()] == ["no canary stage"]


def test_a_risk_log_folds_into_the_risk_with_its_links():
    events = [
        make_event(
            "risk_raised",
            RISK,
            title="Single DB primary",
            likelihood="possible",
            impact="severe",
            owner="dee",
        ),
        make_event("risk_updated", RISK, minute=1, likelihood="likely", status="mitigating"),
        make_event("risk_linked", RISK, minute=2, incident_ref=INC),
        make_event("risk_linked", RISK, minute=3, incident_ref=INC, action_id="todo-1"),
        make_event("risk_linked", RISK, minute=4, incident_ref=INC, action_id="todo-1"),
        make_event("risk_linked", RISK, minute=5, incident_ref="inc-other", removed=True),
    ]
    state = fold(events)
    risk = state.risk
    assert (state.title, risk.likelihood, risk.impact, risk.status, risk.owner) == (
        "Single DB primary",
        "likely",
        "severe",
        "mitigating",
        "dee",
    )
    assert [link.incident_id for link in risk.incidents] == [INC]
    assert [link.action_id for link in risk.mitigations] == ["todo-1"]
    unlinked = fold([make_event("risk_linked", RISK, incident_ref=INC, removed=True)], state)
    assert unlinked.risk.incidents == [] and len(unlinked.risk.mitigations) == 1
    assert fold(events[3:], fold(events[:3])) == state
