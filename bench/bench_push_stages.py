"""Where a durable append's time goes: each stage of a push, timed inside a real server.

Issue 11 asks for p99 <= 50 ms at a fixed 1,000 appends/s; this script says where the
tail comes from. It runs ``warroom serve`` (the same command, in a child process) with
timers wrapped round each stage of the push lane and the writer thread, loads it with
bench_sync's loaders at a fixed rate, and prints, per stage, p50 / p99 / max and the
mean share of the slowest 1% of requests:

* lane: the app's whole handling of one push (headers in to answer sent);
* auth, body, decode, parse: the token look-up, reading the body, ``quick_decode``,
  the ``PushRequest`` validation;
* queue: from ``Writer.submit`` until the writer thread takes the push into a group;
* group: the writer's work on that group (access checks, chain, inserts) before COMMIT;
* commit: the COMMIT itself (the fsync);
* wake: from the group's results handed to the event loop until the loop runs them;
* resume: from the future resolved until the request's task runs again;
* answer: encoding the results and sending them.

Beside them: the client-side latency (the loaders'), the event loop's lag (a 10 ms
sleeper, how late it wakes), every garbage collection (by generation), the WAL
checkpoint thread's runs, and each thread's CPU per append (from /proc).

    .venv/bin/python bench/bench_push_stages.py [--rate 1000] [--seconds 5]
        [--connections 50] [--profile]

``--profile`` runs cProfile in the server's event loop thread and writer thread and
prints the functions with the most own time per append (slower: use for shares only).
"""

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_sync import Server, free_port, loaders_main, pct

STAGES = (
    "lane",
    "auth",
    "body",
    "decode",
    "parse",
    "queue",
    "group",
    "commit",
    "wake",
    "resume",
    "answer",
)


# -- the instrumented server (child process) -----------------------------------------


