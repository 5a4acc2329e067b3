"""Engine benchmark: append latency/rate, load+fold of a 100k-event incident, peak RSS.

Targets (issue 2): single append p99 <= 2 ms, fold of 100k events <= 1 s.

    .venv/bin/python bench/bench_engine.py [--events 100000] [--appends 2000] [--runs 3]

The incident is filled to ``--events`` with the store's own insert inside one
transaction (minutes of fsyncs otherwise), then ``--appends`` entries are timed through
the real write path (``WarRoom.log``: validation, BEGIN IMMEDIATE, fsync under
synchronous=FULL) on that full incident. Loading is measured as the store does it
(``LocalStore.state``): cold with no snapshot, and warm from the cached snapshot plus a
tail. Peak RSS is read before the last, informational line, which validates every
event as a pydantic model (what a full export does).

Side by side with the cold fold runs its floor (issue 11: warroom <= 1.5x): the same
rows read by the same query and folded as plain dicts by the plainest Python that
gives the same figures (``plain_fold``) — what the fold costs without its layers.
Medians of ``--runs`` interleaved runs, wall and CPU (compare CPU on a shared machine).
"""

import argparse
import json
import resource
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from warroom.actions import WarRoom
from warroom.core.events import Event
from warroom.core.fold import INERT_KINDS
from warroom.core.ids import new_event_id
from warroom.core.policy import default_policy
from warroom.core.timeparse import utcnow
from warroom.store.local import LocalStore

KINDS = (
    "note",
    "observation",
    "action",
    "decision",
    "hypothesis",
    "checklist_marked",
    "status_update",
)


def _event(store: LocalStore, incident: str, n: int) -> Event:
    kind = KINDS[n % len(KINDS)]
    if kind == "checklist_marked":
        payload = {"kind": kind, "phase": "triage", "item": "set-severity", "checked": n % 2 == 0}
    else:
        payload = {"kind": kind, "text": f"bulk entry {n} with a few words of text"}
    now = utcnow()
    return Event(
        id=new_event_id(),
        incident_id=incident,
        actor="bench",
        occurred_at=now,
        recorded_at=now,
        device_id="dev-bulk",
        device_seq=n + 1,
        payload=payload,
    )


def plain_fold(store: LocalStore, incident: str) -> dict:
    """The floor: the fold's work on plain dicts — every row counted and its time kept,
    the bodies of the kinds that change state parsed and applied — with no models."""
    state = {"count": 0, "last": None, "checklist": {}, "last_update": {}, "seen": set()}
    for _, kind, event_id, occurred_at, body in store.conn.execute(
        "SELECT seq, kind, id, occurred_at, body FROM events WHERE incident_id = ? AND seq > ?"
        " ORDER BY seq",
        (incident, 0),
    ):
        if event_id in state["seen"]:
            continue
        state["seen"].add(event_id)
        state["count"] += 1
        at = datetime.fromisoformat(occurred_at)
        if state["last"] is None or at > state["last"]:
            state["last"] = at
        if kind in INERT_KINDS:
            continue
        payload = json.loads(body)["payload"]
        if kind == "checklist_marked":
            key = f"{payload['phase']}/{payload['item']}"
            state["checklist"][key] = {"checked": payload["checked"], "at": at}
        elif kind == "status_update":
            state["last_update"][payload.get("audience", "internal")] = at
        elif kind == "declaration":
            state.update(title=payload["title"], severity=payload["severity"])
    return state


def _timed(work) -> tuple[float, float]:
    """Wall and CPU seconds of ``work()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--appends", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3, help="cold folds beside the floor")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(Path(tmp) / "bench.db")
        room = WarRoom(store, default_policy(), "bench")
        incident = room.declare("bench", severity="SEV2", incident_type="outage").incident_id

        bulk = args.events - args.appends - 1
        started = time.perf_counter()
        with store._transaction():
            for n in range(bulk):
                store._insert(_event(store, incident, n))
        rows.append(
            (
                f"fixture: {bulk:,} events in one transaction",
                f"{time.perf_counter() - started:.2f} s",
                "",
            )
        )

        latencies = []
        started = time.perf_counter()
        for n in range(args.appends):
            t0 = time.perf_counter()
            room.log(incident, f"durable entry {n}", kind=KINDS[n % 5])
            latencies.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
        q = statistics.quantiles(latencies, n=100)
        rows += [
            ("single append p50 (durable, fsync)", f"{q[49]:.2f} ms", ""),
            ("single append p99 (durable, fsync)", f"{q[98]:.2f} ms", "<= 2 ms"),
            ("sequential append rate", f"{args.appends / elapsed:,.0f} events/s", ""),
        ]

        colds, floors = [], []  # interleaved, so both see the same load
        for _ in range(args.runs):
            store.db.conn.execute("DELETE FROM snapshots")
            colds.append(_timed(lambda: store.state(incident)))  # cold: writes a snapshot
            floors.append(_timed(lambda: plain_fold(store, incident)))
        assert store.state(incident).event_count == args.events
        assert plain_fold(store, incident)["count"] == args.events
        cold, cold_cpu = (statistics.median(c[i] for c in colds) for i in (0, 1))
        floor, floor_cpu = (statistics.median(f[i] for f in floors) for i in (0, 1))
        room.log(incident, "one more")
        started = time.perf_counter()
        warm = store.state(incident)
        warm_s = time.perf_counter() - started
        assert warm.event_count == args.events + 1
        rows += [
            (f"cold load + fold of {args.events:,} events", f"{cold:.3f} s", "<= 1 s"),
            ("  floor: the same rows folded as plain dicts", f"{floor:.3f} s", ""),
            ("  warroom / floor", f"{cold / floor:.2f}x", "<= 1.5x"),
            ("  CPU: warroom / floor", f"{cold_cpu:.3f} / {floor_cpu:.3f} s", ""),
            ("  CPU ratio (holds under load)", f"{cold_cpu / floor_cpu:.2f}x", "<= 1.5x"),
            ("warm load + fold (snapshot + tail)", f"{warm_s * 1000:.1f} ms", ""),
            ("peak RSS so far", f"{_rss_mb():.0f} MB", ""),
        ]

        started = time.perf_counter()
        every = store.events(incident)
        rows.append(
            (
                f"info: validate all {len(every):,} events as models",
                f"{time.perf_counter() - started:.3f} s",
                "",
            )
        )
        rows.append(("info: peak RSS after that", f"{_rss_mb():.0f} MB", ""))
        store.close()
    width = max(len(r[0]) for r in rows)
    for label, value, target in rows:
        print(f"{label:<{width}}  {value:>18}  {target}")


if __name__ == "__main__":
    main()
