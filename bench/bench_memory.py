"""Peak memory as one incident's history grows: the server and a fresh client.

    .venv/bin/python bench/bench_memory.py [--events 10000,100000] [--json]

Issue 11: "memory of any command is bounded by what it shows, not by the size of the
history". For each size a server data folder holds one open incident of that many
events (``bench_sync.fill``), and three processes are measured by their peak resident
set (``VmHWM``):

* ``warroom serve`` once it has started and settled: at start its writers' view
  (``server/open_view.py``) folds every open incident from its log;
* a fresh client catching the incident up (``SyncEngine.sync_once`` in a child process
  of its own, so its peak is its own);
* ``warroom status`` on that client's home right after.

Each is printed beside the previous size's, with the ratio: a path bounded by what it
shows stays flat; one that holds the history grows with it. What must grow is the fold's
set of seen event ids (about 100 bytes an event): the fold skips an event it has seen.
"""

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_scale import run_cli
from bench_sync import Server, fill_apart, settle
from compiled import byte_compile_warroom

from warroom.store.local import LocalStore

CATCH_UP = """
import json, resource, sys
from pathlib import Path
from warroom.sync.engine import SyncEngine
report = SyncEngine(Path(sys.argv[1]), sys.argv[2], sys.argv[3]).sync_once()
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"pulled": report.pulled, "peak_mb": peak_mb}))
"""


def peak_mb(pid: int) -> float:
    """The process's peak resident set so far, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def bench_size(root: Path, events: int) -> dict:
    """The three peaks at one size."""
    data = root / f"data-{events}"
    fill_apart(data, events, None)
    server = Server(data)
    try:
        settle(server.proc.pid)
        server_mb = peak_mb(server.proc.pid)
        home = root / f"home-{events}"
        LocalStore(home / "warroom.db").close()
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                CATCH_UP,
                str(home / "warroom.db"),
                server.url,
                server.token("fresh", "viewer"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if child.returncode != 0:
            raise SystemExit(f"the catch-up failed:\n{child.stderr}")
        client = json.loads(child.stdout)
    finally:
        server.stop()
    _, _, status_mb = run_cli(home, "status", "inc-catchup", "--json")
    return {
        "events": events,
        "pulled": client["pulled"],
        "server_peak_mb": server_mb,
        "catch_up_peak_mb": client["peak_mb"],
        "status_peak_mb": status_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="10000,100000")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    byte_compile_warroom()
    sizes = [int(size) for size in args.events.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bench_size(Path(tmp), events) for events in sizes]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    labels = {
        "server_peak_mb": "warroom serve, started and settled",
        "catch_up_peak_mb": "a fresh client's catch-up",
        "status_peak_mb": "warroom status after it",
    }
    for row in rows:
        print(f"{row['events']} events in one open incident (pulled {row['pulled']}):")
        for key, label in labels.items():
            print(f"  {label}: peak {row[key]:.0f} MB")
    for smaller, larger in itertools.pairwise(rows):
        ratios = ", ".join(
            f"{label} {larger[key] / smaller[key]:.1f}x" for key, label in labels.items()
        )
        size_ratio = larger["events"] / smaller["events"]
        print(f"{size_ratio:.0f}x the events: {ratios}")


if __name__ == "__main__":
    main()
