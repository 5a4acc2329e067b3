"""Folding stored rows sets the state's bookkeeping once per fold, not once per event
(issue 11: fold <= 1.5x a plain-dict fold; a model attribute set costs a Python call)."""

from datetime import timedelta
from pathlib import Path

from tests.factories import T0
from warroom.core import events as ev
from warroom.core.fold import fold
from warroom.core.state import IncidentState
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
