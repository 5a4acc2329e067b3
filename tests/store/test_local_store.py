import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_fold import _logs
from tests.factories import make_event
from warroom.actions import WarRoom
from warroom.core.errors import NotFound, StoreError
from warroom.core.fold import fold
from warroom.core.policy import default_policy
from warroom.store import local_fold
from warroom.store.local import LocalStore
from warroom.store.schema import SCHEMA_VERSION


@pytest.fixture
def store(tmp_path: Path):
    with LocalStore(tmp_path / "w.db") as opened:
        yield opened


def test_pragmas_and_schema_version(store: LocalStore):
    conn = store.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store._meta("schema_version") == str(SCHEMA_VERSION)


def test_append_assigns_dense_device_counter_and_fills_outbox(store: LocalStore):
    room = WarRoom(store, default_policy(), "alice")
    declared = room.declare("x", severity="SEV3", incident_type="outage")
    note = room.log(declared.incident_id, "hello")
    assert (declared.device_seq, note.device_seq) == (1, 2)
    assert declared.device_id == note.device_id == store.device_id
    assert [e.id for e in store.outbox()] == [declared.id, note.id]


def test_event_ids_are_unique(store: LocalStore):
    room = WarRoom(store, default_policy(), "alice")
    event = room.declare("x", severity="SEV3", incident_type="outage")
    with pytest.raises(sqlite3.IntegrityError):
        store._insert(event)


def test_reopening_keeps_device_and_counter(tmp_path: Path):
    path = tmp_path / "w.db"
    with LocalStore(path) as first:
        WarRoom(first, default_policy(), "a").declare("x", severity="SEV3", incident_type="outage")
        device = first.device_id
    with LocalStore(path) as second:
        event = WarRoom(second, default_policy(), "a").declare(
            "y", severity="SEV3", incident_type="outage"
        )
        assert second.device_id == device and event.device_seq == 2


def test_cached_snapshot_equals_full_fold(store: LocalStore, monkeypatch):
    monkeypatch.setattr(local_fold, "SNAPSHOT_EVERY", 5)
    room = WarRoom(store, default_policy(), "alice")
    incident = room.declare("x", severity="SEV3", incident_type="outage").incident_id
    for n in range(12):
        room.log(incident, f"entry {n}")
        if n == 6:
            room.assign(incident, "scribe", "bob")  # alice holds command: she declared
    first = store.state(incident)  # writes a snapshot
    assert store.db.conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 1
    room.set_severity(incident, "SEV1")
    room.check(incident, "set-severity")
    cached = store.state(incident)
    full = fold(store.events(incident))
    assert cached.model_dump(mode="json") == full.model_dump(mode="json")
    assert cached.event_count == first.event_count + 2


def test_stale_fold_version_snapshot_is_ignored(store: LocalStore, monkeypatch):
    monkeypatch.setattr(local_fold, "SNAPSHOT_EVERY", 1)
    room = WarRoom(store, default_policy(), "alice")
    incident = room.declare("x", severity="SEV3", incident_type="outage").incident_id
    store.state(incident)
    store.db.conn.execute("UPDATE snapshots SET fold_version = -1, state = '{}'")
    assert store.state(incident).title == "x"


def test_resolve_incident_by_prefix(store: LocalStore):
    room = WarRoom(store, default_policy(), "alice")
    incident = room.declare("x", severity="SEV3", incident_type="outage").incident_id
    assert store.resolve_incident(incident.upper()) == incident
    assert store.resolve_incident(incident[4:7]) == incident
    with pytest.raises(NotFound):
        store.resolve_incident("inc-nothing")


def test_newer_schema_is_refused(tmp_path: Path):
    path = tmp_path / "w.db"
    LocalStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer warroom"):
        LocalStore(path)


def test_unwritable_location_is_a_store_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        LocalStore(blocker / "sub" / "w.db")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(log=_logs, chunk=st.integers(1, 6), snapshot_every=st.integers(1, 20))
def test_streaming_fold_equals_the_pure_fold(
    tmp_path: Path, monkeypatch, log, chunk, snapshot_every
):
    """Skipping payloads of inert kinds, chunking and snapshots never change the result."""
    monkeypatch.setattr(local_fold, "FOLD_CHUNK", chunk)
    monkeypatch.setattr(local_fold, "SNAPSHOT_EVERY", snapshot_every)
    extra = [make_event("todo", text="t"), make_event("escalation", target="tier2")]
    events = log + extra
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp, LocalStore(Path(tmp) / "w.db") as store:
        with store._transaction():
            for event in events[: len(events) // 2]:
                store._insert(event)
        halfway = store.state(events[0].incident_id)
        with store._transaction():
            for event in events[len(events) // 2 :]:
                store._insert(event)
        assert store.state(events[0].incident_id).model_dump(mode="json") == fold(
            events
        ).model_dump(mode="json")
        assert halfway.event_count == len(events) // 2
