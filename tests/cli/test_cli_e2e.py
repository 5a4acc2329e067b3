"""The issue's whole CLI tour through the real console script on temporary homes."""

import json
import os
import stat
from pathlib import Path

import pytest


@pytest.fixture
def incident(cli) -> str:
    result = cli(
        "declare",
        "Checkout API returning 502s",
        "--severity",
        "SEV2",
        "--type",
        "outage",
        "--service",
        "checkout-api",
        "--json",
    )
    return result.json()["id"]


def test_the_full_tour(cli, incident):
    cli("log", incident, "p99 latency 4s on checkout-api", "--kind", "observation")
    cli("log", incident, "Roll back release 2026.11.24-3", "--kind", "action")
    decision = cli(
        "log",
        incident,
        "Decided to fail over to us-east-2",
        "--kind",
        "decision",
        "--at",
        "-5m",
        "--json",
    ).json()
    cli("handoff", incident, "commander", "alice")  # the declarer (tester) holds command
    cli("--as", "alice", "accept", incident)
    cli("--as", "alice", "assign", incident, "scribe", "bob")
    cli("--as", "alice", "handoff", incident, "commander", "carol")
    cli("--as", "carol", "accept", incident)
    cli("--as", "carol", "severity", incident, "SEV1", "--reason", "EU customers affected")
    cli("phase", incident, "containment")
    cli("check", incident, "stop-bleeding")
    cli("check", incident, "triage/confirm-impact")
    cli("check", incident, "triage/confirm-impact", "--undo")

    status = cli("status", incident, "--json").json()
    state = status["state"]
    assert (state["severity"], state["phase"], status["commander"]) == (
        "SEV1",
        "containment",
        "carol",
    )
    tenures = {(t["role"], t["person"]): t for t in state["tenures"]}
    assert tenures[("commander", "alice")]["released_at"] is not None
    assert tenures[("commander", "carol")]["released_at"] is None
    assert state["checklist"]["containment/stop-bleeding"]["checked"] is True
    assert state["checklist"]["triage/confirm-impact"]["checked"] is False
    assert {c["audience"] for c in status["update_clocks"]} == {"internal", "external", "executive"}
    assert status["metrics"]["mttr"] is None

    occurred = decision["occurred_at"]
    recorded = decision["recorded_at"]
    assert occurred < recorded

    listing = cli("list", "--json").json()
    assert [i["id"] for i in listing] == [incident]

    md = cli("export", incident, "--format", "md").out
    for expected in (
        "# " + incident,
        "## Roles",
        "## Checklist",
        "## Timeline",
        "Decided to fail over",
        "carol",
        "- [x] Stop the bleeding",
    ):
        assert expected in md
    bundle = json.loads(cli("export", incident, "--format", "json").out)
    kinds = [e["payload"]["kind"] for e in bundle["events"]]
    assert kinds[0] == "declaration" and kinds.count("checklist_marked") == 3
    assert len(bundle["events"]) == 14  # one more handoff: the declarer held command


def test_human_output_and_prefix_ids(cli, incident):
    short = incident.removeprefix("inc-")[:4]
    out = cli("log", short, "hello", "--kind", "hypothesis").out
    assert out.startswith(f"{incident}: hello")
    human = cli("status", incident).out
    assert "Roles:" in human and "commander       tester" in human and "Checklist:" in human


def test_corrections_show_in_exports_and_keep_the_original(cli, incident):
    event = cli("log", incident, "p99 4s", "--kind", "observation", "--json").json()
    cli("correct", incident, event["id"], "p99 40s")
    md = cli("export", incident, "--format", "md").out
    assert "p99 40s" in md and "originally: p99 4s" in md
    other = cli("log", incident, "db is fine", "--json").json()
    cli("retract", incident, other["id"], "wrong dashboard")
    assert "retracted: wrong dashboard" in cli("export", incident, "--format", "md").out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("severity", "{id}", "SEV9"), "unknown severity 'SEV9'"),
        (("assign", "{id}", "captain", "x"), "unknown role 'captain'"),
        (("phase", "{id}", "panic"), "unknown phase 'panic'"),
        (("check", "{id}", "nope"), "unknown checklist item 'nope'"),
        (("log", "inc-zzzzzz", "x"), "no incident 'inc-zzzzzz'"),
        (("log", "{id}", "x", "--kind", "gossip"), "unknown entry kind 'gossip'"),
        (("log", "{id}", "x", "--at", "tomorrow"), "cannot read time 'tomorrow'"),
        (("log", "{id}", "   "), "entry: must not be empty"),
        (("export", "{id}", "--format", "pdf"), "unknown format 'pdf'"),
        (("declare", "x", "--type", "meteor"), "unknown incident type 'meteor'"),
        (("alert", "{id}", "cpu", "--label", "novalue"), "label 'novalue' is not key=value"),
        (("accept", "{id}"), "no handoff of commander to tester"),
    ],
)
def test_bad_input_is_one_clear_line_and_nonzero(cli, incident, args, message):
    result = cli(*(a.format(id=incident) for a in args), check=False)
    assert result.code != 0
    assert "Traceback" not in result.err
    assert result.err.strip().startswith("warroom: error:")
    assert message in result.err
    assert result.err.count("\n") == 1


