"""Runbooks through the real ``warroom`` console script, on temporary homes."""

import json
import os
import queue
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import WARROOM

SHIPPED = Path(__file__).resolve().parents[2] / "runbooks"
SMALL = """---
title: Small
incident_types: [outage]
tags: [dns]
---
# Small

## Triage
- [check] Look {#look}
  ```bash
  echo "looking at $WARROOM_USER"
  ```
- [approval] Commander approves {#gate}
- [command] Fail loudly
  ```sh
  echo broken; exit 3
  ```
"""


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    return _isolated_home


@pytest.fixture
def own(home: Path) -> Path:
    """The user's runbook folder, with one small runbook in it."""
    folder = home / "runbooks"
    folder.mkdir(parents=True)
    (folder / "small.md").write_text(SMALL)
    return folder


@pytest.fixture
def incident(cli) -> str:
    args = ("declare", "DNS lookups failing", "-s", "SEV2", "-t", "outage", "--service", "dns")
    return cli(*args, "--json").json()["id"]


def allow_commands(home: Path) -> None:
    (home / "policy.toml").write_text("[runbooks]\nallow_commands = true\n")


def test_every_shipped_runbook_passes_check(cli):
    result = cli("runbooks", "check", str(SHIPPED))
    assert (result.code, result.out, result.err) == (0, "", "")


def test_check_prints_each_problem_and_exits_1(cli, tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "ok.md").write_text("- fine\n")
    (folder / "README.md").write_text("```never closed\n")
    (folder / "dup.md").write_text("- a {#x}\n- b {#x}\n")
    (folder / "fence.md").write_text("# T\n\n- step\n  ```bash\n")
    result = cli("runbooks", "check", str(folder), str(tmp_path / "missing.md"), check=False)
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{folder / 'dup.md'}:2: duplicate step id 'x' (first at line 1)",
        f"{folder / 'fence.md'}:4: warning: code block opened with '```' is never closed;"
        " it runs to the end of the file",
        f"{tmp_path / 'missing.md'}:1: cannot read: No such file or directory",
    ]
    as_json = cli("runbooks", "check", str(folder), "--json", check=False)
    assert as_json.code == 1 and as_json.json()["ok"] is False
    assert [p["line"] for p in as_json.json()["problems"]] == [2, 4]


def test_check_without_paths_checks_every_source(cli, own):
    assert cli("runbooks", "check").out == ""
    (own / "broken.md").write_bytes(b"\x00binary")
    result = cli("runbooks", "check", check=False)
    assert (result.code, result.out) == (
        1,
        f"{own / 'broken.md'}:1: binary file (contains NUL bytes)\n",
    )


def test_list_shows_the_winning_file_and_what_it_shadows(cli, own, tmp_path):
    (own / "dns-misconfiguration.md").write_text("# My DNS\n- dig it\n")
    listing = cli("runbooks", "list", "--json").json()
    by_id = {r["id"]: r for r in listing["runbooks"]}
    assert len(by_id) >= 11
    mine = by_id["dns-misconfiguration"]
    assert (mine["title"], mine["source"], mine["path"]) == (
        "My DNS",
        "user",
        str(own / "dns-misconfiguration.md"),
    )
    assert mine["shadowed"] == [str(SHIPPED / "dns-misconfiguration.md")]
    assert by_id["small"]["steps"] == 3
    assert listing["problems"] == []
    text = cli("runbooks", "list").out
    assert f"    user: {own / 'dns-misconfiguration.md'}  (1 steps)" in text
    assert f"    shadows {SHIPPED / 'dns-misconfiguration.md'}" in text


def test_configured_folders_override_and_are_relative_to_the_config_file(cli, home, tmp_path):
    (tmp_path / "team-books").mkdir()
    (tmp_path / "team-books" / "small.md").write_text("# Team small\n- one\n")
    (tmp_path / "warroom.toml").write_text('runbook_dirs = ["team-books"]\n')
    entry = cli("runbooks", "show", "small", "--json").json()
    assert (entry["source"], entry["title"]) == ("config", "Team small")


def test_show_prints_phases_steps_and_commands(cli, own):
    text = cli("runbooks", "show", "small").out
    assert "Small  (small @" in text
    assert 'Triage\n  look  [check] Look\n      $ echo "looking at $WARROOM_USER"\n' in text
    assert "  gate  [approval] Commander approves\n" in text
    data = cli("runbooks", "show", "small", "--json").json()
    assert [s["id"] for s in data["runbook"]["steps"]] == ["look", "gate", "triage-3"]


def test_unknown_runbook_is_one_clear_line(cli):
    result = cli("runbooks", "show", "nope", check=False)
    assert (result.code, result.out) == (1, "")
    assert result.err == "warroom: error: unknown runbook 'nope'; see `warroom runbooks list`\n"


