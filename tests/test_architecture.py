"""The layering written down in ARCHITECTURE.md holds, checked by import-linter.

The contracts live in pyproject.toml (``[tool.importlinter]``); each one's name is the
rule it enforces, and a broken one fails this test with that name and the offending
import chain. The failure path is tested on a copy of the package with one forbidden
import added, so the checker is known to catch what it claims to.
"""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
RULES = {contract["id"]: contract["name"] for contract in CONTRACTS["contracts"]}

LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"
COLOUR = re.compile(r"\x1b\[[0-9;]*m")
"""Some versions colour the report even into a pipe."""


def broken_rules(project: Path) -> tuple[list[str], str]:
    """Run the contracts of ``project``/pyproject.toml on the ``warroom`` package in
    ``project``: the names of the broken rules and import-linter's whole report."""
    result = subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = COLOUR.sub("", result.stdout + result.stderr)
    broken = [name for name in RULES.values() if f"{name} BROKEN" in report]
    if result.returncode and not broken:
        pytest.fail(f"import-linter could not check the contracts:\n{report}")
    return broken, report


def test_every_layering_rule_holds():
    broken, report = broken_rules(ROOT)
    assert not broken, "import rule broken: " + "; ".join(broken) + "\n\n" + report
    assert f"Contracts: {len(RULES)} kept, 0 broken." in report


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The package and its pyproject.toml, copied where an import can be added to them."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(
        ROOT / "warroom", tmp_path / "warroom", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


VIOLATIONS = {
    "server imports the screen": (
        {"warroom/server/intrusion.py": "from warroom.tui import app\n"},
        {"no-screen-below", "layers"},
    ),
    "the store imports the CLI": (
        {"warroom/store/intrusion.py": "import warroom.cli.main\n"},
        {"cli-on-top", "layers", "no-circles"},  # the CLI imports the store
    ),
    "the store imports sync": (
        {"warroom/store/intrusion.py": "from warroom.sync import engine\n"},
        {"layers", "no-circles"},  # sync imports the store
    ),
    "a new package has no place in the layers": (
        {"warroom/intrusion/__init__.py": ""},
        {"layers"},
    ),
    "the core opens a database": (
        {"warroom/core/intrusion.py": "import sqlite3\n"},
        {"pure-core"},
    ),
    "two core modules import each other": (
        {
            "warroom/core/intrusion.py": "from warroom.core import intrusion_back\n",
            "warroom/core/intrusion_back.py": "from warroom.core import intrusion\n",
        },
        {"no-circles"},
    ),
}


@pytest.mark.parametrize("case", VIOLATIONS)
def test_a_forbidden_import_fails_naming_its_rule(project_copy: Path, case: str):
    files, expected = VIOLATIONS[case]
    for name, text in files.items():
        (project_copy / name).parent.mkdir(exist_ok=True)
        (project_copy / name).write_text(text)
    broken, report = broken_rules(project_copy)
    assert set(broken) == {RULES[rule] for rule in expected}, report
    assert "intrusion" in report  # the offending import is named, not just the rule
