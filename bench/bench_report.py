"""``warroom report`` over a big home, beside ``warroom list --json`` (the listing it is
built like: one cached line per incident), in the same run.

    .venv/bin/python bench/bench_report.py [--incidents 1000,10000] [--events 20]
        [--data DIR] [--runs 3]

Each home has ``--incidents`` incidents of ``--events`` entries (bench_scale's homes);
every incident is resolved two hours after it was declared, every other one was paged
and acknowledged, every third one has its postmortem published. The first report fills
the facts cache (once per home, or per changed incident); the warm median is what
people wait for — the target is <= 2 s at 10,000 incidents. Wall and CPU seconds and
peak RSS of the real ``warroom`` process; on a shared machine compare the CPU figures,
and the CPU above the floor (the same command on an empty home: start-up and imports).
"""

import argparse
import json
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from bench_scale import build_home, median_cli, run_cli

from warroom.core import events as ev
from warroom.core.ids import new_event_id
from warroom.store.local import LocalStore

TARGET_S = 2.0


def add_outcomes(home: Path, ids: list[str]) -> None:
    """Resolutions, pages, acknowledgements and publications (once per home)."""
    marker = home / "report.done"
    if marker.exists():
        return
    store = LocalStore(home / "warroom.db")
    seq = int(store._meta("device_seq") or 0) + 1
    with store._transaction():
        for n, incident_id in enumerate(ids):
            declared = store.state(incident_id).milestones["declared"]
            resolved = ev.MilestoneSet(milestone="resolved", at=declared + timedelta(hours=2))
            payloads = [(resolved, 2)]
            if n % 2 == 0:
                payloads.append((ev.Escalation(target="oncall", reason="bench"), 0.1))
                ack = ev.MilestoneSet(milestone="acknowledged", at=declared + timedelta(minutes=9))
                payloads.append((ack, 0.2))
            if n % 3 == 0:
                payloads.append((ev.PostmortemPublished(url=f"https://wiki/pm/{n}"), 30))
            for payload, hours in payloads:
                at = declared + timedelta(hours=hours)
                event = ev.Event(
                    id=new_event_id(), incident_id=incident_id, actor="bench",
                    occurred_at=at, recorded_at=at, device_id=store.device_id,
                    device_seq=seq, payload=payload,
                )  # fmt: skip
                store._insert(event)
                seq += 1
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
    root = args.data or Path(tempfile.mkdtemp(prefix="warroom-bench-report-"))
    print(f"load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    empty = root / "home-empty"
    empty.mkdir(parents=True, exist_ok=True)
    floor_wall, floor_cpu, _ = median_cli(empty, args.runs, "report", "--json")
    print(f"floor (report on an empty home): {floor_wall:.3f} s, {floor_cpu:.3f} s CPU",
          file=sys.stderr)  # fmt: skip
    results = []
    for size in (int(s) for s in args.incidents.split(",")):
        home, ids = build_home(root, size, args.events)
        add_outcomes(home, ids)
        row: dict[str, object] = {"incidents": size}
        for name, command in (
            ("list", ("list", "--json")),
            ("report", ("report", "--json", "--since", "30d")),
        ):
            first_wall, first_cpu, _ = run_cli(home, *command)
            wall, cpu, rss = median_cli(home, args.runs, *command)
            row |= {
                f"{name}_first_s": round(first_wall, 3),
                f"{name}_first_cpu_s": round(first_cpu, 3),
                f"{name}_warm_s": round(wall, 3),
                f"{name}_warm_cpu_s": round(cpu, 3),
                f"{name}_peak_rss_mb": round(rss, 1),
            }
        row["report_over_list_cpu"] = round(row["report_warm_cpu_s"] / row["list_warm_cpu_s"], 2)
        row["report_above_floor_cpu_s"] = round(row["report_warm_cpu_s"] - floor_cpu, 3)
        row["target_report_warm_s"] = TARGET_S
        row["met"] = row["report_warm_s"] <= TARGET_S
        results.append(row)
        print(json.dumps(row), file=sys.stderr)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
