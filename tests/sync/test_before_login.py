"""An incident declared before `warroom login` is never lost: adopted with consent, kept
unsent, or — if the server refused it — still listed and resubmittable."""

from tests.sync.conftest import server_log

OS_NAME = "jdoe"
"""Who a home writes as before login: the login name (WARROOM_USER stands in for it)."""


def _write_before_login(cli, home) -> tuple[str, list[str]]:
    incident = cli(
        "declare", "Checkout down", "--severity", "SEV2", "--json", home=home, user=OS_NAME
    ).json()["id"]
    ids = [
        cli("log", incident, f"entry {i}", "--json", home=home, user=OS_NAME).json()["id"]
        for i in range(3)
    ]
    cli("correct", incident, ids[0], "entry zero, corrected", home=home, user=OS_NAME)
    return incident, ids


def test_login_asks_then_adopts_entries_written_under_the_login_name(cli, server, tmp_path):
    home = tmp_path / "laptop"
    incident, ids = _write_before_login(cli, home)
    token = server.token("alice")

    unasked = cli("login", server.url, "--token", token, home=home, check=False)
    assert unasked.code == 1
    assert "5 entries" in unasked.err and f"as '{OS_NAME}'" in unasked.err
    assert "--adopt" in unasked.err and "--keep-local" in unasked.err
    assert not (home / "config.toml").exists()  # nothing saved without a choice

    adopted = cli("login", server.url, "--token", token, "--adopt", home=home).out
    assert "re-issued 5 entries as alice" in adopted
    assert "pushed 5, pulled 0, rejected 0" in cli("sync", "--once", home=home, user="").out

    records, verification = server_log(server.url, token, incident)
    assert verification.verified_events == 5
    events = [r["event"] for r in records]
    assert {e["actor"] for e in events} == {"alice"}
    assert events[0]["payload"]["kind"] == "declaration"
    originals = [e["payload"]["reissued_from"] for e in events]
    assert originals[1:4] == ids
    assert events[4]["payload"]["target_id"] == events[1]["id"]  # follows the re-issue
    listed = cli("list", "--json", home=home).json()
    assert [(i["id"], i["accepted"]) for i in listed] == [(incident, True)]
    assert cli("rejected", home=home).out.startswith("No entry was refused")


def test_kept_entries_stay_in_view_unsent_until_resubmitted(cli, server, tmp_path):
    home = tmp_path / "laptop"
    incident, _ = _write_before_login(cli, home)
    token = server.token("alice")
    kept = cli("login", server.url, "--token", token, "--keep-local", home=home).out
    assert "kept 5 entries here, unsent" in kept
    assert "pushed 0" in cli("sync", "--once", home=home, user="").out
    _assert_in_view_not_accepted(cli, home, incident)

    again = cli("rejected", incident, "--resubmit", home=home, user="").out
    assert f"re-issued 5 entries of {incident} as alice" in again
    assert "pushed 5" in cli("sync", "--once", home=home, user="").out
    assert cli("list", "--json", home=home).json()[0]["accepted"] is True
    assert server_log(server.url, token, incident)[1].verified_events == 5


def test_a_refused_declaration_never_makes_the_incident_vanish(cli, server, tmp_path):
    """What a home configured by environment (no login, so nobody asked) meets: the
    server refuses every entry. The incident stays listed, marked, and resubmittable."""
    home = tmp_path / "laptop"
    incident, _ = _write_before_login(cli, home)
    token = server.token("alice")
    (home / "config.toml").write_text(f'server = "{server.url}"\ntoken = "{token}"\n')
    refused = cli("sync", "--once", home=home, user=OS_NAME)
    assert "rejected 5" in refused.out and "must be written as 'alice'" in refused.err
    _assert_in_view_not_accepted(cli, home, incident)
    assert "SEV2" in cli("status", incident, home=home).out

    cli("rejected", incident, "--resubmit", home=home, user="alice")
    assert "pushed 5" in cli("sync", "--once", home=home, user="alice").out
    assert "[NOT ACCEPTED" not in cli("list", home=home).out


def _assert_in_view_not_accepted(cli, home, incident: str) -> None:
    listed = cli("list", home=home)
    assert incident in listed.out and "Checkout down" in listed.out
    assert "NOT ACCEPTED" in listed.out
    assert cli("list", "--json", home=home).json()[0]["accepted"] is False
    status = cli("status", incident, home=home)
    assert "NOT ACCEPTED" in status.out and "Checkout down" in status.out
    assert cli("status", incident, "--json", home=home).json()["accepted"] is False
    refused = cli("rejected", incident, "--json", home=home).json()
    assert [r["kind"] for r in refused] == ["declaration", "note", "note", "note", "correction"]
