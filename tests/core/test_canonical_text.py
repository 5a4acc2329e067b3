"""An event's canonical text, written field by field (``warroom.core.event_text``), is
byte for byte what the chain has always hashed: ``json.dumps`` of ``model_dump(mode=
"json")`` with sorted keys, no whitespace, UTF-8 and no NaN — for every kind, hostile
strings, big numbers and times in any zone; and it raises where that raises."""

import json
import math
from datetime import UTC, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.factories import make_event
from tests.learning.postmortem_records import demo_incident, every_kind_incident
from warroom.core.chain import canonical_bytes, canonical_text
from warroom.core.event_text import event_text
from warroom.core.events import Event


def _reference(value) -> str:
    """What ``canonical_text`` was before it had a fast way."""
    data = value.model_dump(mode="json")
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _same_as_reference(event: Event) -> None:
    try:
        expected = _reference(event)
    except Exception as exc:  # the fast way must fail alike, not hash something else
        with pytest.raises(type(exc)):
            canonical_text(event)
        return
    assert canonical_text(event) == expected
    try:
        expected_bytes = expected.encode()
    except UnicodeEncodeError:  # a lone surrogate: text, but no UTF-8 bytes
        with pytest.raises(UnicodeEncodeError):
            canonical_bytes(event)
        return
    assert canonical_bytes(event) == expected_bytes


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> list[Event]:
    """Real records of (nearly) every kind, as a store holds them."""
    events = []
    for build in (demo_incident, every_kind_incident):
        runtime, incident_id = build(tmp_path_factory.mktemp("home"))
        events += runtime.store.events(incident_id)
    return events


def test_every_recorded_kind_is_written_the_fast_way_and_alike(recorded) -> None:
    assert len({e.kind for e in recorded}) > 15
    for event in recorded:
        assert event_text(event) is not None, event.kind  # the fast way is the one taken
        _same_as_reference(event)
        _same_as_reference(Event.model_validate_json(event.model_dump_json()))


HOSTILE = st.sampled_from(
    [
        *("\x00", "\x1f", "\x7f", "\u2028", "\u2029", '"', "\\", "/", "\ud800", "\udfff"),
        *("🚒", "\ufeff", "é", "\u0301", "\n", "\t", "\r", "\b", "\f", "\U0010ffff"),
    ]
)
TEXT = st.text(st.one_of(st.characters(), HOSTILE), min_size=1, max_size=20)
ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=5, minutes=30)),
        timezone(timedelta(hours=-3)),
        timezone(timedelta(seconds=3725)),  # an offset with seconds
        ZoneInfo("Europe/Berlin"),
    ]
)
TIMES = st.datetimes(timezones=ZONES)
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.floats(),
    st.sampled_from([0.1, 1e-7, 1e16, -0.0, 5e-324, math.nan, math.inf]),
)
EXTRA = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=8,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hostile_events_are_written_byte_for_byte_as_before(recorded, data) -> None:
    base = data.draw(st.sampled_from(recorded)).model_dump(mode="json")
    payload = dict(base["payload"])
    if data.draw(st.booleans()):
        payload["kind"] = data.draw(st.sampled_from(["note", "kind_from_a_newer_warroom"]))
    for field in ("text", "title", "reason", "note"):
        if field in payload:
            payload[field] = data.draw(TEXT)
    payload |= data.draw(st.dictionaries(st.sampled_from(["x", "zz", "a"]), EXTRA, max_size=2))
    body = base | {
        "actor": data.draw(TEXT),
        "id": data.draw(TEXT),
        "device_seq": data.draw(st.integers(1, 2**63 - 1)),
        "occurred_at": data.draw(TIMES),
        "recorded_at": data.draw(TIMES),
        "payload": payload,
    }
    try:
        event = Event.model_validate(body)
    except ValidationError:
        return
    _same_as_reference(event)  # times as built in Python (any tzinfo)
    try:
        again = Event.model_validate_json(event.model_dump_json())
    except (ValidationError, ValueError):
        return  # NaN, a lone surrogate: no JSON to read back
    _same_as_reference(again)  # times as parsed from JSON (pydantic's own zones)


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_a_non_finite_number_anywhere_has_no_canonical_text(number) -> None:
    for event in (
        make_event("note", text="gauge", gauge={"p99": [number]}),
        make_event("threshold_crossed", metric="p99", value=number, threshold=1.0),
    ):
        with pytest.raises(ValueError):
            canonical_text(event)
