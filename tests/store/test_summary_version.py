"""Saved summaries outlive a fold-format change (issue 11): the first ``warroom list``
after a ``FOLD_VERSION`` bump refolded every incident (24 s at 10,000 incidents) though
no summary had changed. The summaries carry their own version instead, and the summary
a known record folds to is pinned here, so a fold change that alters it fails until
``SUMMARY_VERSION`` is bumped."""

import importlib
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from tests.store.test_scaling import fill
from warroom.actions import WarRoom
from warroom.core.fold import fold
from warroom.core.policy import default_policy
from warroom.store import local, summaries
from warroom.store.local import LocalStore

PINNED = {
    12001: {
        "title": "Checkout 502s",
        "severity": "SEV1",
        "status": "identified",
        "phase": "containment",
        "commander": "cho",
        "drill": True,
        "events": 6,
    },
}
"""What the record below folds to, per summary version: add the new version's line
when a fold change alters it (and bump ``SUMMARY_VERSION``)."""


def test_the_summary_of_a_known_record_is_pinned_to_its_version(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "w.db")
    room = WarRoom(store, default_policy(), "ana")
    at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    incident_id = room.declare(
        "Checkout 502s",
        severity="SEV2",
        incident_type="outage",
        drill=True,
        at=at,
        take_command=False,
    ).incident_id
    room.log(incident_id, "502s on checkout", kind="observation")
    room.set_severity(incident_id, "SEV1")
    room.assign(incident_id, "commander", "cho")
    room.set_phase(incident_id, "containment")
    room.set_status(incident_id, "identified")
    summary = asdict(summaries.summarize(fold(store.events(incident_id))))
    assert summary.pop("id") == incident_id
    assert summary.pop("declared_at") == at.isoformat()
    assert summary == PINNED[summaries.SUMMARY_VERSION]
    store.close()


def test_a_fold_version_bump_keeps_the_saved_summaries(tmp_path: Path, monkeypatch) -> None:
    store = LocalStore(tmp_path / "w.db")
    for n in range(20):
        fill(store, f"inc-{n:03d}", 5)
    first = summaries.incident_summaries(store)
    monkeypatch.setattr(local, "FOLD_VERSION", local.FOLD_VERSION + 1)
    bumped = importlib.reload(summaries)  # the module as a build with the bump loads it
    folds = []
    monkeypatch.setattr(LocalStore, "state", lambda self, i: folds.append(i))
    try:
        assert bumped.incident_summaries(store) == first
        assert folds == []
    finally:
        monkeypatch.undo()
        importlib.reload(summaries)
        store.close()
