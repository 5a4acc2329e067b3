"""The v5 caches give what a fold from scratch gives: incident summaries, the report's
facts and the timeline order, however the record was written, moved or rejected in between."""

import json
from array import array
from contextlib import suppress
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.store.test_scaling import counted, fill
from warroom.actions import WarRoom
from warroom.core.errors import WarroomError
from warroom.core.export import _indented, _md, json_bundle, markdown, to_markdown
from warroom.core.fold import fold
from warroom.core.policy import default_policy
from warroom.core.report_facts import FACT_KINDS, TIMELINE_KINDS, incident_facts
from warroom.core.sanitize import visible
from warroom.store import timeline
from warroom.store.exports import stream_bodies, timeline_entries
from warroom.store.local import LocalStore
from warroom.store.replica import Replica
from warroom.store.report_facts import report_facts
from warroom.store.summaries import incident_summaries, summarize
from warroom.tui import messages as msg
from warroom.tui.store_reader import _Reader
from warroom.tui.store_worker import StoreLink

POLICY = default_policy()
ZONES = [timezone(timedelta(minutes=m)) for m in (0, 330, -300, 840)]
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

steps = st.lists(
    st.tuples(
        st.sampled_from(["log", "severity", "status", "assign", "list", "reject", "open"]),
        st.integers(0, 2),  # which incident
        st.integers(-600, 600),  # seconds from T0 (backdating included)
        st.sampled_from(ZONES),
    ),
    max_size=25,
)


def _from_scratch(store: LocalStore) -> list:
    """What the listing showed before the cache: each incident folded from its events."""
    return [summarize(fold(store.events(i))) for i in store.incident_ids()]


def _facts_from_scratch(store: LocalStore) -> list:
    """The report's facts of each incident, projected from its events folded afresh."""
    found = []
    for incident_id in sorted(store.incident_ids()):
        events = store.events(incident_id)
        counts = {kind: sum(e.kind == kind for e in events) for kind in TIMELINE_KINDS}
        chosen = [e for e in events if e.kind in FACT_KINDS]
        found.append(incident_facts(fold(events), chosen, counts))
    return found


def _python_order(store: LocalStore, incident_id: str) -> tuple[list, list]:
    """The screen's order before the cache: every row's time (rejected entries at
    ``-rowid``) read and sorted in Python."""
    rows = store.conn.execute(
        "SELECT seq, occurred_at FROM events WHERE incident_id = ?1"
        " UNION ALL SELECT -rowid, occurred_at FROM rejected WHERE incident_id = ?1",
        (incident_id,),
    )
    keyed = sorted((datetime.fromisoformat(at).timestamp(), seq) for seq, at in rows)
    return [s for _, s in keyed], [t for t, _ in keyed]


def _open(store: LocalStore, incident_id: str) -> tuple[list, list]:
    posted: list = []
    reader = _Reader(StoreLink(store.path, POLICY, "ana", posted.append))
    reader.store = store
    reader._open(incident_id)
    (loaded,) = [m for m in posted if isinstance(m, msg.Loaded)]
    return list(loaded.seqs), list(loaded.stamps)


@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking homes takes minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps)
def test_caches_equal_a_fold_from_scratch(tmp_path_factory, plan) -> None:
    store = LocalStore(tmp_path_factory.mktemp("home") / "warroom.db")
    room = WarRoom(store, POLICY, "ana")
    ids = [
        room.declare(f"incident {n}", severity="SEV3", incident_type="outage").incident_id
        for n in range(3)
    ]
    replica = Replica(store)
    timeline.CACHE_EVERY, saved_every = 1, timeline.CACHE_EVERY  # cache on every open
    try:
        for action, which, seconds, zone in plan:
            incident = ids[which]
            at = (T0 + timedelta(seconds=seconds)).astimezone(zone)
            with suppress(WarroomError):  # a change the rules refuse changes nothing
                if action == "log":
                    room.log(incident, f"entry at {seconds}", at=at)
                elif action == "severity":
                    room.set_severity(incident, ("SEV1", "SEV2", "SEV4")[which], "why")
                elif action == "status":
                    room.set_status(incident, "monitoring", "calmer")
                elif action == "assign":
                    room.assign(incident, "scribe", f"p{seconds % 3}")
                elif action == "reject":  # the server refuses the oldest pending entry
                    entries = [i for i, body in replica.pending() if '"declaration"' not in body]
                    if entries:
                        replica.settle([{"id": entries[0], "status": "rejected", "reason": "-"}])
                elif action == "open":
                    assert _open(store, incident) == _python_order(store, incident)
            assert incident_summaries(store) == _from_scratch(store)
            assert sorted(report_facts(store), key=lambda f: f.id) == _facts_from_scratch(store)
        for incident in ids:
            assert _open(store, incident) == _python_order(store, incident)
    finally:
        timeline.CACHE_EVERY = saved_every
        store.close()


def test_a_second_listing_folds_nothing(tmp_path: Path, monkeypatch) -> None:
    store = LocalStore(tmp_path / "w.db")
    for n in range(30):
        fill(store, f"inc-{n:03d}", 20)
    first = incident_summaries(store)
    folds = []
    monkeypatch.setattr(LocalStore, "state", lambda self, i: folds.append(i))
    assert incident_summaries(store) == first
    assert folds == []


