"""Follow-ups across a big home: ``warroom actions list`` and ``warroom risks list``
beside ``warroom list``, the listing they are built like (one cached line per log).

    .venv/bin/python bench/bench_followups.py [--incidents 1000,10000] [--events 20]
        [--data DIR] [--runs 3]

Each home has ``--incidents`` incidents of ``--events`` entries (bench_scale's homes),
one incident in three with two action items (one overdue), and 100 risks linked to
them. The first run of each command fills its cache (once per home, or per changed
incident); the warm median is what people wait for. Wall time and peak RSS of the real
``warroom`` process, measured side by side in one run.
"""

import argparse
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from bench_scale import build_home, median_cli, run_cli

from warroom.core import events as ev
from warroom.core.ids import new_event_id
from warroom.core.timeparse import utcnow
from warroom.store.local import LocalStore


def _event(store: LocalStore, stream: str, payload, seq: int, at) -> ev.Event:
    return ev.Event(
        id=new_event_id(), incident_id=stream, actor="bench", occurred_at=at, recorded_at=at,
        device_id=store.device_id, device_seq=seq, payload=payload,
    )  # fmt: skip


def add_follow_ups(home: Path, ids: list[str]) -> None:
    """Two action items on every third incident and 100 risks (once per home)."""
    marker = home / "followups.done"
    if marker.exists():
        return
    store = LocalStore(home / "warroom.db")
    now = utcnow()
    seq = int(store._meta("device_seq") or 0) + 1
    todos = []
    with store._transaction():
        for n, incident_id in enumerate(ids[::3]):
            for due, text in (
                (now - timedelta(days=1), "overdue"),
                (now + timedelta(days=9), "later"),
            ):
                todo = ev.Todo(text=f"{text} follow-up {n}", owner=f"owner{n % 40}", due=due)
                event = _event(store, incident_id, todo, seq, now - timedelta(hours=1))
                store._insert(event)
                todos.append(event)
                seq += 1
        for n in range(100):
            risk_id = f"risk-{n:06d}"
            raised = ev.RiskRaised(title=f"risk {n}", likelihood="likely", impact="major")
            store._insert(_event(store, risk_id, raised, seq, now - timedelta(hours=1)))
            mitigation = todos[n % len(todos)]
            link = ev.RiskLinked(incident_ref=mitigation.incident_id, action_id=mitigation.id)
            store._insert(_event(store, risk_id, link, seq + 1, now - timedelta(minutes=30)))
            seq += 2
        store._set_meta("device_seq", str(seq))
    store.close()
    marker.write_text("1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", default="1000,10000")
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = args.data or Path(tempfile.mkdtemp(prefix="warroom-bench-followups-"))
    results = []
    for size in (int(s) for s in args.incidents.split(",")):
        home, ids = build_home(root, size, args.events)
        add_follow_ups(home, ids)
        row = {"incidents": size}
        for name, command in (
            ("list", ("list", "--json")),
            ("actions", ("actions", "list", "--json")),
            ("risks", ("risks", "list", "--json")),
        ):
            row[f"{name}_first_s"] = round(run_cli(home, *command)[0], 3)
            warm, cpu, rss = median_cli(home, args.runs, *command)
            row[f"{name}_warm_s"], row[f"{name}_warm_cpu_s"] = round(warm, 3), round(cpu, 3)
            row[f"{name}_rss_mb"] = round(rss, 1)
        results.append(row)
        print(json.dumps(row), file=sys.stderr)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
