"""Scaling benchmark: how local paths grow with the events of one incident and with the
number of incidents in a home (issue 11: 10x the work must cost at most ~10x the time).

    .venv/bin/python bench/bench_scale.py [--events 10000,100000] [--incidents 10,1000]
        [--data DIR] [--runs 3] [--terminal] [--synced]

For each size in ``--events`` a home with one incident of that many events is measured:
``status`` without a snapshot (cold) and with one, ``export --format md`` and ``json``
(wall time and peak RSS of the real ``warroom`` process) and the screen's reader opening
the incident (in process: the time to the ``Loaded`` message). For each size in
``--incidents`` a home of that many incidents of ~50 events is measured: durable local
append p50/p99 through ``WarRoom.log``, ``warroom list --json``, and the reader opening.
The first listing and the first open are shown apart: they fill the v4 caches (once
per home, or per incident, after the migration). The first open is measured twice: on
a home that has no caches at all (one from before them), and after the caches were
brought current the way a catch-up leaves them (``store/caches.py``, its CPU shown):
the open a fresh client makes right after catching up. ``--terminal`` adds the real screen
on a pseudo-terminal (bench_tui's startup: the incident's title on screen);
``--synced`` marks the long incidents caught up from a server first, so the JSON export
writes a chain link per event. Medians of ``--runs``; commands show wall and CPU time
(on a shared machine compare CPU), exports their rate and peak RSS.

Homes are generated once into ``--data`` (default: a temporary folder) and reused by
later runs with the same folder, so 1M events are written only once: generating them
bypasses ``WarRoom`` (one transaction, bodies from a template), as a year of history
would have been written by the real path anyway.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from compiled import byte_compile_warroom

from warroom.actions import WarRoom
from warroom.core import events as ev
from warroom.core.ids import new_event_id
from warroom.core.policy import default_policy
from warroom.core.timeparse import utcnow
from warroom.store.local import LocalStore

WARROOM = str(Path(sys.executable).parent / "warroom")
EXPORT_TARGET = "   [target >= 100,000 events/s, peak <= 200 MB at 1M]"
KINDS = ("note", "observation", "action", "decision", "hypothesis")


def _declaration(store: LocalStore, incident_id: str, at, title: str) -> ev.Event:
    return ev.Event(
        id=new_event_id(),
        incident_id=incident_id,
        actor="bench",
        occurred_at=at,
        recorded_at=at,
        device_id=store.device_id,
        device_seq=1,
        payload=ev.Declaration(
            title=title, severity="SEV2", incident_type="outage", services=("checkout",)
        ),
    )


def _bulk_rows(store: LocalStore, incident_id: str, count: int, start, first_seq: int):
    """``count`` typed entries, one second apart, serialised from one model's template."""
    template = ev.Event(
        id=new_event_id(),
        incident_id=incident_id,
        actor="scribe",
        occurred_at=start,
        recorded_at=start,
        device_id=store.device_id,
        device_seq=1,
        payload=ev.Observation(text="x"),
    ).model_dump(mode="json")
    for n in range(count):
        at = (start + timedelta(seconds=n + 1)).isoformat()
        kind = KINDS[n % len(KINDS)]
        body = dict(
            template,
            id=new_event_id(),
            occurred_at=at.replace("+00:00", "Z"),
            recorded_at=at.replace("+00:00", "Z"),
            device_seq=first_seq + n,
            payload={"kind": kind, "text": f"{kind} {n}: p99 {n % 900} ms on checkout-api"},
        )
        yield (
            body["id"], incident_id, kind, "scribe", at, at, store.device_id,
            first_seq + n, json.dumps(body, separators=(",", ":")),
        )  # fmt: skip


def build_home(root: Path, incidents: int, events_each: int) -> tuple[Path, list[str]]:
    """A home of ``incidents`` incidents of ``events_each`` events (built once per folder)."""
    home = root / f"home-{incidents}x{events_each}"
    ids_file = home / "ids.json"
    if ids_file.exists():
        return home, json.loads(ids_file.read_text())
    store = LocalStore(home / "warroom.db")
    start = utcnow() - timedelta(seconds=events_each + 3600)
    ids, seq = [], 2
    with store._transaction():
        for n in range(incidents):
            incident_id = f"inc-{n:06d}"
            store._insert(_declaration(store, incident_id, start, f"scale incident {n}"))
            store.conn.executemany(
                "INSERT INTO events (id, incident_id, kind, actor, occurred_at, recorded_at,"
                " device_id, device_seq, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _bulk_rows(store, incident_id, events_each - 1, start, seq),
            )
            seq += events_each
            ids.append(incident_id)
        store._set_meta("device_seq", str(seq))
    store.close()
    ids_file.write_text(json.dumps(ids))
    return home, ids


