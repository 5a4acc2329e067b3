"""What warroom keeps on this machine: private files, a cache that can be rebuilt, clear
words for a damaged database, and reads that work on a read-only home."""

import os
import sqlite3
from pathlib import Path


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
