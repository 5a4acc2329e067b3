"""Delivery benchmark: approval to a local receiver (target p99 <= 1 s), and throughput
to 50 channels at once.

    .venv/bin/python bench/bench_delivery.py [--notices 30] [--channels 50] [--rounds 4]

* latency: a real ``warroom serve`` (``--deliver-every 0.25``) with one JSON-webhook
  channel for the external audience. A responder drafts an external notice, the
  commander approves it and syncs; the clock runs from the approval (the local write)
  to the receiver holding the request, through the push, the server's dispatcher round,
  the claim, the send and the receipt.
* throughput: ``warroom serve`` with ``--channels`` webhook channels (one receiver) for
  the internal audience; ``--rounds`` internal notices (no approval needed) pushed at
  once. Reported: time until the receiver had every delivery, and until every receipt
  was on the server's record; then nothing more may arrive.

The receiver is a threaded ``http.server`` on 127.0.0.1 sharing the machine's cores.
"""

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from warroom.actions import WarRoom
from warroom.core.policy import default_policy
from warroom.server.sqlite import SQLiteStorage
from warroom.store.local import LocalStore
from warroom.sync.engine import SyncEngine

WARROOM = str(Path(sys.executable).parent / "warroom")


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # socketserver's 5 makes concurrent senders wait for SYN retries


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


class Receiver:
    """Records when each delivery id first arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.count += 1
                    receiver.arrived.setdefault(self.headers["Idempotency-Key"], time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.server = _Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "hook") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


class Served:
    """A real ``warroom serve`` delivering through ``book``, and one client home."""

    def __init__(self, root: Path, book: str) -> None:
        home = root / "server-home"
        home.mkdir()
        (home / "channels.toml").write_text(book)
        data = root / "server-data"
        port = free_port()
        self.proc = subprocess.Popen(
            [WARROOM, "serve", "--port", str(port), "--data", str(data)],
            env=dict(os.environ, WARROOM_HOME=str(home)),
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{port}"
        for _ in range(400):
            try:
                httpx.get(self.url + "/v1/info", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        self.token = asyncio.run(SQLiteStorage(data).create_token("eli", "responder"))[1]
        database = root / "eli" / "warroom.db"
        self.store = LocalStore(database)
        self.room = WarRoom(self.store, default_policy(), "eli")
        self.engine = SyncEngine(database, self.url, self.token)
        self.incident = self.room.declare(
            "bench", severity="SEV2", incident_type="outage"
        ).incident_id
        self.engine.sync_once()

    def receipts(self) -> int:
        headers = {"Authorization": f"Bearer {self.token}"}
        page = httpx.get(
            f"{self.url}/v1/incidents/{self.incident}/events", headers=headers, timeout=10
        ).json()
        kinds = [r["event"]["payload"]["kind"] for r in page["records"]]
        return kinds.count("notice_delivered")

    def stop(self) -> None:
        self.store.close()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


def latency(root: Path, notices: int) -> list[float]:
    receiver = Receiver()
    served = Served(
        root, f'[channels.status]\nurl = "{receiver.url()}"\naudiences = ["external"]\n'
    )
    room, incident, engine = served.room, served.incident, served.engine
    try:
        times = []
        for n in range(notices):
            draft = room.draft_notice(incident, "external", f"Update {n}").payload.draft_id
            engine.sync_once()
            before = set(receiver.arrived)
            started = time.monotonic()
            room.approve_notice(incident, draft)
            engine.sync_once()
            while not set(receiver.arrived) - before:
                time.sleep(0.002)
            (arrived,) = [receiver.arrived[d] for d in set(receiver.arrived) - before]
            times.append(arrived - started)
        return times
    finally:
        served.stop()
        receiver.server.shutdown()


def throughput(root: Path, channels: int, rounds: int) -> tuple[int, float, float]:
    """Deliveries, seconds until the receiver had them all, seconds until every receipt
    was on the server's record — from the push of the drafts."""
    receiver = Receiver()
    book = "".join(
        f'[channels.c{n}]\nurl = "{receiver.url(f"c{n}")}"\naudiences = ["internal"]\n\n'
        for n in range(channels)
    )
    served = Served(root, book)
    try:
        for n in range(rounds):
            served.room.draft_notice(served.incident, "internal", f"Update {n}")
        expected = channels * rounds
        started = time.monotonic()
        served.engine.sync_once()
        while receiver.count < expected:
            time.sleep(0.005)
        arrived = time.monotonic() - started
        while served.receipts() < expected:
            time.sleep(0.05)
        recorded = time.monotonic() - started
        time.sleep(1.0)  # a few more rounds: nothing goes out twice
        assert receiver.count == expected == served.receipts(), receiver.count
        return expected, arrived, recorded
    finally:
        served.stop()
        receiver.server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=30)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "latency").mkdir()
        (root / "throughput").mkdir()
        times = latency(root / "latency", args.notices)
        print(
            f"approval -> receiver ({args.notices} external notices through warroom serve):"
            f" p50 {pct(times, 50) * 1000:.0f} ms, p99 {pct(times, 99) * 1000:.0f} ms,"
            f" max {max(times) * 1000:.0f} ms (target p99 <= 1000 ms)"
        )
        sent, arrived, recorded = throughput(root / "throughput", args.channels, args.rounds)
        print(
            f"throughput through warroom serve: {sent} deliveries ({args.rounds} notices x"
            f" {args.channels} channels) at the receiver in {arrived:.2f} s"
            f" ({sent / arrived:.0f}/s), every receipt on the record in {recorded:.2f} s"
        )


if __name__ == "__main__":
    main()
