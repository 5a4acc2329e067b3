"""A fresh client's catch-up beside its floor, side by side on one server, per size.

Issue 11 asks for >= 50,000 events/s at every size, a time set on one machine. On another
machine the figure alone cannot say whether warroom or the machine falls short, so each
size is also caught up by the floor (``catchup_floor_child.py``): the same verified,
stored record taken in by the plainest Python, with none of warroom's layers. The ratio
of the two holds on any machine; the floor's own rate says what the machine allows.

    .venv/bin/python bench/bench_catchup_floor.py [--events 10000,100000] [--runs 3] [--json]

For each size a server's data is filled with one incident of that many events (as
``bench_sync.py --parts catchup`` does), one ``warroom serve`` is started and left to
settle, and then, ``--runs`` times in alternation (so both see the same load), a fresh
home is caught up by warroom (``catchup_child.py``: ``SyncEngine.sync_once`` in a
process of its own, its lazy imports counted) and a fresh file by the floor. Medians of
wall and CPU time; the ratios are warroom's over the floor's.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_sync import CATCHUP_CHILD, Server, fill_apart, settle
from compiled import byte_compile_warroom

from warroom.store.local import LocalStore

FLOOR_CHILD = str(Path(__file__).with_name("catchup_floor_child.py"))


def caught_up(child: str, database: Path, server: Server, token: str) -> dict:
    """One catch-up by ``child`` into ``database`` (made fresh): its JSON line."""
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    if child == CATCHUP_CHILD:  # a home as `warroom sync` finds it: made, never synced
        LocalStore(database).close()
    run = [sys.executable, child, str(database), server.url, token]
    return json.loads(subprocess.run(run, stdout=subprocess.PIPE, text=True, check=True).stdout)


def bench_size(root: Path, events: int, runs: int) -> dict:
    data = root / f"data-{events}"
    fill_apart(data, events, None)
    server = Server(data)
    try:
        for proc in server.procs:
            settle(proc.pid)
        token = server.token("fresh", "viewer")
        results: dict[str, list[dict]] = {"warroom": [], "floor": []}
        for run in range(runs):
            order = ("warroom", "floor") if run % 2 == 0 else ("floor", "warroom")
            for name in order:
                child = CATCHUP_CHILD if name == "warroom" else FLOOR_CHILD
                results[name].append(caught_up(child, root / name / "warroom.db", server, token))
    finally:
        server.stop()
    row: dict = {"events": events, "runs": runs, "load_average": os.getloadavg()[0]}
    for name, done in results.items():
        assert all(r["pulled"] == events for r in done), (name, done)
        wall = statistics.median(r["catch_up_s"] for r in done)
        cpu = statistics.median(r["cpu_s"] for r in done)
        row[name] = {"wall_s": wall, "cpu_s": cpu, "events_per_s": events / wall}
    row["wall_ratio"] = row["warroom"]["wall_s"] / row["floor"]["wall_s"]
    row["cpu_ratio"] = row["warroom"]["cpu_s"] / row["floor"]["cpu_s"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="catch-ups of each, alternating")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    byte_compile_warroom()
    with tempfile.TemporaryDirectory(prefix="warroom-catchup-floor-") as tmp:
        for name in ("warroom", "floor"):
            (Path(tmp) / name).mkdir()
        rows = [bench_size(Path(tmp), int(n), args.runs) for n in args.events.split(",")]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        ours, floor = row["warroom"], row["floor"]
        print(
            f"catch-up of {row['events']} events, medians of {row['runs']}:"
            f" warroom {ours['wall_s']:.2f} s ({ours['events_per_s']:.0f} events/s,"
            f" {ours['cpu_s']:.2f} s CPU), floor {floor['wall_s']:.2f} s"
            f" ({floor['events_per_s']:.0f} events/s, {floor['cpu_s']:.2f} s CPU);"
            f" warroom / floor: {row['wall_ratio']:.2f}x wall, {row['cpu_ratio']:.2f}x CPU"
            f"   (load average {row['load_average']:.1f})"
        )


if __name__ == "__main__":
    main()