def run_cli(home: Path, *args: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one real ``warroom`` command. The
    CPU time is the figure to compare on a shared machine, where wall time is mostly
    waiting for a core."""
    env = dict(os.environ, WARROOM_HOME=str(home), WARROOM_USER="bench")
    started = time.perf_counter()
    proc = subprocess.Popen([WARROOM, *args], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"warroom {' '.join(args)} failed ({status})")
    return took, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def median_cli(home: Path, runs: int, *args: str, before=None) -> tuple[float, float, float]:
    """Medians of wall and CPU seconds, and the highest peak RSS, over ``runs``."""
    results = []
    for _ in range(runs):
        if before is not None:
            before()
        results.append(run_cli(home, *args))
    return (
        statistics.median(r[0] for r in results),
        statistics.median(r[1] for r in results),
        max(r[2] for r in results),
    )


def timed(result: tuple[float, float, float], events: int = 0) -> str:
    """``wall s (CPU s)``, with events/s by CPU and the peak RSS for an export."""
    wall, cpu, peak = result
    text = f"{wall:.2f} s ({cpu:.2f} s CPU)"
    return text + (f", {events / cpu:,.0f} events/s CPU, {peak:.0f} MB peak" if events else "")


def mark_synced(home: Path, incident_id: str) -> None:
    """Make the home look caught up from a server (every event acknowledged, chained and
    verified), so a JSON export carries the ``sync`` section with a link per event."""
    with LocalStore(home / "warroom.db") as store:
        if store._meta("sync_server"):
            return
        with store._transaction():
            store.conn.execute(
                "UPDATE events SET server_seq = seq, hash = printf('%064x', seq)"
                " WHERE incident_id = ?",
                (incident_id,),
            )
            store.conn.execute(
                "INSERT OR REPLACE INTO sync_heads (incident_id, seq, hash)"
                " SELECT incident_id, MAX(server_seq), printf('%064x', MAX(server_seq))"
                " FROM events WHERE incident_id = ?",
                (incident_id,),
            )
            store._set_meta("sync_server", "http://127.0.0.1:1")
            store._set_meta("server_key", "bench")


def drop_snapshots(home: Path) -> None:
    with LocalStore(home / "warroom.db") as store:
        store.conn.execute("DELETE FROM snapshots")


def drop_caches(home: Path) -> None:
    """Drop every read cache: the home as one from before them, or never opened."""
    with LocalStore(home / "warroom.db") as store:
        for table in ("snapshots", "timeline_cache", "summaries"):
            store.conn.execute(f"DELETE FROM {table}")


def kept_caches(home: Path, incident_id: str) -> float:
    """Drop every read cache, then bring them current as a catch-up does at its end
    (``store/caches.py``); CPU seconds that took (a once-per-arrival cost, not an open's)."""
    from warroom.store import caches

    drop_caches(home)
    with LocalStore(home / "warroom.db") as store:
        started = time.process_time()
        caches.refresh(store, {incident_id})
        return time.process_time() - started


def reader_open(home: Path, incident_id: str | None, runs: int) -> tuple[float, float]:
    """Medians of the seconds for the screen's reader thread to put an incident on
    screen (its tail, ``Tail``, or the whole of it, ``Loaded``: whichever goes first)
    and to have its folded state there (``Loaded``)."""
    from warroom.tui import messages as msg
    from warroom.tui.store_reader import _Reader
    from warroom.tui.store_worker import StoreLink

    shown, loaded = [], []
    for _ in range(runs):
        posted: list = []
        at: dict[type, float] = {}  # the incident can go out before the picker's list

        def post(message, posted=posted, at=at) -> None:
            posted.append(message)
            if isinstance(message, msg.Tail | msg.Loaded):
                at.setdefault(type(message), time.perf_counter())

        link = StoreLink(home / "warroom.db", default_policy(), "bench", post)
        reader = _Reader(link)
        started = time.perf_counter()
        reader.store = LocalStore(home / "warroom.db")
        reader._open(incident_id)
        reader.close()
        assert msg.Loaded in at, posted
        shown.append(min(at.values()) - started)
        loaded.append(at[msg.Loaded] - started)
    return statistics.median(shown), statistics.median(loaded)


def terminal_open(home: Path, title: str, runs: int, incident_id: str) -> float:
    """Seconds from ``warroom -i ID`` starting to the incident's title on screen (by id:
    a bare ``warroom`` in a home of many open incidents shows the picker)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_tui import startup

    return startup(home, title, runs, ("-i", incident_id))[1]


def appends(home: Path, incident_id: str, count: int) -> tuple[float, float]:
    """p50 and p99 (ms) of durable ``WarRoom.log`` appends, by an id prefix."""
    store = LocalStore(home / "warroom.db")
    room = WarRoom(store, default_policy(), "bench")
    ref = incident_id.removeprefix("inc-")
    latencies = []
    for n in range(count):
        started = time.perf_counter()
        room.log(ref, f"durable entry {n}", kind=KINDS[n % len(KINDS)])
        latencies.append((time.perf_counter() - started) * 1000)
    store.close()
    q = statistics.quantiles(latencies, n=100)
    return q[49], q[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="10000,100000", help="sizes of one incident")
    parser.add_argument("--incidents", default="10,1000", help="incident counts in a home")
    parser.add_argument("--per-incident", type=int, default=50)
    parser.add_argument("--appends", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, help="keep generated homes here for reuse")
    parser.add_argument("--terminal", action="store_true", help="also the real screen")
    parser.add_argument(
        "--synced", action="store_true", help="mark the long incidents synced (export chain)"
    )
    args = parser.parse_args()
    byte_compile_warroom()
    sizes = [int(s) for s in args.events.split(",") if s]
    counts = [int(s) for s in args.incidents.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="warroom-scale-") as tmp:
        root = args.data or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        rows: list[tuple[str, str]] = []
        for size in sizes:
            started = time.perf_counter()
            home, (incident_id,) = build_home(root, 1, size)
            print(f"[{size:,} events: home ready in {time.perf_counter() - started:.1f} s]")
            if args.synced:
                mark_synced(home, incident_id)
            cold = median_cli(home, args.runs, "status", incident_id, "--json",
                              before=lambda h=home: drop_snapshots(h))  # fmt: skip
            warm = median_cli(home, args.runs, "status", incident_id, "--json")
            out = str(root / "export.out")
            md = median_cli(home, args.runs, "export", incident_id, "-f", "md", "-o", out)
            js = median_cli(home, args.runs, "export", incident_id, "-f", "json", "-o", out)
            drop_caches(home)
            first_open, first_state = reader_open(home, incident_id, 1)
            opened, _ = reader_open(home, incident_id, args.runs)
            refreshed = kept_caches(home, incident_id)
            kept_open, _ = reader_open(home, incident_id, 1)
            label = f"{size:,} events"
            rows += [
                (f"{label}: status, no snapshot", timed(cold)),
                (f"{label}: status, snapshot", timed(warm)),
                (f"{label}: export md", timed(md, size) + EXPORT_TARGET),
                (
                    f"{label}: export json" + " (synced)" * args.synced,
                    timed(js, size) + EXPORT_TARGET,
                ),
                (
                    f"{label}: reader opens the incident, no caches yet",
                    f"{first_open:.3f} s on screen (its tail)   [target <= 1 s];"
                    f" folded state {first_state:.3f} s",
                ),
                (f"{label}: reader opens the incident", f"{opened:.3f} s"),
                (f"{label}: caches brought current (catch-up's end)", f"{refreshed:.2f} s CPU"),
                (
                    f"{label}: reader opens the incident, first after that",
                    f"{kept_open:.3f} s   [target <= 1 s]",
                ),
            ]
            if args.terminal:
                shown = terminal_open(home, "scale incident 0", args.runs, incident_id)
                rows.append((f"{label}: incident on screen (terminal)", f"{shown:.2f} s"))
        for count in counts:
            started = time.perf_counter()
            home, ids = build_home(root, count, args.per_incident)
            print(f"[{count:,} incidents: home ready in {time.perf_counter() - started:.1f} s]")
            first_list = run_cli(home, "list", "--json")
            listed = median_cli(home, args.runs, "list", "--json")
            opened, _ = reader_open(home, ids[0], args.runs)
            p50, p99 = appends(home, ids[len(ids) // 2], args.appends)
            label = f"{count:,} incidents"
            rows += [
                (f"{label}: local append p50 / p99", f"{p50:.2f} / {p99:.2f} ms"),
                (f"{label}: list --json, first", timed(first_list)),
                (f"{label}: list --json", timed(listed)),
                (f"{label}: reader opens an incident", f"{opened:.3f} s"),
            ]
            if args.terminal:
                shown = terminal_open(home, "scale incident 0", args.runs, ids[0])
                rows.append((f"{label}: incident on screen (terminal)", f"{shown:.2f} s"))
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
