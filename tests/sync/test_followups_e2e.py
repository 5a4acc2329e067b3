"""Follow-up actions and the risk register through a real ``warroom serve``: two homes,
the real console script, real HTTP. Both see the same register (``risks add``, ``update``,
``link``, ``list`` and ``show``) and the same action updates, after-incident work goes
on a closed incident, and a risk's log verifies."""

import pytest

from tests.sync.conftest import Server


@pytest.fixture
def homes(tmp_path, cli, server: Server):
    """Alice and Bob, each a home logged in to the server with their own token."""
    made = {}
    for name in ("alice", "bob"):
        home = tmp_path / f"home-{name}"
        cli("login", server.url, "--token", server.token(name), home=home, user=name)
        made[name] = home
    return made


def _sync(cli, home, user) -> str:
    out = cli("sync", "--once", home=home, user=user).out
    assert "rejected 0" in out, out
    return out


def test_two_homes_share_action_items_and_the_register(cli, homes):
    alice, bob = homes["alice"], homes["bob"]

    def a(*args, check=True):
        return cli(*args, home=alice, user="alice", check=check)

    def b(*args, check=True):
        return cli(*args, home=bob, user="bob", check=check)

    incident = a("declare", "Checkout 502s", "--severity", "SEV2").out.strip()
    a("actions", "add", incident, "Add a canary stage", "--owner", "bo", "--due", "+3d",
      "--priority", "high", "--type", "preventive", "--ticket", "https://tickets/42")  # fmt: skip
    a("actions", "add", incident, "Alert on 5xx", "--due", "2020-01-02")
    hypothesis = a("log", incident, "bad deploy", "--kind", "hypothesis", "--json").json()["id"]
    risk = a("risks", "add", "Single DB primary", "-l", "likely", "--impact", "severe",
             "-o", "dee").out.strip()  # fmt: skip
    listed = a("actions", "list", "--json").json()
    canary = next(row["item"] for row in listed if row["text"] == "Add a canary stage")
    late = next(row for row in listed if row["text"] == "Alert on 5xx")
    assert late["overdue"] and listed[0] == late  # overdue first
    a("risks", "link", risk, incident)
    a("risks", "link", risk, incident, "--action", canary)
    _sync(cli, alice, "alice")

    _sync(cli, bob, "bob")
    assert b("actions", "list", "--json").json() == a("actions", "list", "--json").json()
    assert b("risks", "list", "--json").json() == a("risks", "list", "--json").json()
    b("actions", "reassign", incident, canary[:13], "cy")
    b("actions", "done", incident, late["item"][:13])
    b("risks", "update", risk, "--likelihood", "possible", "--status", "mitigating")
    _sync(cli, bob, "bob")

    _sync(cli, alice, "alice")
    rows = {row["text"]: row for row in a("actions", "list", "--all", "--json").json()}
    assert rows["Add a canary stage"]["owner"] == "cy"
    assert (rows["Alert on 5xx"]["status"], rows["Alert on 5xx"]["overdue"]) == ("done", False)
    [shared] = a("risks", "list", "--json").json()
    assert (shared["likelihood"], shared["status"], shared["exposure"]) == (
        "possible", "mitigating", 15,
    )  # fmt: skip
    assert shared["incidents"] == [incident] and shared["mitigations"] == [f"{incident}/{canary}"]
    assert a("risks", "show", risk, "--json").json() == b("risks", "show", risk, "--json").json()
    shown = b("risks", "show", risk.removeprefix("risk-")).out
    assert f"{risk}: Single DB primary" in shown and "likelihood possible" in shown
    assert f"materialised in {incident}" in shown and f"mitigated by {incident} {canary}" in shown

    # After the close: follow-ups, factors and outcomes without reopening; the server agrees.
    a("status", incident, "resolved")
    a("status", incident, "closed")
    a("actions", "add", incident, "Page the DB team sooner", "--owner", "dee")
    a("log", incident, "no canary stage in the pipeline", "--kind", "contributing-factor")
    a("outcome", incident, hypothesis, "confirmed", "--reason", "rollback fixed it")
    refused = a("log", incident, "a note", check=False)
    assert refused.code != 0 and "is closed; reopen it first" in refused.err
    _sync(cli, alice, "alice")
    _sync(cli, bob, "bob")
    assert b("actions", "list", "--owner", "DEE", "--json").json()[0]["text"] == (
        "Page the DB team sooner"
    )
    assert "Contributing factor: no canary stage" in b("export", incident, "--format", "md").out
    assert "confirmed — rollback fixed it" in b("export", incident, "--format", "md").out

    # The risk's log is chained and verifiable like an incident's, on both homes.
    for run in (a, b):
        assert run("verify", risk).code == 0
    assert risk not in a("list").out
    csv_lines = b("actions", "list", "--csv").out.splitlines()
    assert csv_lines[0].startswith("incident,item,text,owner,due") and len(csv_lines) == 3