def test_suggest_ranks_for_the_incident(cli, incident):
    ranked = cli("runbooks", "suggest", incident, "--json").json()
    assert ranked[0]["runbook_id"] == "dns-misconfiguration"
    assert "service dns" in ranked[0]["reasons"]
    assert "dns-misconfiguration" in cli("runbooks", "suggest", incident).out


def test_attach_pins_and_re_pins_a_newer_version(cli, own, incident):
    first = cli("attach", incident, "small").out
    assert first.startswith(f"{incident}: attached small (version ")
    again = cli("attach", incident, "small", check=False)
    assert again.code == 1 and "already attached" in again.err
    (own / "small.md").write_text(SMALL.replace("Look {#look}", "Look closer {#look}"))
    repinned = cli("attach", incident, "small").out
    assert "re-pinned small" in repinned and "; was " in repinned
    (own / "small.md").unlink()  # the record is complete without the file
    state = cli("status", incident, "--json").json()["state"]
    pinned = state["runbooks"]["small"]
    assert pinned["steps"][0]["title"] == "Look closer"
    assert "small @" in cli("status", incident).out
    shown = cli("runbooks", "show", "small", "--incident", incident).out
    assert "[ ] look  [check] Look closer" in shown


def test_step_progress_and_its_rules(cli, own, incident):
    cli("attach", incident, "small")
    cli("step", incident, "look", "claim", user="bob")
    started = cli("step", incident, "small/look", "start", "--json", user="bob").json()
    assert started["payload"] == {
        "kind": "runbook_step",
        "runbook_id": "small",
        "step_id": "look",
        "action": "start",
        "note": "",
    }
    failing = cli("step", incident, "look", "fail", check=False)
    assert (failing.code, failing.err) == (
        1,
        "warroom: error: to fail a step, add a note saying what went wrong (--note)\n",
    )
    cli("step", incident, "look", "fail", "--note", "resolver down", user="bob")
    gate = cli("step", incident, "gate", "done", user="bob", check=False)
    assert gate.code == 1 and "needs the commander or deputy" in gate.err
    cli("handoff", incident, "commander", "carol")  # the declarer holds command
    cli("accept", incident, user="carol")
    assert "Step small/gate done" in cli("step", incident, "gate", "done", user="carol").out
    bad = cli("step", incident, "look", "explode", check=False)
    assert bad.err.startswith("warroom: error: unknown step action 'explode'")
    progress = cli("status", incident, "--json").json()["state"]["runbooks"]["small"]["progress"]
    assert progress["look"]["status"] == "failed" and progress["look"]["owner"] == "bob"
    assert progress["gate"]["finished_by"] == "carol"
    assert "1/3 done, 1 failed" in cli("status", incident).out


def test_running_a_command_is_off_by_default(cli, own, incident):
    cli("attach", incident, "small")
    result = cli("step", incident, "look", "run", "--yes", check=False)
    assert result.code == 1 and "allow_commands = true" in result.err


def test_running_a_command_needs_confirmation_and_is_recorded(cli, own, home, incident):
    allow_commands(home)
    cli("attach", incident, "small")
    refused = cli("step", incident, "look", "run", input="n\n", check=False)
    assert refused.code == 1
    assert 'echo "looking at $WARROOM_USER"' in refused.err
    assert "not confirmed; nothing was run" in refused.err
    no_terminal = cli("step", incident, "look", "run", check=False)
    assert "not confirmed" in no_terminal.err
    ran = cli("step", incident, "look", "run", input="y\n", user="dana")
    assert ran.out.startswith("looking at dana\n")
    assert "Ran small/look: exit 0" in ran.out
    failed = cli("step", incident, "triage-3", "run", "--yes", "--json", check=False)
    assert failed.code == 1
    assert failed.json()["payload"]["exit_code"] == 3
    assert failed.json()["payload"]["output"] == "broken"
    runs = cli("status", incident, "--json").json()["state"]["runbooks"]["small"]["progress"]
    assert [r["exit_code"] for r in runs["look"]["runs"]] == [0]
    assert [r["exit_code"] for r in runs["triage-3"]["runs"]] == [3]


def test_watch_reports_saves_and_broken_files(own, tmp_path):
    process = subprocess.Popen(
        [WARROOM, "runbooks", "watch", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()
    try:
        assert str(own) in json.loads(lines.get(timeout=30))["watching"]
        (own / "small.md").write_text(SMALL.replace("Small", "Smaller"))
        assert json.loads(lines.get(timeout=10))["changed"] == ["small"]
        (own / "small.md").write_text("- a {#x}\n- b {#x}\n")
        report = json.loads(lines.get(timeout=10))
        assert report["changed"] == [] and report["problems"][0]["line"] == 2
    finally:
        process.terminate()
        process.wait(timeout=10)