def test_usage_errors_exit_2_without_traceback(cli):
    result = cli("declare", check=False)
    assert result.code == 2 and "Traceback" not in result.err
    result = cli("severity", check=False)
    assert result.code == 2


def test_single_holder_role_needs_a_handoff(cli, incident):
    result = cli("assign", incident, "commander", "bob", check=False)
    assert result.code == 1 and "use `warroom handoff`" in result.err
    cli("assign", incident, "commander", "tim", "--shadow")
    cli("assign", incident, "sector-lead", "net")
    cli("assign", incident, "sector-lead", "storage")


def test_two_homes_are_two_independent_people(cli, tmp_path):
    first = cli("declare", "A", "--json", home=tmp_path / "a", user="ann").json()["id"]
    cli("declare", "B", home=tmp_path / "b", user="ben")
    assert [i["id"] for i in cli("list", "--json", home=tmp_path / "a").json()] == [first]
    assert (
        cli("status", first, "--json", home=tmp_path / "a").json()["state"]["declared_by"] == "ann"
    )
    assert cli("status", first, home=tmp_path / "b", check=False).code == 1


def test_home_flag_and_actor_flag(cli, tmp_path):
    other = tmp_path / "elsewhere"
    incident = cli("--home", str(other), "--as", "zoe", "declare", "X", "--json").json()["id"]
    assert (other / "warroom.db").exists()
    assert (
        cli("--home", str(other), "status", incident, "--json").json()["state"]["declared_by"]
        == "zoe"
    )


def test_database_is_private(cli, incident, _isolated_home: Path):
    mode = stat.S_IMODE(os.stat(_isolated_home / "warroom.db").st_mode)
    assert mode == 0o600


def test_corrupt_database_is_a_clear_error(cli, _isolated_home: Path):
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "warroom.db").write_bytes(b"this is not sqlite" * 100)
    result = cli("list", check=False)
    assert result.code == 1 and "the local database at" in result.err
    assert "is damaged" in result.err and "restore it from" in result.err
    assert "Traceback" not in result.err


def test_locked_database_is_a_clear_error(cli, incident, _isolated_home: Path):
    import sqlite3

    blocker = sqlite3.connect(_isolated_home / "warroom.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("log", incident, "while locked", check=False)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert result.code == 1 and "is locked by another process" in result.err


def test_hostile_text_is_stored_verbatim_and_printed_inert(cli, incident):
    hostile = "\x1b]0;pwned\x07[bold]boom[/] \x1b[2J\u202eevil"
    event = cli("log", incident, hostile, "--json").json()
    assert event["payload"]["text"] == hostile.strip()
    human = cli("status", incident).out + cli("list").out
    shown = cli("export", incident, "--format", "md").out
    for out in (human, shown):
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "[bold]boom[/]" in cli("export", incident, "--format", "json").out


def test_text_from_stdin(cli, incident):
    result = cli("log", incident, "-", "--json", input="piped from a bot\n").json()
    assert result["payload"]["text"] == "piped from a bot"


def test_policy_show_and_check(cli, tmp_path):
    assert "SEV1" in cli("policy", "show").out
    assert cli("policy", "show", "--json").json()["severities"][0]["name"] == "SEV1"
    good = tmp_path / "good.toml"
    good.write_text('incident_types = ["outage", "drill"]\n')
    assert cli("policy", "check", str(good)).out == ""
    bad = tmp_path / "bad.toml"
    bad.write_text('[[roles]]\nid = "commander"\ntitle = "IC"\nmultiple = "maybe"\n')
    result = cli("policy", "check", str(bad), check=False)
    assert result.code == 1
    assert result.out.strip() == f"{bad}:4: roles.0.multiple: must be true or false"


def test_custom_policy_from_home_is_used(cli, _isolated_home: Path):
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "policy.toml").write_text(
        '[[severities]]\nname = "critical"\nmajor = true\n[[severities]]\nname = "minor"\n'
    )
    incident = cli("declare", "x", "--severity", "critical", "--json").json()["id"]
    assert cli("severity", incident, "SEV1", check=False).code == 1
    cli("severity", incident, "minor")


def test_broken_config_names_file_and_line(cli, _isolated_home: Path):
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text('user = "x"\nfavourite_colour = "red"\n')
    result = cli("list", check=False)
    assert result.code == 1 and "config.toml:2: favourite_colour" in result.err


def test_help_documents_every_command(cli):
    text = cli("--help").out
    for command in (
        "declare",
        "log",
        "assign",
        "handoff",
        "severity",
        "phase",
        "check",
        "status",
        "list",
        "export",
        "policy",
        "correct",
        "retract",
        "accept",
        "milestone",
        "escalate",
        "alert",
    ):
        assert command in text
    assert "--kind" in cli("log", "--help").out
