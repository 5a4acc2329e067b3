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


def test_the_command_line_does_not_load_yaml_until_front_matter_needs_it():
    """PyYAML costs ~30 ms of every command's start (issue 11: ``warroom list``)."""
    code = (
        "import sys, warroom.cli.main\n"
        "from warroom.core.runbook.frontmatter import read_front_matter\n"
        "before = 'yaml' in sys.modules\n"
        "read_front_matter(['---', 'tags: [db]', '---'], print)\n"
        "print(before, 'yaml' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]
