"""What warroom keeps on this machine: private files, a cache that can be rebuilt, clear
words for a damaged database, and reads that work on a read-only home."""

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import WARROOM, Result
from warroom.store.local import FOLD_VERSION


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_exports_and_the_database_are_private_to_their_owner(cli, tmp_path, _isolated_home):
    os.umask(0o022)  # the usual umask: files come out 0644 unless warroom says otherwise
    incident = cli("declare", "Secrets pasted", "--json").json()["id"]
    cli("log", incident, "password=hunter2")
    for fmt in ("json", "md"):
        target = tmp_path / f"inc.{fmt}"
        cli("export", incident, "--format", fmt, "-o", str(target))
        assert _mode(target) == 0o600, fmt
    existing = tmp_path / "old.json"
    existing.write_text("{}")
    existing.chmod(0o644)
    cli("export", incident, "--format", "json", "-o", str(existing))
    assert _mode(existing) == 0o600 and "hunter2" in existing.read_text()

    database = _isolated_home / "warroom.db"
    for file in (database, database.with_name("warroom.db-wal")):
        if file.exists():
            file.chmod(0o644)  # a home from an older warroom, or a careless copy
    cli("log", incident, "more")
    held = sqlite3.connect(database)  # keeps the WAL and shared memory in place
    held.execute("SELECT COUNT(*) FROM events").fetchone()
    cli("log", incident, "and more")
    for name in ("warroom.db", "warroom.db-wal", "warroom.db-shm"):
        assert _mode(_isolated_home / name) == 0o600, name
    held.close()


def test_a_garbage_cached_fold_is_rebuilt_not_fatal(cli, _isolated_home):
    incident = cli("declare", "Cache", "--severity", "SEV2", "--json").json()["id"]
    cli("log", incident, "one")
    database = sqlite3.connect(_isolated_home / "warroom.db")
    database.execute(
        "INSERT OR REPLACE INTO snapshots VALUES (?, ?, 1, '{garbage')", (incident, FOLD_VERSION)
    )
    database.commit()
    listed = cli("list")
    assert incident in listed.out and "validation" not in listed.err.lower()
    assert cli("status", incident, "--json").json()["state"]["severity"] == "SEV2"
    assert database.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 0
    database.close()


def test_a_damaged_database_gets_one_clear_line(cli, _isolated_home):
    incident = cli("declare", "Pages", "--json").json()["id"]
    for i in range(20):
        cli("log", incident, f"entry {i} " + "x" * 400)
    database = _isolated_home / "warroom.db"
    with database.open("r+b") as raw:
        for page in (2, 5, 8):
            raw.seek(4096 * page)
            raw.write(b"\xde\xad" * 2048)
    for args in (("list",), ("status", incident), ("rejected",), ("log", incident, "hi")):
        result = cli(*args, check=False)
        assert result.code not in (0, 70), args
        assert f"the local database at {database} is damaged" in result.err, args
        assert "restore it from" in result.err and "DatabaseError" not in result.err, args


def _read_only_cli(cli, home: Path):
    """Run warroom with ``home`` read-only: a read-only bind mount when root (whom
    permissions do not stop), else the home and its database without write permission."""
    if os.geteuid() != 0:
        home.chmod(0o500)
        (home / "warroom.db").chmod(0o400)
        return lambda *args: cli(*args, home=home, check=False)
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare to make a read-only mount as root")

    def run(*args: str) -> Result:
        quoted = " ".join(f"'{a}'" for a in (WARROOM, "--home", str(home), *args))
        script = f"mount --bind -o ro '{home}' '{home}' && exec {quoted}"
        proc = subprocess.run(
            ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=60
        )
        if "mount" in proc.stderr and proc.returncode != 0 and "warroom" not in proc.stderr:
            pytest.skip(f"cannot make a read-only mount here: {proc.stderr.strip()}")
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


def test_reads_work_on_a_read_only_home_and_writes_say_why_not(cli, tmp_path):
    home = tmp_path / "ro"
    incident = cli("declare", "Read only", "--severity", "SEV2", "--json", home=home).json()["id"]
    cli("log", incident, "written before the mount went read-only", home=home)
    read_only = _read_only_cli(cli, home)
    listed = read_only("list")
    assert listed.code == 0 and incident in listed.out, listed.err
    status = read_only("status", incident, "--json")
    assert status.code == 0 and json.loads(status.out)["state"]["severity"] == "SEV2"
    assert read_only("rejected").code == 0
    exported = read_only("export", incident, "--format", "json")
    assert exported.code == 0 and "written before the mount" in exported.out
    refused = read_only("log", incident, "new entry")
    assert refused.code == 1 and "is read-only" in refused.err, refused.err
    assert "Traceback" not in refused.err
