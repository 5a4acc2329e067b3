"""The Markdown export's state (issue 11): read from the cached snapshot without the
parts the export never prints, so an incident whose record holds 200,000 hypotheses is
exported in bounded memory, and the document is the one the full state writes."""

import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.core import events as ev
from warroom.core.export import markdown, to_markdown
from warroom.core.policy import default_policy
from warroom.store import exports
from warroom.store.local import LocalStore

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POLICY = default_policy()


def _event(n: int, payload: ev.Payload) -> ev.Event:
    at = T0 + timedelta(seconds=n)
    return ev.Event(
        id=f"e-{n}",
        incident_id="inc-h",
        actor="bo",
        occurred_at=at,
        recorded_at=at,
        device_id="dev-x",
        device_seq=n + 1,
        payload=payload,
    )


def _hypotheses(tmp_path: Path, count: int) -> LocalStore:
    """An incident of ``count`` hypotheses, TODOs and a correction, its snapshot saved,
    then a few rows behind the snapshot (the export folds them on)."""
    store = LocalStore(tmp_path / "w.db")
    declared = ev.Declaration(title="t", incident_type="outage", severity="SEV2")
    with store._transaction():
        store._insert(_event(0, declared))
        for n in range(1, count):
            text = f"maybe cause {n}"
            store._insert(_event(n, ev.Hypothesis(text=text) if n % 3 else ev.Todo(text=text)))
    store.state("inc-h", keep=True)
    store._insert(_event(count, ev.Correction(target_id="e-1", text="the cause")))
    store._insert(_event(count + 1, ev.Hypothesis(text="after the snapshot")))
    return store


def test_the_markdown_state_prints_what_the_full_state_prints(tmp_path: Path) -> None:
    store = _hypotheses(tmp_path, 60)
    try:
        state = exports.markdown_state(store, "inc-h")
        assert not state.hypotheses or len(state.hypotheses) == 1  # the row behind only
        assert state.fixes["e-1"].text == "the cause"
        streamed = "".join(markdown(state, exports.timeline_entries(store, "inc-h"), POLICY))
        full = store.state("inc-h")
        assert len(full.hypotheses) > 30
        assert streamed == to_markdown(full, store.events("inc-h"), POLICY)
    finally:
        store.close()


def test_the_markdown_state_holds_none_of_the_snapshots_hypotheses(tmp_path: Path) -> None:
    """The whole snapshot was read as models: ~2 KB a hypothesis (fails with it)."""
    store = _hypotheses(tmp_path, 6000)
    try:
        tracemalloc.start()
        try:
            state = exports.markdown_state(store, "inc-h")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert len(state.hypotheses) <= 1
        assert peak < 1_500_000, peak
    finally:
        store.close()


def test_a_damaged_snapshot_is_folded_again(tmp_path: Path) -> None:
    store = _hypotheses(tmp_path, 20)
    try:
        store.conn.execute("UPDATE snapshots SET state = '{not json'")
        state = exports.markdown_state(store, "inc-h")
        assert state.fixes["e-1"].text == "the cause" and state.event_count == 22
    finally:
        store.close()
