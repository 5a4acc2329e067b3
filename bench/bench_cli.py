"""Command-line start-up and ``warroom list`` over many incidents, beside their floors
(issue 11: ``warroom list`` <= 0.5 s and local append p99 <= 2 ms at 10,000 incidents).

    .venv/bin/python bench/bench_cli.py [--incidents 10,1000] [--per-incident 50]
        [--runs 5] [--appends 300] [--data DIR]

Side by side in one run, medians of ``--runs`` real processes (CPU is the figure to
compare on a shared machine; wall time is mostly waiting for a core there):

- the floors: ``python -c pass``, ``import typer`` and ``import pydantic`` (what any
  typer + pydantic command pays), and ``import warroom.cli.main`` (what every warroom
  command pays before its own module loads: the import-time figure);
- ``warroom list --json`` and ``warroom list`` in a home of each ``--incidents`` count
  of ``--per-incident`` events each, the first listing (it fills the summaries cache)
  apart;
- durable local appends (``WarRoom.log``) in those homes: p50 / p99, wall and CPU,
  interleaved with their floor, a raw INSERT + COMMIT of the same durability on the
  same disk (``RawAppends``), so the report can say how much of the p99 is the disk's.

The modules that take longest to import for ``warroom list`` are printed too (from
``-X importtime``), so a regression names its cause. Homes are built once into
``--data`` (default: a temporary folder) by ``bench_scale.build_home``; 10,000 incidents
take a minute to generate.
"""

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_scale import KINDS, build_home, median_cli, run_cli
from compiled import byte_compile_warroom

from warroom.actions import WarRoom
from warroom.core.policy import default_policy
from warroom.store.local import LocalStore

LIST_TARGET_S = 0.5
APPEND_P99_TARGET_MS = 2.0


def python_cpu(code: str, runs: int, env: dict | None = None) -> tuple[float, float]:
    """Median wall and CPU seconds of ``python -c code`` as a child process."""
    walls, cpus = [], []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code], env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - started)
        if status != 0:
            raise SystemExit(f"python -c {code!r} failed ({status})")
        cpus.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def slowest_imports(home: Path, count: int = 6) -> list[tuple[str, float]]:
    """The modules ``warroom list --json`` spends most of its own import time on."""
    script = (
        "import sys; from warroom.cli.entry import run;"
        " sys.argv = ['warroom', *sys.argv[1:]]; run()"
    )
    env = dict(os.environ, WARROOM_HOME=str(home), WARROOM_USER="bench")
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script, "list", "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    own = []
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            own.append((parts[2].strip(), int(parts[0]) / 1e6))
    return sorted(own, key=lambda item: -item[1])[:count]


def _quantiles(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=100)
    return q[49], q[98]


