"""The fold's trusted decode of stored rows (issue 11: fold <= 1.5x a plain-dict fold):
it must fold to exactly the state the fully validated events give, and a damaged row
must still be reported in the user's words."""

import gc
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_fold import _logs
from tests.factories import make_event
from tests.learning.postmortem_records import demo_incident, every_kind_incident
from warroom.actions import WarRoom
from warroom.core.collector import paused_collector
from warroom.core.errors import StoreError
from warroom.core.events import EVENT_LIST, Event
from warroom.core.fold import apply, fold
from warroom.core.policy import default_policy
from warroom.core.stored_events import StoredRowError, decode_stored
from warroom.store.local import LocalStore

_UNKNOWN = make_event("kind_from_a_newer_warroom", minute=3, detail={"x": [1, 2]})


def _rows(events: list[Event]) -> list[tuple[int, str, str]]:
    return [(n, e.kind, e.model_dump_json()) for n, e in enumerate(events, 1)]


def _fold_decoded(events: list[Event], decode) -> dict:
    """The first event makes the state; the rest are decoded by ``decode`` and applied."""
    state = fold(events[:1])
    for event in decode(_rows(events[1:])):
        apply(state, event)
    return state.model_dump(mode="json")


def _validated(rows):
    return EVENT_LIST.validate_json("[" + ",".join(body for _, _, body in rows) + "]")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> list[list[Event]]:
    """The demo's and the every-kind incident's events: every kind the fold handles."""
    logs = []
    for build in (demo_incident, every_kind_incident):
        runtime, incident_id = build(tmp_path_factory.mktemp("home"))
        logs.append(runtime.store.events(incident_id))
    return logs


@settings(max_examples=60, deadline=None)
@given(log=_logs, unknown=st.booleans())
def test_the_trusted_decode_folds_generated_logs_as_the_validated_one(log, unknown) -> None:
    events = [*log, _UNKNOWN] if unknown else log
    assert _fold_decoded(events, decode_stored) == _fold_decoded(events, _validated)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_trusted_decode_folds_every_kind_as_the_validated_one(recorded, data) -> None:
    """Logs drawn from real records of every kind, in any order and with repeats."""
    events = data.draw(st.sampled_from(recorded))
    drawn = data.draw(st.lists(st.sampled_from(events[1:]), max_size=60))
    log = [events[0], *drawn]
    assert _fold_decoded(log, decode_stored) == _fold_decoded(log, _validated)


def test_every_recorded_event_folds_the_same_both_ways(recorded) -> None:
    for events in recorded:
        assert _fold_decoded(events, decode_stored) == _fold_decoded(events, _validated)
        kinds = {e.kind for e in events}
        assert len(kinds) > 15, kinds  # the records do cover the fold's kinds


def _stored_incident(home: Path) -> tuple[Path, str]:
    path = home / "warroom.db"  # the home's database, for the CLI
    with LocalStore(path) as store:
        room = WarRoom(store, default_policy(), "alice")
        incident_id = room.declare("x", severity="SEV3", incident_type="outage").incident_id
        room.log(incident_id, "hello")
        room.set_severity(incident_id, "SEV1")
    return path, incident_id


def _damage(path: Path, kind: str, old: str, new: str) -> int:
    conn = sqlite3.connect(path)
    seq, body = conn.execute("SELECT seq, body FROM events WHERE kind = ?", (kind,)).fetchone()
    conn.execute("UPDATE events SET body = ? WHERE seq = ?", (body.replace(old, new), seq))
    conn.execute("DELETE FROM snapshots")
    conn.commit()
    conn.close()
    return seq


def test_a_damaged_stored_row_is_named_in_the_users_words(tmp_path: Path) -> None:
    path, incident_id = _stored_incident(tmp_path)
    seq = _damage(path, "severity_changed", '"severity":"SEV1"', '"severity":5')
    with LocalStore(path) as store, pytest.raises(StoreError) as caught:
        store.state(incident_id)
    message = str(caught.value)
    assert f"event {seq} (severity_changed) cannot be read: severity: must be text" in message
    assert str(path) in message and "restore it from a backup" in message
    assert "Input should" not in message and "validation error" not in message


def test_a_stored_row_that_is_not_json_is_named(tmp_path: Path) -> None:
    path, incident_id = _stored_incident(tmp_path)
    seq = _damage(path, "severity_changed", '"severity":"SEV1"', '"severity":SEV1')
    with LocalStore(path) as store, pytest.raises(StoreError, match=rf"event {seq} \(sev"):
        store.state(incident_id)


def test_the_cli_reports_a_damaged_row_without_an_internal_error(tmp_path: Path, cli) -> None:
    path, incident_id = _stored_incident(tmp_path)
    _damage(path, "severity_changed", '"severity":"SEV1"', '"severity":[]')
    result = cli("status", incident_id, home=tmp_path, check=False)
    assert result.code != 0
    assert "cannot be read: severity: must be text" in result.err
    assert "internal error" not in result.err and "pydantic" not in result.err


def test_decoding_names_the_damaged_row_of_a_batch() -> None:
    events = [make_event("note", text="a"), make_event("status_update", text="u")]
    rows = _rows(events)
    body = json.loads(rows[1][2])
    body["payload"]["audience"] = "nobody-at-all" * 20
    rows[1] = (7, "status_update", json.dumps(body))
    with pytest.raises(StoredRowError, match=r"^event 7 \(status_update\) cannot be read: "):
        decode_stored(rows)


def test_the_collector_resumes_after_nested_pauses_and_stays_off_if_it_was() -> None:
    assert gc.isenabled()
    with paused_collector():
        assert not gc.isenabled()
        with paused_collector():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_collector():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
