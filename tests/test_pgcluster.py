"""The throwaway PostgreSQL cluster goes away with the run that started it, even when
that run is killed (a CI timeout, ``kill -9``): the server ``pg_ctl`` daemonised is
stopped and its folder removed, so killed runs do not pile up servers on the machine."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import pgcluster

CHILD = """
import sys, time
from tests import pgcluster
running = pgcluster.start()
print(running.admin_url.rsplit(":", 1)[1].split("/")[0], running.data, flush=True)
time.sleep(600)
"""


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(
    bool(os.environ.get(pgcluster.ENV_URL) or pgcluster.unavailable()),
    reason=pgcluster.unavailable() or "an external PostgreSQL is used, not a cluster of ours",
)
def test_a_cluster_is_stopped_and_removed_when_its_run_is_killed():
    root = Path(__file__).parent.parent
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        port_text, data = child.stdout.readline().split()
        port = int(port_text)
        assert _answers(port)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    deadline = time.monotonic() + 30
    while (_answers(port) or Path(data).exists()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _answers(port), "the killed run's PostgreSQL still answers"
    assert not Path(data).exists(), "the killed run's cluster folder is still there"
