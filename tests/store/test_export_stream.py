"""JSON exports stream (issue 11): a synced incident's chain is written a link at a time,
and the fast encoder writes exactly the text ``json.dumps(bundle, indent=2)`` would."""

import json
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.store.test_scaling import fill
from warroom.cli.export_cmd import _json_export
from warroom.core.export import json_bundle
from warroom.core.jsontext import dumps_indented
from warroom.store.local import LocalStore
from warroom.store.replica import Replica

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values, st.booleans())
def test_the_fast_encoder_writes_what_the_standard_library_writes(value, ascii_only) -> None:
    expected = json.dumps(value, indent=2, ensure_ascii=ascii_only)
    assert dumps_indented(value, ascii_only=ascii_only) == expected


@given(st.lists(json_values, max_size=3))
def test_stored_events_are_nested_as_the_standard_library_nests_them(payloads) -> None:
    """Floats, lone surrogates (``\\ud800`` in the stored text) and non-ASCII text keep
    the standard library's spelling."""
    from datetime import UTC, datetime

    bodies = [json.dumps({"id": f"e{n}", "payload": p}) for n, p in enumerate(payloads)]
    bodies.append('{"id": "s", "text": "\\ud800 \\u00e9 \\ud83d\\ude00", "x": 1e-07}')
    at = datetime(2026, 11, 24, tzinfo=UTC)
    streamed = "".join(json_bundle("inc-x", bodies, at))
    whole = {"format": "warroom-export/1", "incident_id": "inc-x", "exported_at": at.isoformat()}
    whole["events"] = [json.loads(b) for b in bodies]
    assert streamed == json.dumps(whole, indent=2) + "\n"


def _synced(tmp_path: Path, count: int) -> LocalStore:
    store = LocalStore(tmp_path / "w.db")
    fill(store, "inc-long", count, server=1)
    Replica(store).bind("http://127.0.0.1:1", "key")
    with store._transaction():
        store.conn.execute(
            "INSERT INTO sync_heads (incident_id, seq, hash) VALUES ('inc-long', ?, 'h')",
            (count,),
        )
    return store


def test_a_synced_export_is_the_bundle_json_dumps_writes(tmp_path: Path) -> None:
    store = _synced(tmp_path, 30)
    text = "".join(_json_export(store, "inc-long"))
    bundle = json.loads(text)
    assert text == json.dumps(bundle, indent=2) + "\n"
    chain = bundle["sync"]["chain"]
    assert [link["id"] for link in chain] == [e["id"] for e in bundle["events"]]
    assert chain[-1] == {"id": "inc-long-29", "server_seq": 30, "hash": "h"}
    store.close()


