"""The server's files hold the record and its signing key: readable by its user alone.

Whatever the umask, and also in a data folder that already existed — made by hand, or
by an earlier warroom that left its files 0644.
"""

import os
import stat
from pathlib import Path

import pytest

from tests.sync.conftest import Server
from tests.sync.test_device_counters import _push
from tests.sync.test_faults import _event
from warroom.server.keys import KEY_FILE
from warroom.server.sqlite import DB_FILE

HELD = (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", KEY_FILE)


@pytest.fixture
def usual_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _modes(data: Path) -> dict[str, str]:
    return {name: oct(stat.S_IMODE((data / name).stat().st_mode)) for name in HELD}


def test_files_are_private_in_a_folder_that_already_existed(tmp_path: Path, usual_umask):
    data = tmp_path / "server-data"
    data.mkdir(mode=0o755)  # made by hand before the first `warroom serve`
    server = Server(data).start()
    try:
        _push(server.url, server.token("dora"), _event("inc-mod001", "dora", 1, "declaration"))
        assert _modes(data) == dict.fromkeys(HELD, "0o600")
    finally:
        server.kill()  # the WAL and shared memory stay behind, as after a crash

    for name in HELD:  # what a previous warroom left
        os.chmod(data / name, 0o644)
    server.start()
    try:
        assert _modes(data) == dict.fromkeys(HELD, "0o600")
        _push(server.url, server.token("dora"), _event("inc-mod001", "dora", 2))
        assert _modes(data) == dict.fromkeys(HELD, "0o600")
    finally:
        server.stop()