def instrument(out_path: Path, profile: bool) -> None:
    """Wrap the push lane's and the writer's stages with timers; dump at exit."""
    import atexit
    import contextvars
    import cProfile
    import pstats
    import threading

    from warroom.server import fastpush
    from warroom.server.sqlite import store, writer

    now = time.perf_counter
    requests: list[dict] = []
    by_future: dict[int, dict] = {}
    current: contextvars.ContextVar[dict | None] = contextvars.ContextVar("push", default=None)
    gcs: list[tuple[int, float]] = []
    lags: list[float] = []
    checkpoints: list[float] = []
    profiles: dict[str, cProfile.Profile] = {}

    def timed_async(stage, function):
        async def wrapper(*args, **kwargs):
            start = now()
            try:
                return await function(*args, **kwargs)
            finally:
                if (record := current.get()) is not None:
                    record[stage] = record.get(stage, 0.0) + now() - start

        return wrapper

    def timed(stage, function):
        def wrapper(*args, **kwargs):
            start = now()
            try:
                return function(*args, **kwargs)
            finally:
                if (record := current.get()) is not None:
                    record[stage] = record.get(stage, 0.0) + now() - start

        return wrapper

    lane_call = fastpush.PushLane.__call__

    async def lane(self, scope, receive, send, fallback):
        start = now()
        record: dict = {"at": start}
        current.set(record)
        await lane_call(self, scope, receive, send, fallback)
        record["lane"] = now() - start
        if "settled" in record:
            record["resume"] = record.pop("resumed") - record.pop("settled")
        requests.append(record)

    fastpush.PushLane.__call__ = lane
    lane_init = fastpush.PushLane.__init__

    def init(self, storage, parse, answer, **kwargs):
        async def answered(events, who):
            results = await answer(events, who)
            if (record := current.get()) is not None:
                record["resumed"] = now()
            return results

        lane_init(self, storage, timed("parse", parse), answered, **kwargs)

    fastpush.PushLane.__init__ = init
    fastpush._read_body = timed_async("body", fastpush._read_body)
    fastpush.quick_decode = timed("decode", fastpush.quick_decode)
    fastpush.PushLane._send_json = timed_async("answer", fastpush.PushLane._send_json)
    store.SQLiteStorage.authenticate = timed_async("auth", store.SQLiteStorage.authenticate)

    submit = writer.Writer.submit

    def submitted(self, events, admit, token_id):
        future = submit(self, events, admit, token_id)
        if (record := current.get()) is not None:
            record["submitted"] = now()
            by_future[id(future)] = record
        return future

    writer.Writer.submit = submitted
    next_group = writer.Writer._next_group

    def taken(self):
        group = next_group(self)
        at = now()
        for job in group or ():
            if (record := by_future.get(id(job.future))) is not None:
                record["queue"] = at - record.pop("submitted")
        return group

    writer.Writer._next_group = taken
    apply_job = writer.Writer._apply_job
    commit_group = writer.Writer._commit_group

    def applying(self, conn, job, touched, decided):
        start = now()
        try:
            return apply_job(self, conn, job, touched, decided)
        finally:
            self._applied = getattr(self, "_applied", 0.0) + now() - start

    def committing(self, conn, group):
        records = [by_future.get(id(job.future)) for job in group]
        self._applied = 0.0
        start = now()
        commit_group(self, conn, group)
        for record in records:
            if record is not None and "resolved" in record:
                record["group"] = self._applied
                record["commit"] = record["resolved"] - start - self._applied

    writer.Writer._apply_job = applying
    writer.Writer._commit_group = committing
    resolve = writer._resolve

    def resolving(outcomes, then):
        at = now()
        for job, _ in outcomes:
            if (record := by_future.get(id(job.future))) is not None:
                record["resolved"] = at
        resolve(outcomes, then)

    writer._resolve = resolving
    settle = writer._settle

    def settling(outcomes, then):
        at = now()
        for job, _ in outcomes:
            if (record := by_future.pop(id(job.future), None)) is not None:
                record["wake"] = at - record["resolved"]
                record["settled"] = now()
        settle(outcomes, then)

    writer._settle = settling

    run_checkpoint = store._Checkpoints.run

    def checkpoint(self):
        start = now()
        run_checkpoint(self)
        checkpoints.append(now() - start)

    store._Checkpoints.run = checkpoint

    gc_started = [0.0]

    def on_gc(phase, info):
        if phase == "start":
            gc_started[0] = now()
        else:
            gcs.append((info["generation"], now() - gc_started[0], gc_started[0]))

    gc.callbacks.append(on_gc)

    storage_start = store.SQLiteStorage.start

    async def started(self):
        await storage_start(self)

        async def watch_lag():
            loop = asyncio.get_running_loop()
            while True:
                at = loop.time()
                await asyncio.sleep(0.01)
                lags.append(loop.time() - at - 0.01)

        self._lag_watch = asyncio.ensure_future(watch_lag())
        if profile:
            profiles["event loop"] = cProfile.Profile()
            profiles["event loop"].enable()

    store.SQLiteStorage.start = started

    if profile:
        writer_loop = writer.Writer._loop

        def profiled_loop(self):
            profiles["writer"] = cProfile.Profile()
            profiles["writer"].runcall(writer_loop, self)

        writer.Writer._loop = profiled_loop

    def dump():
        tops = {}
        for name, profiler in profiles.items():
            profiler.disable()
            stats = pstats.Stats(profiler).stats
            ranked = sorted(stats.items(), key=lambda kv: -kv[1][2])[:25]
            tops[name] = [
                (f"{Path(f).name}:{line}({fn})", calls, own)
                for (f, line, fn), (_, calls, own, _, _) in ranked
            ]
        out_path.write_text(
            json.dumps(
                {
                    "requests": requests,
                    "gc": gcs,
                    "lag": lags,
                    "checkpoints": checkpoints,
                    "profiles": tops,
                    "thread_names": [t.name for t in threading.enumerate()],
                }
            )
        )

    atexit.register(dump)


def serve_instrumented(port: int, data: Path, out: Path, profile: bool) -> None:
    """``warroom serve`` as the CLI runs it, with ``instrument`` applied first."""
    instrument(out, profile)
    from warroom.cli.entry import run as cli

    sys.argv = ["warroom", "serve", "--port", str(port), "--data", str(data)]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so atexit runs
    cli()


class StagedServer(Server):
    """bench_sync's ``Server`` (tokens, CPU) started by ``serve_instrumented``."""

    def __init__(self, data: Path, out: Path, profile: bool) -> None:
        import httpx
        from bench_sync import storage_for

        self.data, self.out = data, out
        self.storage = storage_for(data, None)
        self.port = free_port()
        self.ports = [self.port]
        env = dict(os.environ, WARROOM_HOME=str(data.parent / "server-home"))
        command = [sys.executable, __file__, "--serve", str(self.port), str(data), str(out)]
        command += ["--profile"] if profile else []
        self.proc = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        self.procs = [self.proc]
        for _ in range(400):
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/v1/info", timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise SystemExit("the instrumented server did not start")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


# -- the report ---------------------------------------------------------------------------


