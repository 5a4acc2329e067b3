"""``warroom update`` through the real console script: draft in $EDITOR from the template,
list, show the exact text, approve (only by the commander, only the text read), return."""

import os
import sys
from pathlib import Path

import pytest


@pytest.fixture
def incident(cli) -> str:
    result = cli(
        "declare",
        "Checkout <script>alert(1)</script> @channel",
        "--severity",
        "SEV2",
        "--type",
        "outage",
        "--service",
        "checkout-api",
        "--json",
    )
    return result.json()["id"]


def _editor(tmp_path: Path, code: str) -> dict:
    """An $EDITOR that runs ``code`` on the file it is given (as ``path``)."""
    script = tmp_path / "editor.py"
    script.write_text(f"import sys\nfrom pathlib import Path\npath = Path(sys.argv[1])\n{code}\n")
    return {"EDITOR": f"{sys.executable} {script}"}


def _run_with(monkeypatch, env: dict, cli, *args, **kwargs):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return cli(*args, **kwargs)


def test_draft_in_the_editor_from_the_template_then_approve(cli, incident, tmp_path, monkeypatch):
    cli("log", incident, "Fail over to us-east-2", "--kind", "decision")
    seen = tmp_path / "seen.txt"
    edit = _editor(
        tmp_path,
        f"text = path.read_text()\nPath({str(seen)!r}).write_text(text)\n"
        "path.write_text(text.replace('Some customers', 'EU customers'))",
    )
    drafted = _run_with(
        monkeypatch, edit, cli, "update", "draft", incident, "--audience", "external", "--json"
    ).json()
    prefilled = seen.read_text()
    assert prefilled.startswith("Investigating: checkout-api\n\nWe are investigating")
    payload = drafted["payload"]
    assert payload["template"] == "external-investigating"
    assert payload["text"] == prefilled.replace("Some customers", "EU customers")
    draft_id = payload["draft_id"]

    listed = cli("update", "list", incident).out
    assert f"{draft_id}  external" in listed and "awaiting approval by the commander" in listed
    shown = cli("update", "show", incident, draft_id).out
    assert payload["text"].rstrip("\n") in shown
    digest = shown.split("digest ", 1)[1].split()[0]

    refused = cli("--as", "bob", "update", "approve", incident, draft_id, check=False)
    assert refused.code != 0 and refused.err == (
        f"warroom: error: approving a notice to external needs the commander of {incident};"
        " bob is not\n"
    )
    cli("update", "approve", incident, draft_id, "--digest", digest)  # tester commands
    notice = cli("update", "show", incident, draft_id, "--json").json()
    assert (notice["status"], notice["approved_by"]) == ("approved", "tester")


def test_the_internal_template_escapes_hostile_text_from_the_record(
    cli, incident, tmp_path, monkeypatch
):
    env = _editor(tmp_path, "pass")  # saves the template's text unchanged
    text = _run_with(
        monkeypatch, env, cli, "update", "draft", incident, "-a", "internal", "--json"
    ).json()["payload"]["text"]
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "@channel" not in text and "@\u200bchannel" in text


def test_an_approval_of_a_text_since_revised_is_refused(cli, incident):
    first = cli(
        "update", "draft", incident, "-a", "external", "--file", "-", "--json", input="One\n"
    ).json()["payload"]
    shown = cli("update", "show", incident, first["draft_id"]).out
    digest = shown.split("digest ", 1)[1].split()[0]
    cli("update", "draft", incident, "--revise", first["draft_id"], "--file", "-", input="Two\n")
    stale = cli("update", "approve", incident, first["draft_id"], "--digest", digest, check=False)
    assert stale.code != 0 and "has changed since you read it" in stale.err
    notice = cli("update", "show", incident, first["draft_id"], "--json").json()
    assert (notice["text"], notice["revision"], notice["status"]) == ("Two\n", 2, "drafted")


def test_return_needs_a_reason_and_clear_refusals(cli, incident, tmp_path, monkeypatch):
    draft_id = cli(
        "update", "draft", incident, "-a", "external", "--file", "-", "--json", input="Hi\n"
    ).json()["payload"]["draft_id"]
    no_reason = cli("update", "return", incident, draft_id, check=False)
    assert "needs a reason" in no_reason.err
    cli("update", "return", incident, draft_id, "--reason", "name the region")
    assert "sent back by tester: name the region" in cli("update", "list", incident).out
    again = cli("update", "approve", incident, draft_id, check=False)
    assert "needs a revision before approval" in again.err
    unknown = cli("update", "show", incident, "u-zzzz", check=False)
    assert unknown.err == (
        f"warroom: error: {incident} has no notice 'u-zzzz';"
        f" `warroom update list {incident}` shows them\n"
    )
    bad_audience = cli("update", "draft", incident, "-a", "press", "--file", "-", check=False)
    assert "unknown audience 'press'" in bad_audience.err
    failing = _editor(tmp_path, "sys.exit(3)")
    quit_editor = _run_with(
        monkeypatch, failing, cli, "update", "draft", incident, "-a", "internal", check=False
    )
    assert "the editor exited with status 3; nothing recorded" in quit_editor.err
    emptied = _editor(tmp_path, "path.write_text('  \\n')")
    empty = _run_with(
        monkeypatch, emptied, cli, "update", "draft", incident, "-a", "internal", check=False
    )
    assert "the notice is empty; nothing recorded" in empty.err
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    missing = cli("update", "draft", incident, "-a", "internal", check=False)
    assert "cannot start the editor" in missing.err and "--file" in missing.err
    assert len(cli("update", "list", incident, "--json").json()) == 1  # nothing else recorded


def test_templates_check_reports_file_and_line(cli):
    folder = Path(os.environ["WARROOM_HOME"]) / "templates"
    folder.mkdir(parents=True)
    (folder / "external.txt.j2").write_text("fine\n{{ ''.__class__ }}\n")
    result = cli("update", "templates", check=False)
    assert result.code == 1
    assert f"{folder / 'external.txt.j2'}:2: refused: '__class__' reaches into Python" in result.out
    assert "external-identified" in result.out
