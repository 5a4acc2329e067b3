"""A home logged in with a viewer's token refuses a person's entry as it is typed, in
the words the server would use at the next sync, and keeps nothing of it: no pending
entry that only a sync would reveal as refused."""

from tests.sync.conftest import server_log


def _incident_on_server(cli, server, tmp_path) -> tuple[str, str]:
    """alice (a responder) declares an incident and syncs it; returns (id, her token)."""
    home, token = tmp_path / "alice", server.token("alice")
    cli("login", server.url, "--token", token, home=home)
    declared = cli("declare", "Checkout down", "--json", home=home, user="alice").json()
    assert "pushed 1" in cli("sync", "--once", home=home, user="alice").out
    return declared["id"], token


def test_a_viewers_home_refuses_entries_and_writes_nothing(cli, server, tmp_path):
    incident, alice = _incident_on_server(cli, server, tmp_path)
    home = tmp_path / "bob"
    said = cli("login", server.url, "--token", server.token("bob", "viewer"), home=home).out
    assert "as bob (viewer)" in said
    cli("sync", "--once", home=home, user="bob")
    before = cli("status", incident, "--json", home=home).json()

    for args in (("log", incident, "I think it is the database"), ("declare", "Another")):
        refused = cli(*args, home=home, user="bob", check=False)
        assert refused.code == 1, refused
        assert "logged in to" in refused.err and "viewer token, which may not write" in refused.err
        assert "warroom login" in refused.err and "Traceback" not in refused.err

    assert cli("status", incident, "--json", home=home).json() == before  # reads still work
    assert [i["id"] for i in cli("list", "--json", home=home).json()] == [incident]
    assert "pushed 0, pulled 0, rejected 0" in cli("sync", "--once", home=home, user="bob").out
    assert cli("rejected", home=home).out.startswith("No entry was refused")
    assert server_log(server.url, alice, incident)[1].verified_events == 1


def test_logging_in_again_as_a_responder_lifts_the_refusal(cli, server, tmp_path):
    incident, alice = _incident_on_server(cli, server, tmp_path)
    home = tmp_path / "bob"
    cli("login", server.url, "--token", server.token("bob", "viewer"), home=home)
    cli("sync", "--once", home=home, user="bob")
    assert cli("log", incident, "first try", home=home, user="bob", check=False).code == 1

    cli("login", server.url, "--token", server.token("bob-writes", "responder"), home=home)
    cli("log", incident, "second try", home=home, user="bob-writes")
    assert "pushed 1" in cli("sync", "--once", home=home, user="bob-writes").out
    texts = [r["event"]["payload"].get("text") for r in server_log(server.url, alice, incident)[0]]
    assert texts[-1] == "second try" and "first try" not in texts


def test_a_home_that_never_logged_in_learns_its_role_at_its_first_sync(cli, server, tmp_path):
    """Configured by hand (no login, so no role was recorded): the first entry is taken
    offline and refused by the server at sync, as before; from then on the home knows."""
    home = tmp_path / "carol"
    home.mkdir()
    token = server.token("carol", "viewer")
    (home / "config.toml").write_text(f'server = "{server.url}"\ntoken = "{token}"\n')
    incident = cli("declare", "Typed offline", "--json", home=home, user="carol").json()["id"]
    synced = cli("sync", "--once", home=home, user="carol", check=False)
    assert "rejected 1" in synced.out and "viewer" in synced.err, synced

    refused = cli("log", incident, "typed after", home=home, user="carol", check=False)
    assert refused.code == 1 and "viewer token, which may not write" in refused.err
    resubmitted = cli("rejected", incident, "--resubmit", home=home, user="carol", check=False)
    assert resubmitted.code == 1 and "viewer token, which may not write" in resubmitted.err
    assert "rejected 0" in cli("sync", "--once", home=home, user="carol").out  # nothing re-sent
