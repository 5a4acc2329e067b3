"""Folding stored rows sets the state's bookkeeping once per fold, not once per event,
and builds no model per event (issue 11: fold <= 1.5x a plain-dict fold; a model
attribute set costs a Python call, a model built a validation)."""

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel

from tests.factories import T0, make_event
from warroom.core import events as ev
from warroom.core.fold import fold
from warroom.core.learning_state import FactorRecord, HypothesisRecord
from warroom.core.state import CheckMark, Crossing, EntryFix, IncidentState, StatusUpdateMark
from warroom.core.stored_events import decode_stored, fold_view
from warroom.store.local import LocalStore


def test_a_cold_fold_notes_events_at_once(tmp_path: Path, monkeypatch) -> None:
    store = LocalStore(tmp_path / "w.db")
    with store._transaction():
        for n in range(600):
            payload = (
                ev.Declaration(title="t", incident_type="outage", severity="SEV3")
                if n == 0
                else ev.ChecklistMarked(phase="triage", item=f"i{n % 7}", checked=n % 2 == 0)
            )
            at = T0 + timedelta(seconds=n)
            store._insert(
                ev.Event(
                    id=f"e{n}", incident_id="inc-a", actor="bo", occurred_at=at,
                    recorded_at=at, device_id="d", device_seq=n + 1, payload=payload,
                )
            )  # fmt: skip
    sets = []
    original = IncidentState.__setattr__

    def counted(self, name, value):
        sets.append(name)
        original(self, name, value)

    monkeypatch.setattr(IncidentState, "__setattr__", counted)
    state = store.state("inc-a")
    monkeypatch.undo()
    assert len(sets) < 30, len(sets)  # was two per event (count, newest time)
    assert state == fold(store.events("inc-a"))
    store.close()


def test_state_folds_onto_the_snapshot_it_parsed_without_copying_it(tmp_path: Path, monkeypatch):
    """A snapshot is parsed fresh for each ``state``: copying it again cost more than
    folding the tail (2 s at 100k events holding 20k decisions)."""
    store = LocalStore(tmp_path / "w.db")
    with store._transaction():
        for n in range(300):
            payload = (
                ev.Declaration(title="t", incident_type="outage", severity="SEV3")
                if n == 0
                else ev.Decision(text=f"decision {n}")
            )
            at = T0 + timedelta(seconds=n)
            store._insert(
                ev.Event(
                    id=f"e{n}", incident_id="inc-a", actor="bo", occurred_at=at,
                    recorded_at=at, device_id="d", device_seq=n + 1, payload=payload,
                )
            )  # fmt: skip
    store.state("inc-a", keep=True)  # the snapshot, then one more row behind it
    store._insert(
        ev.Event(
            id="e-last", incident_id="inc-a", actor="bo", occurred_at=T0, recorded_at=T0,
            device_id="d", device_seq=400, payload=ev.Decision(text="the tail"),
        )
    )  # fmt: skip
    copies = []
    original = IncidentState.__deepcopy__

    def counted(self, memo=None):
        copies.append(self.id)
        return original(self, memo)

    monkeypatch.setattr(IncidentState, "__deepcopy__", counted)
    state = store.state("inc-a")
    monkeypatch.undo()
    assert copies == []
    assert state.model_dump() == fold(store.events("inc-a")).model_dump()
    store.close()


_HOT_KINDS = (
    {"kind": "checklist_marked", "phase": "triage", "item": "page-owner", "checked": True},
    {"kind": "status_update", "text": "we are on it", "audience": "internal"},
    {"kind": "hypothesis", "text": "the canary"},
    {"kind": "contributing_factor", "text": "no alert on the queue"},
    {"kind": "threshold_crossed", "metric": "p99", "value": 2.5, "threshold": 1.0},
    {"kind": "correction", "target_id": "e1", "text": "fixed wording"},
)


def test_a_cold_fold_builds_no_pydantic_model_per_event(tmp_path: Path, monkeypatch) -> None:
    """The kinds that pile up by the thousand decode as slotted fold views and fold into
    slotted records: a model built (and validated) per event cost a third of the fold."""
    store = LocalStore(tmp_path / "w.db")
    with store._transaction():
        for n in range(300):
            at = T0 + timedelta(seconds=n)
            payload = (
                ev.Declaration(title="t", incident_type="outage", severity="SEV3")
                if n == 0
                else _HOT_KINDS[n % len(_HOT_KINDS)]
            )
            store._insert(
                ev.Event(
                    id=f"e{n}", incident_id="inc-a", actor="bo", occurred_at=at,
                    recorded_at=at, device_id="d", device_seq=n + 1, payload=payload,
                )
            )  # fmt: skip
    built = []
    original = BaseModel.__init__

    def counted(self, **data):
        built.append(type(self).__name__)
        original(self, **data)

    monkeypatch.setattr(BaseModel, "__init__", counted)
    state = store.state("inc-a")
    monkeypatch.undo()
    assert len(built) < 10, built  # was one per event, a CheckMark or a StatusUpdateMark...
    assert state.model_dump() == fold(store.events("inc-a")).model_dump()
    assert len(state.hypotheses) == len(state.factors) == 50
    store.close()


def test_the_stored_rows_of_a_plain_kind_decode_as_slotted_views() -> None:
    events = [make_event(**body) for body in _HOT_KINDS]
    rows = [(n, event.kind, event.model_dump_json()) for n, event in enumerate(events, 1)]
    for event, body in zip(decode_stored(rows), _HOT_KINDS, strict=True):
        assert not isinstance(event.payload, BaseModel) and not hasattr(event.payload, "__dict__")
        assert {name: getattr(event.payload, name) for name in body} == body


def test_a_kind_with_validators_of_its_own_decodes_as_its_model() -> None:
    assert fold_view(ev.RunbookStepMarked) is ev.RunbookStepMarked
    assert fold_view(ev.ChecklistMarked) is not ev.ChecklistMarked


def test_a_state_of_slotted_records_reads_back_from_its_snapshot_as_it_was() -> None:
    """The records' JSON is what their models wrote (no FOLD_VERSION bump needed), and a
    snapshot read back holds the same records."""
    state = IncidentState(id="inc-a")
    state.checklist["triage/x"] = CheckMark(checked=True, by="bo", at=T0)
    state.status_updates["e1"] = StatusUpdateMark(audience="internal", at=T0)
    state.fixes["e1"] = EntryFix(by_event="e2", text="better")
    state.crossings["p99"] = Crossing(value=2.5, since=T0, at=T0)
    state.hypotheses["e3"] = HypothesisRecord(event_id="e3", text="h", by="bo", at=T0)
    state.factors["e4"] = FactorRecord(event_id="e4", text="f", by="bo", at=T0)
    text = state.model_dump_json()
    assert '"checklist":{"triage/x":{"checked":true,"by":"bo","at":"2026-11-24T09:00:00Z"' in text
    assert '"factors":{"e4":{"event_id":"e4","text":"f","by":"bo","at":"2026-11-24T09:' in text
    back = IncidentState.model_validate_json(text)
    assert back == state and isinstance(back.checklist["triage/x"], CheckMark)
