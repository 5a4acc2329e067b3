"""The follow-ups cache gives what a fold from scratch gives, and a second listing over
many incidents folds nothing (only an incident changed since is refolded)."""

from datetime import timedelta
from pathlib import Path

from tests.factories import T0
from tests.store.test_scaling import fill
from warroom.actions import WarRoom
from warroom.core.fold import fold
from warroom.core.followups import standing_items
from warroom.core.policy import default_policy
from warroom.store.followups import action_rows, incident_follow_ups, register_rows
from warroom.store.local import LocalStore


def _from_scratch(store: LocalStore) -> dict:
    return {
        iid: [i.model_dump() for i in standing_items(fold(store.events(iid)))]
        for iid in store.incident_ids()
        if not iid.startswith("risk-")
    }


def _cached(store: LocalStore) -> dict:
    found = {iid: [] for iid in store.incident_ids() if not iid.startswith("risk-")}
    for group in incident_follow_ups(store):
        found[group.incident_id] = [item.model_dump() for item in group.items]
    return found


def test_the_cache_is_the_fold_and_a_second_listing_folds_nothing(tmp_path: Path, monkeypatch):
    store = LocalStore(tmp_path / "w.db")
    for n in range(30):
        fill(store, f"inc-{n:03d}", 5)
    room = WarRoom(store, default_policy(), "bo")
    item = room.add_action_item("inc-007", "Add a canary", due=T0 + timedelta(days=1))
    lag = room.add_action_item("inc-012", "Alert on lag", owner="cy")
    risk = room.raise_risk("Single primary", likelihood="likely", impact="major").incident_id
    room.link_risk(risk, "inc-007", item.id[:13])
    assert _cached(store) == _from_scratch(store)
    register_rows(store, room.policy.risks, T0)  # the register's first listing fills it

    folds: list[str] = []
    real_state = LocalStore.state
    monkeypatch.setattr(LocalStore, "state", lambda self, i: folds.append(i) or real_state(self, i))
    first = action_rows(store, T0)
    assert action_rows(store, T0) == first and folds == []
    [flagged] = register_rows(store, room.policy.risks, T0 + timedelta(days=2))
    assert flagged.flags == ["mitigations overdue"] and folds == []

    room.update_action_item("inc-007", item.id[:13], status="done")
    room.correct("inc-012", lag.id, "Alert on consumer lag")
    assert _cached(store) == _from_scratch(store)
    assert sorted(set(folds)) == ["inc-007", "inc-012"]
    [calm] = register_rows(store, room.policy.risks, T0 + timedelta(days=2))
    assert calm.flags == []  # its one mitigation is done, not overdue
