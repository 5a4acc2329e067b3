"""The home's SQLite file itself: creating it private, opening it read-only, and saying
in a responder's words what went wrong with it.

Apart from ``local`` because none of this is about events: it is what any reader of the
home's database file needs (``LocalStore``, ``Replica`` and the export and report
readers turn ``sqlite3``'s exceptions into messages through ``translated_errors``), and
``local`` stays the log and its transactions.
"""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warroom.core.errors import StoreError

BUSY_TIMEOUT_S = 30.0
"""How long a write waits for another process's transaction: several sync processes
catching up on one home take turns with a scribe's entries, and an entry typed must be
recorded, not refused because a catch-up batch was being stored."""


def open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes: read-only if SQLite can share the home's WAL
    index, else immutable (a read-only mount where no ``-shm`` file can be made; a home
    closed cleanly has nothing left in its WAL)."""
    uri = path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        conn.execute("SELECT COUNT(*) FROM meta").fetchone()
        return conn
    except sqlite3.OperationalError:
        return sqlite3.connect(f"{uri}?immutable=1", uri=True)


def login_of(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    """The server a home follows and the role of its token, as ``warroom login`` and
    each sync's check of the token recorded them (``None`` before either)."""
    found = dict(
        conn.execute("SELECT key, value FROM meta WHERE key IN ('sync_server', 'sync_role')")
    )
    return found.get("sync_server"), found.get("sync_role")


def home_login(path: Path) -> tuple[str | None, str | None]:
    """``login_of`` the home's database at ``path``, read without opening a store (the
    screen decides before its first frame whether it may write); nothing known for a
    home not made yet, or one that cannot be read (the screen's reader says why)."""
    if not path.exists():
        return None, None
    try:
        conn = open_read_only(path)
        try:
            return login_of(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return None, None


def create_private(path: Path) -> None:
    """Create the database file (and its folder) readable by its owner only, and take
    group and other access away from an existing one and its WAL and shared-memory files
    (SQLite gives those the database's mode), e.g. a home from an older warroom."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            try:
                if file.stat().st_mode & 0o077:
                    file.chmod(0o600)
            except OSError:  # absent, or a read-only home: nothing to tighten there
                pass
        return
    os.close(fd)


@contextmanager
def translated_errors(path: Path) -> Iterator[None]:
    """Turn sqlite3's exceptions into one-line messages a responder can act on."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise StoreError(
                f"the database {path} is locked by another process; try again in a moment"
            ) from None
        raise StoreError(f"cannot use the database {path}: {text}") from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(damaged(path, exc)) from None
    except OSError as exc:
        raise StoreError(f"cannot open {path}: {exc.strerror or exc}") from None


def damaged(path: Path, exc: Exception) -> str:
    """What to say about a database SQLite cannot read (malformed pages, not a database)."""
    return (
        f"the local database at {path} is damaged: {exc}; move it aside and restore it from"
        " a backup, or `warroom login` again on a fresh home to fetch the shared record"
        f" (`sqlite3 {path} .recover` may save entries not yet synced)"
    )
