"""The pure core must never pull in the UI, the network or the database."""

import pkgutil
import subprocess
import sys

import warroom.core

FORBIDDEN = ("textual", "httpx", "sqlite3", "_sqlite3", "sqlite_utils", "watchfiles", "rich")


def test_core_modules_import_no_io_frameworks():
    modules = [f"warroom.core.{m.name}" for m in pkgutil.walk_packages(warroom.core.__path__)]
    assert len(modules) > 8
    code = (
        "import sys\n"
        f"for name in {modules!r}: __import__(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"core imported: {result.stdout.strip()}"


def test_the_hygiene_check_can_fail():
    code = "import sys, sqlite3; print(','.join(m for m in sys.modules if m == 'sqlite3'))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "sqlite3"
