"""Shared fixtures: every test gets its own WARROOM_HOME and no stray user config."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

WARROOM = shutil.which("warroom", path=str(Path(sys.executable).parent)) or "warroom"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("WARROOM_HOME", str(home))
    monkeypatch.setenv("WARROOM_USER", "tester")
    for var in ("WARROOM_POLICY", "WARROOM_SERVER", "WARROOM_TOKEN", "WARROOM_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(tmp_path: Path):
    """Run the real ``warroom`` console script; returns a function (args..., env=, input=)."""

    def run(
        *args: str,
        home: Path | None = None,
        user: str | None = None,
        input: str | None = None,
        check: bool = True,
    ) -> Result:
        env = dict(os.environ)
        if home is not None:
            env["WARROOM_HOME"] = str(home)
        if user is not None:
            env["WARROOM_USER"] = user
        proc = subprocess.run(
            [WARROOM, *args], capture_output=True, text=True, env=env, input=input, timeout=60
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"warroom {' '.join(args)} failed ({proc.returncode}): {proc.stderr}"
            )
        return result

    return run


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL cluster for the whole run (``tests/pgcluster.py``), or a
    skip saying why none can be had here."""
    from tests import pgcluster

    reason = pgcluster.unavailable()
    if reason:
        pytest.skip(reason)
    with pgcluster.cluster() as running:
        yield running


@pytest.fixture
def postgres_url(postgres_cluster) -> str:
    """A fresh, empty database on the session's cluster."""
    return postgres_cluster.database()