def thread_cpu(pid: int) -> dict[str, tuple[float, float]]:
    """Each live thread's (user, system) CPU seconds so far, by name and id."""
    tick = os.sysconf("SC_CLK_TCK")
    threads = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        name = (task / "comm").read_text().strip()
        threads[f"{name}-{task.name}"] = (int(fields[11]) / tick, int(fields[12]) / tick)
    return threads


def ms(values: list[float], q: float) -> float:
    return 1000 * pct(values, q)


def report(stats: dict, threads: dict, client: list[float], appends: int, profile: bool) -> None:
    requests = [r for r in stats["requests"] if "lane" in r]
    print(f"{len(client)} appends answered, {len(requests)} timed in the lane")
    print(
        f"{'stage':<10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'slowest 1% mean ms':>21}   (slowest 1% by lane time)"
    )
    slowest = sorted(requests, key=lambda r: r["lane"])[-max(1, len(requests) // 100) :]
    for stage in STAGES:
        values = [r.get(stage, 0.0) for r in requests]
        tail = sum(r.get(stage, 0.0) for r in slowest) / len(slowest)
        print(
            f"{stage:<10}{ms(values, 50):9.2f}{ms(values, 99):9.2f}"
            f"{1000 * max(values, default=0):9.2f}{1000 * tail:21.2f}"
        )
    print(
        f"{'client':<10}{ms(client, 50):9.2f}{ms(client, 99):9.2f}{1000 * max(client):9.2f}"
        "   (the loaders' latency, from each send's scheduled time)"
    )
    lag = stats["lag"]
    print(
        f"{'loop lag':<10}{ms(lag, 50):9.2f}{ms(lag, 99):9.2f}{1000 * max(lag, default=0):9.2f}"
        f"   ({len(lag)} wake-ups of a 10 ms sleeper)"
    )
    first = min(r["at"] for r in requests)
    for generation, pause, at in stats["gc"]:
        if pause > 0.005:
            print(f"gc gen {generation}: {1000 * pause:.1f} ms at {at - first:+.2f} s")
    for generation in (0, 1, 2):
        pauses = [d for g, d, _ in stats["gc"] if g == generation]
        if pauses:
            print(
                f"gc gen {generation}: {len(pauses)} collections, p99"
                f" {ms(pauses, 99):.2f} ms, max {1000 * max(pauses):.2f} ms,"
                f" total {1000 * sum(pauses):.1f} ms"
            )
    if stats["checkpoints"]:
        c = stats["checkpoints"]
        print(f"WAL checkpoints: {len(c)}, max {1000 * max(c):.1f} ms")
    total = sum(user + system for user, system in threads.values())
    parts = ", ".join(
        f"{name} {1e6 * user / appends:.0f} user + {1e6 * system / appends:.0f} system"
        for name, (user, system) in sorted(threads.items(), key=lambda kv: -sum(kv[1]))
        if user + system > 0.01
    )
    print(f"server CPU per append: {1e6 * total / appends:.0f} us ({parts})")
    if profile:
        for name, rows in stats["profiles"].items():
            print(f"-- own time per append, {name} thread (cProfile; inflated, for shares)")
            for where, calls, own in rows:
                print(f"{1e6 * own / appends:8.1f} us  {calls / appends:6.2f} calls  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="appends/s (0: closed loop)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "DATA", "OUT"))
    args = parser.parse_args()
    if args.serve:
        port, data, out = args.serve
        serve_instrumented(int(port), Path(data), Path(out), args.profile)
        return
    with tempfile.TemporaryDirectory(prefix="warroom-stages-") as tmp:
        out = Path(tmp) / "stages.json"
        server = StagedServer(Path(tmp) / "data", out, args.profile)
        try:
            names = [f"load{i}" for i in range(args.connections)]
            tokens = [(name, server.token(name)) for name in names]
            queue = mp.get_context("spawn").Queue()
            loaders = mp.get_context("spawn").Process(
                target=loaders_main,
                args=([server.port], tokens, args.seconds, args.rate or None, queue),
            )
            before = thread_cpu(server.proc.pid)
            loaders.start()
            client, _ = queue.get(timeout=args.seconds + 60)  # latencies, its own CPU
            after = thread_cpu(server.proc.pid)
            threads = {
                name: (user - before.get(name, (0, 0))[0], system - before.get(name, (0, 0))[1])
                for name, (user, system) in after.items()
            }
            loaders.join(10)
        finally:
            server.stop()
        print(f"load average: {os.getloadavg()[0]:.2f}")
        report(json.loads(out.read_text()), threads, client, len(client), args.profile)


if __name__ == "__main__":
    main()
