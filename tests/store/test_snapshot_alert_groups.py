"""A cached fold from before the alert groups became a map (fold version 11 kept them as
a list) is folded again from the record, not read into the new shape."""

import json
from pathlib import Path

from warroom.actions import WarRoom
from warroom.core.policy import default_policy
from warroom.store import local_fold
from warroom.store.local import LocalStore

LIST_GROUPS_FOLD_VERSION = 11
"""The last fold version whose snapshots hold ``alert_groups`` as a list."""


def test_a_snapshot_with_the_groups_as_a_list_is_folded_again(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(local_fold, "SNAPSHOT_EVERY", 1)
    with LocalStore(tmp_path / "w.db") as store:
        room = WarRoom(store, default_policy(), "intake:alertmanager", automation=True)
        incident = room.declare("checkout slow", severity="SEV2", incident_type="outage")
        for n, group in enumerate(["g-a", "g-b", "g-a"]):
            room.alert(
                incident.incident_id,
                "alertmanager",
                f"alert {n}",
                {},
                fingerprint=f"fp-{n}",
                group_key=group,
            )
        store.state(incident.incident_id)  # caches a snapshot through the last entry
        (saved,) = store.conn.execute("SELECT state FROM snapshots").fetchone()
        old = json.loads(saved) | {"alert_groups": ["g-a", "g-b"]}
        store.conn.execute(
            "UPDATE snapshots SET fold_version = ?, state = ?",
            (LIST_GROUPS_FOLD_VERSION, json.dumps(old)),
        )
        assert store.state(incident.incident_id).alert_groups == {"g-a": 2, "g-b": 1}
