"""Real receivers on 127.0.0.1 for delivery tests: an HTTP endpoint that records what
arrives (a Mattermost-style incoming webhook and a JSON webhook are both just POSTs) and
can answer with a scripted list of statuses, and an SMTP server (aiosmtpd)."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.sync.conftest import free_port


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # socketserver's 5 makes concurrent senders wait for SYN retries


@dataclass
class Arrival:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Every POST, in order; ``statuses`` are answered first (then 200)."""

    statuses: list[int] = field(default_factory=list)
    arrivals: list[Arrival] = field(default_factory=list)
    hold_first: bool = False
    """Keep the first request waiting (after it arrived) until ``release`` is set."""
    release: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "HttpReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.arrivals.append(Arrival(self.path, dict(self.headers), body))
                    hold = receiver.hold_first and len(receiver.arrivals) == 1
                if hold:
                    receiver.release.wait(30)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.lock = threading.Lock()
        self.port = free_port()
        self.server = _Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def delivery_ids(self) -> list[str]:
        return [a.headers.get("Idempotency-Key", "") for a in self.arrivals]


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


class SmtpReceiver:
    def start(self) -> "SmtpReceiver":
        self.mailbox = _Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    @property
    def messages(self) -> list[tuple[list[str], bytes]]:
        return self.mailbox.messages

    def stop(self) -> None:
        self.controller.stop()
