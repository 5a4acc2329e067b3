import json

import pytest
from pydantic import ValidationError

from tests.factories import declaration, make_event
from warroom.core.events import EVENT_LIST, KINDS, Event, UnknownPayload, payload_text


def test_every_kind_in_the_spec_has_a_model():
    spec_kinds = {
        "declaration",
        "note",
        "observation",
        "action",
        "decision",
        "hypothesis",
        "todo",
        "status_update",
        "severity_changed",
        "status_changed",
        "phase_changed",
        "role_assigned",
        "role_released",
        "handoff",
        "handoff_accepted",
        "checklist_marked",
        "escalation",
        "alert_received",
        "threshold_crossed",
        "correction",
        "retraction",
    }
    assert spec_kinds <= set(KINDS)


def test_unknown_future_kind_is_kept_whole_and_round_trips():
    event = make_event("note", text="x")
    raw = event.model_dump(mode="json") | {"payload": {"kind": "ai_summary", "text": "hi", "n": 3}}
    parsed = Event.model_validate(raw)
    assert isinstance(parsed.payload, UnknownPayload)
    assert parsed.kind == "ai_summary"
    assert parsed.model_dump(mode="json")["payload"] == {"kind": "ai_summary", "text": "hi", "n": 3}
    assert "unknown event kind" in payload_text(parsed.payload)


def test_known_kind_with_bad_fields_is_rejected_not_downgraded_to_unknown():
    with pytest.raises(ValidationError):
        make_event("severity_changed")  # severity missing


def test_text_is_stripped_and_empty_text_rejected():
    assert make_event("note", text="  spaced  ").payload.text == "spaced"
    with pytest.raises(ValidationError):
        make_event("note", text="   ")


def test_oversized_text_is_rejected():
    with pytest.raises(ValidationError):
        make_event("note", text="x" * 10_001)


def test_naive_timestamps_are_rejected():
    raw = make_event("note", text="x").model_dump(mode="json")
    raw["occurred_at"] = "2026-11-24T09:00:00"
    with pytest.raises(ValidationError):
        Event.model_validate(raw)


def test_bulk_json_validation_matches_single():
    events = [declaration(), make_event("note", text="a"), make_event("decision", text="b")]
    body = "[" + ",".join(e.model_dump_json() for e in events) + "]"
    assert EVENT_LIST.validate_json(body) == events


def test_payload_text_covers_every_known_kind():
    samples = {
        "declaration": {"title": "t", "incident_type": "outage", "severity": "SEV1"},
        "severity_changed": {"severity": "SEV1"},
        "status_changed": {"status": "monitoring"},
        "reopened": {"reason": "it came back"},
        "phase_changed": {"phase": "recovery"},
        "role_assigned": {"role": "scribe", "person": "bob"},
        "role_released": {"role": "scribe", "person": "bob"},
        "handoff": {"role": "commander", "to_person": "carol"},
        "handoff_accepted": {"role": "commander", "person": "carol"},
        "checklist_marked": {"phase": "triage", "item": "x"},
        "escalation": {"target": "tier2"},
        "alert_received": {"source": "am", "summary": "s"},
        "threshold_crossed": {"metric": "p99", "value": 3, "threshold": 2},
        "correction": {"target_id": "e1", "text": "t"},
        "retraction": {"target_id": "e1", "reason": "r"},
        "milestone": {"milestone": "mitigated", "at": "2026-11-24T10:00:00Z"},
        "services_changed": {"services": ["a"]},
        "runbook_attached": {
            "runbook_id": "dns",
            "title": "DNS",
            "content_hash": "0" * 64,
            "steps": [{"id": "triage-1", "title": "Look", "line": 3}],
        },
        "runbook_step": {"runbook_id": "dns", "step_id": "triage-1", "action": "claim"},
        "command_run": {
            "runbook_id": "dns",
            "step_id": "triage-1",
            "command": "dig example.com",
            "exit_code": 0,
            "duration_s": 0.2,
        },
        "action_item_updated": {"target_id": "e1", "status": "done"},
        "hypothesis_outcome": {"target_id": "e1", "outcome": "confirmed"},
        "risk_raised": {"title": "t", "likelihood": "likely", "impact": "major"},
        "risk_updated": {"owner": "dee"},
        "risk_linked": {"incident_ref": "inc-1"},
    }
    for kind in KINDS:
        payload = samples.get(kind, {"text": "some text"})
        text = payload_text(make_event(kind, **payload).payload)
        assert text and "unknown" not in text, kind


def test_a_newer_field_on_a_known_kind_is_kept_and_folds():
    """An older client must fold a newer client's event and pass its new field on."""
    raw = make_event("note", text="x").model_dump(mode="json")
    raw["payload"]["confidence"] = "high"
    parsed = Event.model_validate(raw)
    assert parsed.payload.text == "x"
    assert parsed.model_dump(mode="json")["payload"]["confidence"] == "high"
    assert EVENT_LIST.validate_json(json.dumps([raw]))[0] == parsed


def test_escalation_contract_defaults_keep_old_records_and_name_what_goes_out():
    """An escalation recorded before ``action``/``rule``/``step`` existed is a page from no
    rule; a notify reads as one; an action outside page|notify is refused."""
    old = make_event("escalation", target="tier2", reason="SEV1 unacknowledged")
    assert (old.payload.action, old.payload.rule, old.payload.step) == ("page", "", "")
    notify = make_event(
        "escalation", target="executive", action="notify", rule="sev1-unmitigated", step="x"
    )
    assert payload_text(notify.payload) == "Notify executive"
    with pytest.raises(ValidationError):
        make_event("escalation", target="tier2", action="email")


def test_a_ladder_step_on_the_record_folds_as_fired_once():
    """The scheduler's idempotency rests on this: the first escalation carrying a step is
    the firing that stands; a hand-made escalation fires no step."""
    from warroom.core.fold import fold

    state = fold(
        [
            declaration(),
            make_event("escalation", target="tier2", minute=1),
            make_event("escalation", target="tier2", rule="r", step="r", minute=5, reason="late"),
            make_event("escalation", target="tier3", rule="r", step="r", minute=6),
        ]
    )
    assert list(state.fired_steps) == ["r"]
    assert (state.fired_steps["r"].target, state.fired_steps["r"].reason) == ("tier2", "late")