class RawAppends:
    """The append floor: one row (an event's columns, a body of the same size) INSERTed
    and COMMITted into a plain SQLite file beside the home, with warroom's durability —
    WAL, ``synchronous=FULL`` — and its checkpoints off the append (no autocheckpoint):
    what the disk and SQLite cost, without warroom's validation, rules, chain or fold."""

    def __init__(self, folder: Path) -> None:
        path = folder / "raw-append-floor.db"
        path.unlink(missing_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self.conn.execute(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, incident_id TEXT,"
            " kind TEXT, occurred_at TEXT, body TEXT)"
        )
        self.path = path

    def append(self, n: int, body: str) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT INTO events (id, incident_id, kind, occurred_at, body) VALUES (?, ?, ?, ?, ?)",
            (f"raw-{n}", "inc-raw", "note", "2026-01-01T00:00:00+00:00", body),
        )
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()
        for suffix in ("", "-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)


def append_times(home: Path, incident_id: str, count: int) -> dict[str, tuple[float, float]]:
    """p50 and p99 (ms) of ``count`` durable ``WarRoom.log`` appends by an id prefix and
    of as many raw INSERT + COMMITs (``RawAppends``), interleaved so both see the same
    disk and load: wall and CPU of each (the CPU is the part a loaded machine cannot
    inflate by making it wait; the floor's wall p99 is what the disk's flushes cost).

    The CPU is the appending thread's: WAL checkpoints run on a thread of their own
    (``warroom.store.checkpoints``), off the append. One append before the timed ones
    loads the event model and folds the incident once: a process's first append pays
    that, not the next 300."""
    store = LocalStore(home / "warroom.db")
    room = WarRoom(store, default_policy(), "bench")
    ref = incident_id.removeprefix("inc-")
    body = room.log(ref, "warm-up entry").model_dump_json()
    raw = RawAppends(home)
    times: dict[str, list[float]] = {name: [] for name in ("wall", "cpu", "raw", "raw cpu")}
    for n in range(count):
        wall, cpu = time.perf_counter(), time.thread_time()
        room.log(ref, f"durable entry {n}", kind=KINDS[n % len(KINDS)])
        times["cpu"].append((time.thread_time() - cpu) * 1000)
        times["wall"].append((time.perf_counter() - wall) * 1000)
        wall, cpu = time.perf_counter(), time.thread_time()
        raw.append(n, body)
        times["raw cpu"].append((time.thread_time() - cpu) * 1000)
        times["raw"].append((time.perf_counter() - wall) * 1000)
    store.close()
    raw.close()
    return {name: _quantiles(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", default="10,1000", help="incident counts in a home")
    parser.add_argument("--per-incident", type=int, default=50)
    parser.add_argument("--appends", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, help="keep generated homes here for reuse")
    args = parser.parse_args()
    byte_compile_warroom()
    counts = [int(s) for s in args.incidents.split(",") if s]
    rows: list[tuple[str, str]] = []
    slowest: list[tuple[str, float]] = []

    def floor(label: str, code: str) -> float:
        wall, cpu = python_cpu(code, args.runs)
        rows.append((label, f"{wall:.3f} s ({cpu:.3f} s CPU)"))
        return cpu

    bare = floor("floor: python -c pass", "pass")
    floor("floor: import typer, pydantic", "import typer, pydantic")
    cli = floor("import warroom.cli.main", "import warroom.cli.main")
    rows.append(("  import-time figure (over python -c pass)", f"{cli - bare:.3f} s CPU"))
    with tempfile.TemporaryDirectory(prefix="warroom-cli-") as tmp:
        root = args.data or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for count in counts:
            started = time.perf_counter()
            home, ids = build_home(root, count, args.per_incident)
            print(f"[{count:,} incidents: home ready in {time.perf_counter() - started:.1f} s]")
            first = run_cli(home, "list", "--json")
            wall, cpu, _ = median_cli(home, args.runs, "list", "--json")
            table_wall, table_cpu, _ = median_cli(home, args.runs, "list")
            if count == counts[-1]:  # before the appends make a summary stale
                slowest = slowest_imports(home)
            appends = append_times(home, ids[len(ids) // 2], args.appends)
            (p50, p99), (cpu50, cpu99) = appends["wall"], appends["cpu"]
            (raw50, raw99), (rawcpu50, rawcpu99) = appends["raw"], appends["raw cpu"]
            label = f"{count:,} incidents"
            verdict = "ok" if cpu <= LIST_TARGET_S else "OVER"
            rows += [
                (f"{label}: list --json, first", f"{first[0]:.3f} s ({first[1]:.3f} s CPU)"),
                (f"{label}: list --json", f"{wall:.3f} s ({cpu:.3f} s CPU)"
                 f"  target <= {LIST_TARGET_S} s: {verdict}; {cpu / bare:.1f}x python -c pass"),
                (f"{label}: list", f"{table_wall:.3f} s ({table_cpu:.3f} s CPU)  target <="
                 f" {LIST_TARGET_S} s: {'ok' if table_cpu <= LIST_TARGET_S else 'OVER'}"),
                (f"{label}: local append p50 / p99", f"{p50:.2f} / {p99:.2f} ms (CPU {cpu50:.2f} /"
                 f" {cpu99:.2f} ms)  target p99 <= {APPEND_P99_TARGET_MS} ms:"
                 f" {'ok' if p99 <= APPEND_P99_TARGET_MS else 'OVER'} (CPU"
                 f" {'ok' if cpu99 <= APPEND_P99_TARGET_MS else 'OVER'})"),
                (f"{label}:   floor: raw INSERT + COMMIT p50 / p99",
                 f"{raw50:.2f} / {raw99:.2f} ms (CPU {rawcpu50:.2f} / {rawcpu99:.2f} ms)"),
                (f"{label}:   warroom over the floor, p50 / p99",
                 f"{p50 - raw50:+.2f} / {p99 - raw99:+.2f} ms wall, {cpu50 - rawcpu50:+.2f} /"
                 f" {cpu99 - rawcpu99:+.2f} ms CPU (p99 wall: {raw99 / p99:.0%} the disk's)"),
            ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print(
        "slowest own imports of `warroom list`: "
        + ", ".join(f"{m} {s * 1000:.0f} ms" for m, s in slowest)
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
