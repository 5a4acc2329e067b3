"""The write path's working fold (``LocalStore.working_state``) is the incident as a
fold from scratch gives it, however the log changed, and an append folds only what was
added since the last one, not the whole incident."""

from pathlib import Path

from tests.store.test_scaling import fill
from warroom.actions import WarRoom
from warroom.core.policy import default_policy
from warroom.store.local import LocalStore

POLICY = default_policy()


def same(store: LocalStore, incident: str) -> bool:
    return store.working_state(incident).model_dump() == store.state(incident).model_dump()


def test_the_working_fold_follows_appends_other_writers_and_deletions(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "w.db")
    room = WarRoom(store, POLICY, "ana")
    incident = room.declare("Queue lag", severity="SEV3", incident_type="outage").incident_id
    for n in range(20):
        room.log(incident, f"entry {n}", kind=("note", "decision")[n % 2])
        assert same(store, incident)
    room.set_severity(incident, "SEV2", "wider than it looked")
    assert store.working_state(incident).severity == "SEV2"

    other = WarRoom(LocalStore(store.path), POLICY, "ana")  # another process's writes
    other.set_severity(incident, "SEV1", "checkout down")
    assert store.working_state(incident).severity == "SEV1" and same(store, incident)

    newest = store.conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    with store._transaction():  # what a refusal does on this very connection
        store.conn.execute("DELETE FROM events WHERE seq = ?", (newest,))
    assert store.working_state(incident).severity == "SEV2" and same(store, incident)
    room.log(incident, "after the refusal")  # takes the freed seq again
    assert same(store, incident)


def test_an_append_folds_what_was_added_not_the_incident(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "w.db")
    room = WarRoom(store, POLICY, "ana")
    incident = room.declare("Long one", severity="SEV2", incident_type="outage").incident_id
    fill(store, incident, 3000, first=1)
    store.state(incident)  # a snapshot of the 3,000 now exists: loading it is the cost
    folded, loaded = [], []
    fold_rows, snapshot = store.fold_rows, store.snapshot

    def counting(*args, **kwargs):
        result = fold_rows(*args, **kwargs)
        folded.append(result[2])
        return result

    def loading(*args):
        loaded.append(args)
        return snapshot(*args)

    store.fold_rows, store.snapshot = counting, loading
    for n in range(5):
        room.log(incident, f"entry {n}")
    assert len(loaded) == 1  # the incident is read whole once (a snapshot parse is O(n))
    assert folded[1:] == [], folded  # then no append reads a row back: each folds its own
    assert same(store, incident)


def test_an_append_elsewhere_does_not_vouch_for_a_fold_already_stale(tmp_path: Path) -> None:
    """A kept fold made stale by a change that is not an append (a refusal deleting a
    row) stays stale when this connection then appends to another incident."""
    store = LocalStore(tmp_path / "w.db")
    room = WarRoom(store, POLICY, "ana")
    first = room.declare("Queue lag", severity="SEV3", incident_type="outage").incident_id
    second = room.declare("Disk full", severity="SEV3", incident_type="outage").incident_id
    room.set_severity(first, "SEV1", "checkout down")
    assert store.working_state(first).severity == "SEV1"
    newest = store.conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    with store._transaction():  # what a refusal does on this very connection
        store.conn.execute("DELETE FROM events WHERE seq = ?", (newest,))
    room.log(second, "meanwhile, elsewhere")
    assert store.working_state(first).severity == "SEV3" and same(store, first)


def test_a_script_logging_entry_after_entry_keeps_the_snapshot_current(
    tmp_path: Path, monkeypatch
) -> None:
    """Each ``warroom log`` is a process of its own whose write path starts from the
    snapshot: appends alone must move it on, or every entry folds all the ones before."""
    from warroom.store import local_fold

    monkeypatch.setattr(local_fold, "SNAPSHOT_EVERY", 10)
    with LocalStore(tmp_path / "w.db") as store:
        room = WarRoom(store, POLICY, "ana")
        incident = room.declare("Disk full", severity="SEV3", incident_type="outage").incident_id
    folded: list[int] = []
    original = LocalStore.fold_rows

    def counted(self, incident_id, after_seq, state):
        result = original(self, incident_id, after_seq, state)
        folded.append(result[2])
        return result

    monkeypatch.setattr(LocalStore, "fold_rows", counted)
    for n in range(45):
        with LocalStore(tmp_path / "w.db") as store:  # one `warroom log` each
            WarRoom(store, POLICY, "ana").log(incident, f"entry {n}", kind="decision")
    assert max(folded) <= 10  # was 45: the whole log, again and again
    with LocalStore(tmp_path / "w.db") as store:
        (through,) = store.conn.execute("SELECT through_seq FROM snapshots").fetchone()
        (newest,) = store.conn.execute("SELECT MAX(seq) FROM events").fetchone()
        assert newest - through < 10
        assert same(store, incident)
