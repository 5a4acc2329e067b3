"""Server CPU per durable append next to its floor, side by side in one run.

Target (issue 11): warroom's CPU per durable append <= 1.5x that of a minimal Starlette
+ SQLite group-commit endpoint doing the same durable work.

    .venv/bin/python bench/bench_server_floor.py [--connections 50] [--seconds 10] [--runs 1]

The floor (``floor_app``, below) is what any server must do for one push: parse the
JSON body, check a bearer token, give each event the next number of its incident, and
insert it durably (WAL, synchronous=FULL) by one writer thread that commits every push
waiting in its queue in one transaction; it answers with each event's number. It is run
by uvicorn with the settings of ``warroom serve``. Both servers are loaded by the same
closed-loop generator as bench_sync (one keep-alive connection per token, one event per
request, in a separate process); CPU is the server process's (every thread, from
/proc), divided by the appends it answered.
"""

import argparse
import asyncio
import hashlib
import json
import multiprocessing as mp
import os
import queue
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_sync import Server, free_port, loaders_main
from compiled import byte_compile_warroom


def floor_app(data: Path):
    """The minimal durable push endpoint (Starlette, one writer thread, group commit)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    data.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data / "floor.db", isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS events (incident TEXT, seq INTEGER, id TEXT UNIQUE,"
        " body TEXT, PRIMARY KEY (incident, seq))"
    )
    jobs: queue.Queue = queue.Queue()
    heads: dict[str, int] = {}
    tokens = {hashlib.sha256(f"floor-load{i}".encode()).hexdigest() for i in range(1000)}

    def writer() -> None:
        while True:
            group = [jobs.get()]
            while not jobs.empty() and len(group) < 500:
                group.append(jobs.get_nowait())
            conn.execute("BEGIN IMMEDIATE")
            answers = []
            for events, future, loop in group:
                results = []
                for event in events:
                    incident = event["incident_id"]
                    seq = heads.get(incident, 0) + 1
                    heads[incident] = seq
                    conn.execute(
                        "INSERT INTO events VALUES (?, ?, ?, ?)",
                        (incident, seq, event["id"], json.dumps(event)),
                    )
                    results.append({"id": event["id"], "status": "applied", "server_seq": seq})
                answers.append((future, loop, results))
            conn.execute("COMMIT")
            for future, loop, results in answers:
                loop.call_soon_threadsafe(future.set_result, results)

    threading.Thread(target=writer, daemon=True).start()

    async def push(request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if hashlib.sha256(token.encode()).hexdigest() not in tokens:
            return Response(status_code=401)
        events = json.loads(await request.body())["events"]
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        jobs.put((events, future, loop))
        return JSONResponse({"results": await future})

    return Starlette(routes=[Route("/v1/push", push, methods=["POST"])])


def serve_floor(port: int, data: Path) -> None:
    import uvicorn

    uvicorn.run(floor_app(data), host="127.0.0.1", port=port, log_level="warning", access_log=False)


class FloorServer:
    def __init__(self, data: Path) -> None:
        self.port = free_port()
        cmd = [sys.executable, __file__, "--serve-floor", str(self.port), str(data)]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        for _ in range(400):
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the floor server did not start")

    def token(self, name: str) -> str:
        return f"floor-{name}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(pid: int, port: int, tokens: list[tuple[str, str]], seconds: float) -> dict:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    before = cpu_seconds(pid)
    child = ctx.Process(target=loaders_main, args=([port], tokens, seconds, None, out))
    child.start()
    latencies, _ = out.get(timeout=seconds + 60)  # and the loaders' own CPU
    child.join(10)
    cpu = cpu_seconds(pid) - before
    ordered = sorted(latencies)
    return {
        "appends_per_s": len(latencies) / seconds,
        "cpu_ms_per_append": 1000 * cpu / len(latencies),
        "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--serve-floor", nargs=2, metavar=("PORT", "DATA"))
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(int(args.serve_floor[0]), Path(args.serve_floor[1]))
        return
    byte_compile_warroom()
    import tempfile

    with tempfile.TemporaryDirectory(prefix="warroom-floor-") as tmp:
        for run in range(args.runs):
            rows = {}
            for name, make in (("floor", FloorServer), ("warroom", Server)):
                server = make(Path(tmp) / f"{name}-{run}")
                try:
                    actors = [f"load{i}" for i in range(args.connections)]
                    tokens = [(actor, server.token(actor)) for actor in actors]
                    rows[name] = load(server.proc.pid, server.port, tokens, args.seconds)
                finally:
                    server.stop()
            ratio = rows["warroom"]["cpu_ms_per_append"] / rows["floor"]["cpu_ms_per_append"]
            for name, row in rows.items():
                print(
                    f"run {run + 1} {name:<8} {row['appends_per_s']:7.0f} appends/s"
                    f"  {row['cpu_ms_per_append']:.3f} ms CPU each  p99 {row['p99_ms']:.1f} ms"
                )
            print(f"run {run + 1} warroom / floor CPU per append: {ratio:.2f}x   [target <= 1.5x]")


if __name__ == "__main__":
    main()
