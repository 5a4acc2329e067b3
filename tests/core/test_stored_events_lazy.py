"""The stored rows' decoder builds a kind's fold view only when a batch holds that kind:
a fresh process pays for the kinds its incident uses, not for all 40, and whatever
order the kinds come in, each batch decodes to what the decoder over every kind gives."""

import json
import subprocess
import sys
import threading
from dataclasses import asdict

import pytest

from tests.factories import declaration, make_event
from tests.learning.postmortem_records import every_kind_incident
from warroom.core import stored_events
from warroom.core.events import KINDS, Event
from warroom.core.stored_events import StoredRowError, decode_stored

_FRESH_PROCESS = """
import json, sys
from warroom.core import stored_events
built_at_import = sorted(stored_events._VIEWS)
stored_events.decode_stored(json.loads(sys.stdin.read()))
print(json.dumps([built_at_import, sorted(stored_events._VIEWS)]))
"""


def _rows(events: list[Event]) -> list[tuple[int, str, str]]:
    return [(n, e.kind, e.model_dump_json()) for n, e in enumerate(events, 1)]


@pytest.fixture
def fresh_decoder(monkeypatch) -> None:
    """This process's decoder as a fresh process has it: no kind met yet."""
    monkeypatch.setattr(stored_events, "_DECODER", stored_events._Decoder())


def test_a_fresh_process_builds_only_the_views_of_the_kinds_it_decodes() -> None:
    rows = _rows([declaration(), make_event("note", minute=1, text="x")])
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS],
        input=json.dumps(rows),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == [[], ["declaration", "note"]]


def test_kinds_met_one_by_one_decode_as_through_every_kind(fresh_decoder, tmp_path) -> None:
    runtime, incident_id = every_kind_incident(tmp_path)
    events = runtime.store.events(incident_id)
    assert len({e.kind for e in events}) > 2 * stored_events.NARROW_UNIONS
    widest = stored_events._DECODER.widest()
    for n, event in enumerate(events):
        rows = _rows([events[0], event])
        decoded = decode_stored(rows)
        expected = widest.validate_json(f"[{rows[0][2]},{rows[1][2]}]")
        assert [asdict(e) for e in decoded] == [asdict(e) for e in expected], n
        assert [e.kind for e in decoded] == [events[0].kind, event.kind]
    assert stored_events._DECODER.current[0] == frozenset(KINDS)  # past the narrow unions


def test_a_body_of_another_kind_than_its_column_decodes_as_it_did(fresh_decoder) -> None:
    """A row whose ``kind`` column says note but whose body is a declaration: the union
    over the kinds met (note) refuses it, the one over every kind decodes it, as the
    decoder did when it held every kind from the start."""
    body = declaration().model_dump_json()
    decoded = decode_stored([(1, "note", body)])
    assert [e.kind for e in decoded] == ["declaration"]


def test_a_damaged_row_is_still_named_after_the_narrow_union_fails(fresh_decoder) -> None:
    event = json.loads(make_event("note", text="x").model_dump_json())
    event["payload"]["text"] = 7
    with pytest.raises(StoredRowError, match=r"event 1 \(note\) cannot be read: text"):
        decode_stored([(1, "note", json.dumps(event))])


def test_a_thread_that_meets_a_kind_while_another_builds_its_union_waits_for_it(
    fresh_decoder, monkeypatch
) -> None:
    """The screen's reader, writer and ladder fold on threads of one process: one that
    asks for the kinds another is building the union of gets that union, never a
    half-published decoder (the reader died on ``None.validate_json`` at start-up)."""
    rows = _rows([make_event("note", minute=1, text="x")])
    building, release = threading.Event(), threading.Event()
    build = stored_events._list_over

    def slow_build(kinds):
        building.set()
        release.wait(10)
        return build(kinds)

    monkeypatch.setattr(stored_events, "_list_over", slow_build)
    first = threading.Thread(target=decode_stored, args=(rows,))
    first.start()
    assert building.wait(10)
    second: list = []
    meanwhile = threading.Thread(target=lambda: second.append(decode_stored(rows)))
    meanwhile.start()
    meanwhile.join(0.3)
    assert meanwhile.is_alive()  # waiting for the union, not decoding without it
    release.set()
    first.join(10)
    meanwhile.join(10)
    assert [asdict(e.payload) for e in second[0]] == [{"kind": "note", "text": "x"}]
