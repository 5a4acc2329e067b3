"""The Markdown export's timeline order read from the log (issue 11): a log whose UTC
times never go back is written straight through, without SQLite sorting computed
stamps; any other log is still sorted, and both give the models' order byte for byte."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.store.test_scaling import fill, steps_of
from warroom.core import events as ev
from warroom.core.export import markdown, to_markdown
from warroom.core.policy import default_policy
from warroom.store import exports
from warroom.store.local import LocalStore

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POLICY = default_policy()

moments = st.tuples(
    st.integers(0, 4),  # whole seconds after T0: ties are common
    st.sampled_from([0, 0, 1, 500_000]),  # no microseconds (a shorter text), or some
    st.integers(-2, 2),  # recorded this many seconds later or earlier
    st.sampled_from([UTC, UTC, UTC, timezone(timedelta(hours=-5))]),
)


def _log(tmp_path: Path, times: list[tuple[int, int, int, timezone]]) -> LocalStore:
    store = LocalStore(tmp_path / "w.db")
    for n, (seconds, micros, later, zone) in enumerate([(0, 0, 0, UTC), *times]):
        at = (T0 + timedelta(seconds=seconds, microseconds=micros)).astimezone(zone)
        payload = (
            ev.Declaration(title="t", incident_type="outage", severity="SEV3")
            if n == 0
            else ev.Note(text=f"note {n}")
        )
        store._insert(
            ev.Event(
                id=f"e-{n}",
                incident_id="inc-o",
                actor="bo",
                occurred_at=at,
                recorded_at=at + timedelta(seconds=later),
                device_id="dev-x",
                device_seq=n + 1,
                payload=payload,
            )
        )
    return store


@settings(max_examples=60, deadline=None)
@given(st.lists(moments, max_size=12), st.booleans())
def test_the_export_order_is_the_models_order(tmp_path_factory, times, forward) -> None:
    """Logs in order (times sorted as written) and out of it, UTC and not, with ties."""
    if forward:
        times = sorted(times, key=lambda t: (t[0], t[1], t[2]))
    store = _log(tmp_path_factory.mktemp("o"), times)
    try:
        state = store.state("inc-o")
        streamed = "".join(markdown(state, exports.timeline_entries(store, "inc-o"), POLICY))
        assert streamed == to_markdown(state, store.events("inc-o"), POLICY)
    finally:
        store.close()


def test_a_log_in_time_order_is_not_sorted(tmp_path: Path) -> None:
    """Reading the order costs about one pass over the times: sorting a million computed
    stamps in SQLite was a third of a 1M-event export (fails with that sort)."""
    store = LocalStore(tmp_path / "w.db")
    fill(store, "inc-long", 3000)
    one_pass = steps_of(
        store.conn,
        lambda: store.conn.execute(
            "SELECT occurred_at, recorded_at FROM events WHERE incident_id = ? ORDER BY seq",
            ("inc-long",),
        ).fetchall(),
    )
    with exports.read_snapshot(store):
        ordering = steps_of(store.conn, lambda: exports._occurrence_order(store, "inc-long"))
    assert ordering <= one_pass * 1.2, (ordering, one_pass)
    assert exports._occurrence_order(store, "inc-long") is None
    store.close()


def test_one_time_written_two_ways_is_still_sorted_by_time(tmp_path: Path) -> None:
    """``09:00:05+00:00`` and ``09:00:05.000000+00:00`` (how a server's ``…05.000000Z``
    is stored) are one time: the entries then go by when they were recorded."""
    store = _log(tmp_path, [(5, 0, 2, UTC), (5, 0, -2, UTC)])
    store.conn.execute(
        "UPDATE events SET occurred_at = ? WHERE id = 'e-2'",
        ((T0 + timedelta(seconds=5)).isoformat().replace("+", ".000000+"),),
    )
    state = store.state("inc-o")
    streamed = "".join(markdown(state, exports.timeline_entries(store, "inc-o"), POLICY))
    assert streamed.index("e-2 |") < streamed.index("e-1 |")
    assert streamed == to_markdown(state, store.events("inc-o"), POLICY)
    store.close()