def test_a_synced_export_holds_a_chunk_not_the_chain(tmp_path: Path) -> None:
    """The chain was built from every event, parsed, at once (~2 KB a link)."""
    store = _synced(tmp_path, 6000)
    tracemalloc.start()
    try:
        written = sum(len(chunk) for chunk in _json_export(store, "inc-long"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        store.close()
    assert written > 1_000_000 and peak < 2_000_000, (written, peak)


texts = st.text(alphabet=st.sampled_from([" ", "a", "*", "\n", "é", "\x1b"]), max_size=6)


@given(
    st.sampled_from(["note", "action", "todo", "decision", "observation"]),
    texts,
    texts,
    st.sampled_from(["started", "result", "other", None]),
    st.sampled_from(["", " ", "\n"]),
)
def test_an_entry_read_from_its_json_is_the_models_entry(kind, text, actor, stage, after):
    """The export's fast path reads typed entries from the stored JSON; whatever it
    accepts must print as the model would, and the rest goes to the model."""
    from warroom.core import events as ev
    from warroom.core.export import event_entry
    from warroom.store.exports import _entry

    payload = {"kind": kind, "text": text} | ({"stage": stage} if stage else {})
    body = json.dumps(
        {
            "id": "01a2-e",
            "incident_id": "inc-x",
            "actor": actor,
            "occurred_at": "2026-11-24T09:00:00+05:30",
            "recorded_at": "2026-11-24T09:00:00Z",
            "device_id": "d",
            "device_seq": 1,
            "payload": payload,
        }
    )
    try:
        model = ev.Event.model_validate_json(body + after)
    except ValueError:
        return  # not an event: the model refuses it on either path
    assert _entry("2026-11-24T09:00:00+05:30", body + after) == event_entry(model)


_BODY = (
    '{"id":"01a2-e","incident_id":"inc-x","actor":%s,"occurred_at":"2026-11-24T09:00:00Z",'
    '"recorded_at":"2026-11-24T09:00:00Z","device_id":"d","device_seq":1,"payload":%s}'
)
_LONGEST = "\U0001f600" * 10_000  # the longest text, in characters that take 4 bytes


@pytest.mark.parametrize(
    ("actor", "payload"),
    [
        ('" ada","actor":"ada"', '{"kind":"note","text":"x"}'),  # a repeated key: the last
        ('"ada","actor":" ada"', '{"kind":"note","text":"x"}'),
        ('"ada"', '{"kind":"note","text":" x","text":"x"}'),
        ('"\\u0061da"', '{"kind":"note","text":"\\u00e9t\\u00e9"}'),  # escapes
        ('"ada"', '{"kind":"note","text":"\\ud83d\\ude00"}'),  # a surrogate pair
        ('"ada"', '{"kind":"note","text":"\\ud800"}'),  # a lone surrogate
        ('"ada"', json.dumps({"kind": "note", "text": _LONGEST})),
        ('"ada"', json.dumps({"kind": "note", "text": _LONGEST + "a"})),
        ('"' + "a" * 200 + '"', '{"kind":"note","text":"x"}'),
        ('"' + "a" * 201 + '"', '{"kind":"note","text":"x"}'),
        ("7", '{"kind":"note","text":"x"}'),
        ('"ada"', '{"kind":"note","text":7}'),
        ('"ada"', '{"kind":"note","text":null}'),
        ('"ada"', '{"kind":"note","text":"x","extra":{"a":[1,2.5,null]}}'),
        ('"ada"', '{"kind":"action","text":"x","stage":null}'),
        ('"ada"', '{"kind":"action","text":"x","stage":"result"}'),
        ('"ada"', '{"kind":"todo","text":"x","owner":"dee"}'),
        ('"ada"', '{"kind":"todo","text":"x","owner":" dee"}'),
        ('"ada"', '{"kind":"todo","text":"x","owner":null,"due":null}'),
        ('"ada"', '{"kind":"todo","text":"x","due":"2026-11-25T09:00:00Z"}'),
        ('"ada"', '{"kind":"severity_changed","severity":"SEV1"}'),
        ('"ada"', '{"kind":"hypothesis","text":"x","text":"y"}'),
    ],
)
def test_awkward_json_reads_as_the_model_reads_it(actor, payload):
    """The fast path's decoder reads only the fields a line prints; however the stored
    JSON spells them (repeated keys, escapes, surrogates, limits, foreign types), what
    it accepts prints as the model would, and the rest goes to the model."""
    from warroom.core import events as ev
    from warroom.core.export import event_entry
    from warroom.store.exports import _entry

    body = _BODY % (actor, payload)
    try:
        model = ev.Event.model_validate_json(body)
    except ValueError:
        with pytest.raises(ValueError):
            _entry("2026-11-24T09:00:00+00:00", body)
        return
    assert _entry("2026-11-24T09:00:00+00:00", body) == event_entry(model)


def test_a_plain_line_is_read_without_objects_for_the_cycle_collector():
    """A million lines decoded as GC-tracked objects cost the collector a pass every few
    hundred rows (a third of the decode's time)."""
    import gc

    from warroom.store.exports import _LINE

    line = _LINE.decode(_BODY % ('"ada"', '{"kind":"todo","text":"x","owner":"dee"}'))
    assert (line.actor, line.payload.owner) == ("ada", "dee")
    assert not gc.is_tracked(line) and not gc.is_tracked(line.payload)


scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()


@given(st.lists(st.dictionaries(st.text(), scalars, max_size=5), max_size=4), st.booleans())
def test_records_are_written_as_the_standard_library_writes_them(rows, ascii_only) -> None:
    """A list of flat dicts (``warroom list --json``) goes to the C encoder: same text."""
    expected = json.dumps(rows, indent=2, ensure_ascii=ascii_only)
    assert dumps_indented(rows, ascii_only=ascii_only) == expected
