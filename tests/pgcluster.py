"""A throwaway PostgreSQL cluster for tests and benchmarks: ``initdb`` in a temporary
folder, ``pg_ctl start`` on a free port on 127.0.0.1, stopped at the end.

``WARROOM_TEST_POSTGRES`` (a ``postgresql://`` URL of a server whose user may create
databases) is used instead when set. Root cannot run PostgreSQL, so as root the cluster
runs as the ``postgres`` user (Debian's package creates it) or, failing that, ``nobody``.
``available()`` says why no cluster can be had, so tests skip with that reason.
"""

import contextlib
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ENV_URL = "WARROOM_TEST_POSTGRES"
BIN_DIRS = (
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
)


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in BIN_DIRS:
        candidate = Path(folder) / name
        if candidate.is_file():
            return str(candidate)
    return None


def _run_as() -> str | None:
    """The user to run the cluster as: None for the current (non-root) user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and there is no 'postgres' or 'nobody' user")


def unavailable() -> str | None:
    """Why no PostgreSQL can be had here, or None."""
    if os.environ.get(ENV_URL):
        return None
    if _binary("initdb") is None or _binary("pg_ctl") is None:
        return f"no PostgreSQL here: initdb/pg_ctl not found and {ENV_URL} is not set"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A running PostgreSQL; ``database()`` makes a fresh, empty database on it."""

    def __init__(
        self, admin_url: str, stop: "callable | None" = None, data: Path | None = None
    ) -> None:
        self.admin_url = admin_url
        self._stop = stop
        self.data = data
        """The cluster's data folder (None for ``WARROOM_TEST_POSTGRES``'s server)."""

    def cpu_s(self) -> float:
        """CPU seconds (user + system) used so far by the postmaster and every process it
        started (backends, WAL writer, checkpointer); 0 for a server not started here.
        A backend that has exited no longer counts, so measure over pooled connections."""
        if self.data is None:
            return 0.0
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == postmaster or stat.parent.name == str(postmaster):
                    total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def database(self, prefix: str = "wt") -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None


def _as_user(user: str | None, argv: list[str]) -> list[str]:
    if user is None:
        return argv
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", user, "--", *argv]
    return ["su", user, "-s", "/bin/sh", "-c", " ".join(argv)]


def start(*, durable: bool = False, options: tuple[str, ...] = ()) -> Cluster:
    """Start a cluster (or use ``WARROOM_TEST_POSTGRES``). ``durable`` keeps fsync on (for
    benchmarks of durable appends); tests run without it, as nothing here survives them."""
    if url := os.environ.get(ENV_URL):
        return Cluster(url)
    reason = unavailable()
    if reason:
        raise RuntimeError(reason)
    user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="warroom-pg-"))
    data = folder / "data"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    initdb = _as_user(
        user,
        [
            _binary("initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        ],
    )
    subprocess.run(initdb, check=True, capture_output=True, timeout=120)
    port = _free_port()
    settings = [
        f"-p {port}",
        "-h 127.0.0.1",
        f"-k {folder}",
        "-c max_connections=300",
        "-c shared_buffers=64MB",
        *(
            []
            if durable
            else ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        ),
        *options,
    ]
    pg_ctl = _binary("pg_ctl")
    log = folder / "server.log"
    subprocess.run(
        _as_user(
            user,
            [
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                " ".join(settings),
                "start",
            ],
        ),
        check=True,
        capture_output=True,
        timeout=90,
    )

    halt = _as_user(user, [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
    watchdog = _watchdog(halt, folder)

    def stop() -> None:
        watchdog.kill()
        watchdog.wait()
        subprocess.run(halt, capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)

    admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + 30
    import psycopg

    while True:
        try:
            psycopg.connect(admin, connect_timeout=2).close()
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                stop()
                raise
            time.sleep(0.1)
    return Cluster(admin, stop, data)


def _watchdog(halt: list[str], folder: Path) -> subprocess.Popen:
    """A shell that stops the cluster and removes its folder once this process is gone.
    ``pg_ctl`` runs the server as a daemon, so a test run killed by a timeout (or
    ``kill -9``) would leave it running, its port and memory held, until the machine
    restarts. In a session of its own, so killing the run's process group spares it."""
    script = (
        f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done;"
        f" {shlex.join(halt)} >/dev/null 2>&1; rm -rf {shlex.quote(str(folder))}"
    )
    return subprocess.Popen(
        ["sh", "-c", script],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def cluster(**kwargs) -> Iterator[Cluster]:
    running = start(**kwargs)
    try:
        yield running
    finally:
        running.stop()
