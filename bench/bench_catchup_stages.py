"""A fresh client's catch-up, stage by stage, in CPU per event: fetch, store, caches.

    .venv/bin/python bench/bench_catchup_stages.py [--events 10000,100000] [--runs 3]
        [--profile] [--json]

``bench_sync.py --parts catchup`` times the catch-up as a user meets it: the next page
downloads (HTTP and ``decode_page``) on a thread of its own while this one is stored.
The two threads share one interpreter lock, so a profile of that run charges each C
call of the storing thread (an ``executemany``, an Ed25519 check, a commit) with the
time it waited to get the lock back from the fetching thread: an earlier profile read
1.0 s of signature checks per 100k events off such a run, where the checks cost 0.13 s
on their own. Here each stage runs alone, on the same server data and pages:

* fetch: every page of the feed, one after the other, ``FailoverClient.feed`` (HTTP on
  loopback and ``decode_page``), in the sizes ``pull_all`` asks for, with the cyclic
  collector paused and each page dropped once fetched, as ``pull_all`` does;
* store: the pages through ``SyncEngine._store_page`` inside ``Replica.bulk``, as
  ``pull_all`` stores them (chain checked, rows and cursor committed per chunk), the
  collector paused as there;
* caches: ``CatchUpCaches`` following each stored page and brought forward at the end,
  as ``pull_all`` does, with the fold's modules imported beforehand (their import, a
  fixed cost per process, is shown apart).

Each figure is the best of ``--runs`` (the least disturbed by other work on the machine;
the load average is printed beside it). ``--profile`` prints the store and caches
stages' top functions (cProfile, one thread: no lock waits in them).
"""

import argparse
import cProfile
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_sync import Server, fill_apart, settle

from warroom.core.collector import paused_collector
from warroom.store.caches import CatchUpCaches
from warroom.store.local import LocalStore
from warroom.store.replica import Replica
from warroom.sync import engine
from warroom.sync.failover import FailoverClient


def fold_imports_s() -> float:
    """CPU seconds of importing what a catch-up's caches fold with (once per process):
    kept apart here, where each stage is the best of several runs in one process."""
    started = time.process_time()
    import warroom.core.fold
    import warroom.core.stored_events  # noqa: F401

    return time.process_time() - started


def fetch_all(server: Server, keep: bool) -> tuple[list, str, float]:
    """Every page of the feed (kept only with ``keep``), its pinned key, and the CPU
    seconds fetching took.

    Fetched as ``pull_all`` fetches: with the cyclic collector paused (``pull_all``
    holds it from its first page on), each page dropped once the next is asked for
    unless ``keep``. Kept pages with the collector running made every collection
    re-walk all the records fetched so far: at 1M events that read as a fetch stage of
    9.4 us an event where 100k had 4.1, a cost the real catch-up never pays. The timed
    runs drop their pages; the store stage's are fetched once more, untimed."""
    client = FailoverClient(server.url, server.token("fresh", "viewer"))
    try:
        key = client.info()["public_key"]
        pages, cursor, sizes = [], None, engine.page_sizes()
        with paused_collector():
            started = time.process_time()
            while True:
                page = client.feed(cursor, next(sizes))
                if keep:
                    pages.append(page)
                cursor = page.cursor
                if page.up_to_date:
                    return pages, key, time.process_time() - started
    finally:
        client.close()


def store_all(home: Path, url: str, key: str, pages: list, profile: cProfile.Profile | None):
    """Store ``pages`` into a fresh home as ``pull_all`` does; (events, store s, caches s)."""
    shutil.rmtree(home, ignore_errors=True)
    with LocalStore(home / "warroom.db") as store:
        replica = Replica(store)
        replica.bind(url, key)
        sync = engine.SyncEngine(home / "warroom.db", url, "unused")
        report = engine.SyncReport()
        caches = CatchUpCaches(store)
        if profile is not None:
            profile.enable()
        started, following = time.process_time(), 0.0
        with replica.bulk(), paused_collector():  # as pull_all holds it (see fetch_all)
            for page in pages:
                stored = sync._store_page(replica, page, report)
                before = time.process_time()
                caches.ingested(replica.take_stored(), stored)
                following += time.process_time() - before
            stored_at = time.process_time()
            caches.finish()
        finished = time.process_time()
        if profile is not None:
            profile.disable()
    return report.pulled, stored_at - started - following, finished - stored_at + following


def bench_size(root: Path, events: int, runs: int, profile: bool) -> dict:
    data = root / f"data-{events}"
    fill_apart(data, events, None)
    server = Server(data)
    try:
        for proc in server.procs:
            settle(proc.pid)
        fetches = [fetch_all(server, keep=False) for _ in range(runs)]
        pages, key, _ = fetch_all(server, keep=True)
    finally:
        server.stop()
    imports = fold_imports_s()
    stages = [store_all(root / "home", server.url, key, pages, None) for _ in range(runs)]
    pulled = stages[0][0]
    row = {
        "events": events,
        "pulled": pulled,
        "pages": len(pages),
        "fetch_us_per_event": 1e6 * min(f[2] for f in fetches) / pulled,
        "store_us_per_event": 1e6 * min(s[1] for s in stages) / pulled,
        "caches_us_per_event": 1e6 * min(s[2] for s in stages) / pulled,
        "fold_imports_s": imports,
        "load_average": os.getloadavg()[0],
    }
    row["client_us_per_event"] = (
        row["fetch_us_per_event"] + row["store_us_per_event"] + row["caches_us_per_event"]
    )
    if profile:
        profiler = cProfile.Profile()
        store_all(root / "home", server.url, key, pages, profiler)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs per stage (best is kept)")
    parser.add_argument("--profile", action="store_true", help="profile store and caches")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warroom-catchup-stages-") as tmp:
        rows = [
            bench_size(Path(tmp), int(n), args.runs, args.profile) for n in args.events.split(",")
        ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        print(
            f"{row['events']} events ({row['pages']} pages), CPU per event, best of"
            f" {args.runs}: fetch {row['fetch_us_per_event']:.1f} us, store"
            f" {row['store_us_per_event']:.1f} us, caches {row['caches_us_per_event']:.1f} us"
            f" = {row['client_us_per_event']:.1f} us ({1e6 / row['client_us_per_event']:.0f}"
            f" events/s on one core); the fold's imports {row['fold_imports_s']:.2f} s once"
            f"   (load average {row['load_average']:.1f})"
        )


if __name__ == "__main__":
    main()
