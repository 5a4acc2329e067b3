"""A fresh client's catch-up beside the same catch-up by the code issue 11 measured,
alternating in one run: the ratio holds on any machine where the times do not.

    .venv/bin/python bench/bench_catchup_vs.py [--events 10000,100000] [--rounds 3]
        [--against 18186aa] [--against-python PATH] [--json]

Issue 11's catch-up times (0.47 s / 3.65 s / 106 s at 10k / 100k / 1M events) came from
its machine; this one may run at half its speed one hour and at its speed the next. Its
targets (<= 0.2 s / <= 2 s / <= 20 s) are therefore read here as ratios to the measured
code on the same machine in the same minutes: <= 0.43 / 0.55 / 0.19 of its time.

Each round runs, at each size, one after the other:

* the measured code (``--against``, a commit whose ``bench/bench_sync.py`` has
  ``bench_catchup(server, root, events)``, as 18186aa's does), in a git worktree of it
  with a virtual environment of its own (made on first use under ``bench/.against/``,
  or ``--against-python`` for one already made) and its bytecode written, as this
  tree's is, by its own bench's catch-up: a server
  filled over HTTP, then ``sync_once`` of a fresh home in that same, warm process;
* this tree's code the same way: in one process that has already imported what the
  catch-up imports (the fold, the HTTP client, the signature check), as the measured
  bench's process had, so both sides time the catch-up alone.

``bench_sync.py --parts catchup`` times this tree's catch-up in a fresh process as
``warroom sync`` meets it (its lazy imports counted): that figure is printed beside.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_sync import Server, fill_apart, settle
from compiled import byte_compile_warroom

from warroom.store.local import LocalStore
from warroom.sync.engine import SyncEngine

HERE = Path(__file__).resolve().parent
ISSUE_COMMIT = "18186aa"
ISSUE_TIMES_S = {10_000: 0.47, 100_000: 3.65, 1_000_000: 106.0}
TARGET_TIMES_S = {10_000: 0.2, 100_000: 2.0, 1_000_000: 20.0}

AGAINST_SIDE = """
import json, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bench_sync import Server, bench_catchup
with tempfile.TemporaryDirectory() as tmp:
    server = Server(Path(tmp) / "data")
    try:
        row = bench_catchup(server, Path(tmp), int(sys.argv[2]))
    finally:
        server.stop()
print(json.dumps({"pulled": row["pulled"], "catch_up_s": row["catch_up_s"]}))
"""


def against_python(commit: str, given: str | None) -> tuple[Path, str]:
    """The measured code's worktree and the interpreter of its own environment."""
    root = HERE / ".against" / commit
    if not root.exists():
        root.parent.mkdir(exist_ok=True)
        subprocess.run(
            ["git", "-C", str(HERE.parent), "worktree", "add", "-q", "--detach", str(root), commit],
            check=True,
        )
    if given and not Path(given).exists():
        raise SystemExit(f"--against-python {given}: no such interpreter")
    python = Path(given) if given else root / ".venv" / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(root / ".venv")], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", str(root)], check=True)
    # its bytecode written, as this tree's is (``compiled.py``): under
    # PYTHONDONTWRITEBYTECODE=1 its every import would otherwise compile from source
    for folder in ("warroom", "bench"):
        subprocess.run([str(python), "-m", "compileall", "-q", str(root / folder)], check=True)
    return root, str(python)


def against_catch_up(root: Path, python: str, events: int) -> float:
    """The measured code's catch-up of ``events``, by its own bench, in seconds."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [python, "-c", AGAINST_SIDE, str(root / "bench"), str(events)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout
    row = json.loads(out)
    if row["pulled"] != events:
        raise SystemExit(f"the measured code caught up {row['pulled']} of {events} events")
    return row["catch_up_s"]


def this_catch_up(events: int) -> float:
    """This tree's catch-up of ``events`` in this process (warmed by ``main``), seconds."""
    with tempfile.TemporaryDirectory(prefix="warroom-catchup-vs-") as tmp:
        data, home = Path(tmp) / "data", Path(tmp) / "home" / "warroom.db"
        fill_apart(data, events, None)
        server = Server(data)
        try:
            for proc in server.procs:
                settle(proc.pid)
            LocalStore(home).close()
            engine = SyncEngine(home, server.url, server.token("fresh", "viewer"))
            started = time.monotonic()
            pulled = engine.sync_once().pulled
            took = time.monotonic() - started
        finally:
            server.stop()
    if pulled != events:
        raise SystemExit(f"this tree caught up {pulled} of {events} events")
    return took


def warm_up() -> None:
    """Import what a catch-up imports on the way, as the measured bench's process had."""
    import httpcore  # noqa: F401
    from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: F401

    import warroom.core.fold
    import warroom.core.stored_events  # noqa: F401


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", default=ISSUE_COMMIT, help="the commit measured against")
    parser.add_argument("--against-python", help="an interpreter with --against installed")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    byte_compile_warroom()
    warm_up()
    root, python = against_python(args.against, args.against_python)
    rows = []
    for events in (int(n) for n in args.events.split(",")):
        theirs, ours = [], []
        for _ in range(args.rounds):
            theirs.append(against_catch_up(root, python, events))
            ours.append(this_catch_up(events))
        ratio = statistics.median(ours) / statistics.median(theirs)
        rows.append(
            {
                "events": events,
                "against_s": theirs,
                "this_s": ours,
                "ratio": ratio,
                "target_ratio": (
                    TARGET_TIMES_S[events] / ISSUE_TIMES_S[events]
                    if events in ISSUE_TIMES_S
                    else None
                ),
                "load_average": os.getloadavg()[0],
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        target = row["target_ratio"]
        print(
            f"{row['events']} events: {args.against} {statistics.median(row['against_s']):.2f} s,"
            f" this tree {statistics.median(row['this_s']):.2f} s (medians of {args.rounds}):"
            f" {row['ratio']:.2f}x"
            + (f"   [target <= {target:.2f}x]" if target is not None else "")
            + f"   (load average {row['load_average']:.1f})"
        )


if __name__ == "__main__":
    main()