def test_a_named_incident_is_shown_before_every_incident_is_listed(tmp_path: Path) -> None:
    """``warroom -i ID`` in a home of 10,000 incidents: reading every summary for the
    picker took most of the open, so the named incident goes out first."""
    store = LocalStore(tmp_path / "w.db")
    for n in range(3):
        fill(store, f"inc-{n:03d}", 5)
    posted: list = []
    reader = _Reader(StoreLink(store.path, POLICY, "ana", posted.append))
    reader.store = store
    reader._open("inc-001")
    kinds = [type(m) for m in posted]
    assert kinds == [msg.Loaded, msg.Incidents], kinds
    assert posted[0].state.id == "inc-001"
    assert [s.id for s in posted[1].incidents] == ["inc-002", "inc-001", "inc-000"]
    assert not posted[1].choose


def test_reopening_a_long_incident_reads_only_what_was_added(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "w.db")
    fill(store, "inc-long", 5000)
    with counted(store.conn) as cold:
        first = _open(store, "inc-long")
    fill(store, "inc-long", 10, first=5000)
    with counted(store.conn) as warm:
        second = _open(store, "inc-long")
    assert second[0][:5000] == first[0] and len(second[0]) == 5010
    assert warm[0] * 5 < cold[0], (warm, cold)


def test_times_sqlite_reads_are_the_floats_python_reads(tmp_path: Path) -> None:
    conn = LocalStore(tmp_path / "w.db").conn
    texts = [
        (T0 + timedelta(seconds=s, microseconds=us)).astimezone(zone).isoformat()
        for s in (0, 1, 86399, 10**8)
        for us in (0, 1, 499_999, 999_999)
        for zone in ZONES
    ] + ["2026-11-24T09:00:00+01:00:15"]  # an offset SQLite cannot read: NULL
    got = [
        conn.execute(
            f"SELECT {timeline.STAMP_SQL} FROM (SELECT ? AS occurred_at)", (t,)
        ).fetchone()[0]
        for t in texts
    ]
    assert got[:-1] == [timeline.stamp(t) for t in texts[:-1]] and got[-1] is None
    conn.close()


def test_merging_into_an_order_sorts_by_time_then_position() -> None:
    order = (array("q", [1, 2, 3]), array("d", [10.0, 20.0, 30.0]))
    merged = timeline.merge(order, [(20.0, -1), (20.0, 5), (5.0, -2), (40.0, 4)])
    assert list(merged[0]) == [-2, 1, -1, 2, 5, 3, 4]
    assert list(merged[1]) == [5.0, 10.0, 20.0, 20.0, 20.0, 30.0, 40.0]


# -- exports -----------------------------------------------------------------------------


def _old_md(text: str) -> str:
    out = visible(text).replace("\\", "\\\\")
    for char in "`*_{}[]<>#|!":
        out = out.replace(char, "\\" + char)
    return out


@given(st.text())
def test_markdown_escaping_is_unchanged(text: str) -> None:
    assert _md(text) == _old_md(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_nested_json_is_what_the_standard_library_indents(value) -> None:
    expected = json.dumps({"x": [value]}, indent=2).splitlines()[2:-2]
    assert ("    " + _indented(value, "    ")).splitlines() == expected


def test_the_streamed_markdown_is_the_models_markdown(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "w.db")
    room = WarRoom(store, default_policy(), "ana")
    incident = room.declare("t", severity="SEV2", incident_type="outage", at=T0).incident_id
    for n in range(40):
        at = (T0 + timedelta(seconds=(n * 37) % 50)).astimezone(ZONES[n % 4])
        kind = ("note", "action", "todo", "status_update", "decision")[n % 5]
        extra = {"owner": "bo"} if kind == "todo" and n % 2 else {}
        room.log(incident, f" text {n} *x* ", kind=kind, at=at, **extra)
    state = store.state(incident)
    streamed = "".join(markdown(state, timeline_entries(store, incident), default_policy()))
    assert streamed == to_markdown(state, store.events(incident), default_policy())


def test_an_export_streams_in_memory_bounded_by_a_chunk(tmp_path: Path) -> None:
    """Models of every event at once cost ~4 KB each (24 MB here); a stream holds a chunk."""
    import tracemalloc

    store = LocalStore(tmp_path / "w.db")
    fill(store, "inc-long", 6000)
    state = store.state("inc-long")
    state.seen_ids.clear()  # the fold's own memory, not the export's
    tracemalloc.start()
    try:
        for fmt in ("md", "json"):
            tracemalloc.reset_peak()
            if fmt == "md":
                chunks = markdown(state, timeline_entries(store, "inc-long"), POLICY)
            else:
                chunks = json_bundle("inc-long", stream_bodies(store, "inc-long"), T0)
            written = sum(len(chunk) for chunk in chunks)
            peak = tracemalloc.get_traced_memory()[1]
            assert written > 300_000 and peak < 4_000_000, (fmt, written, peak)
    finally:
        tracemalloc.stop()
        store.close()
