"""``warroom intake`` in a home that syncs with a server: refused before anything is
written, pointing at the server's intake. The server refuses every entry a client pushes
in the intake's name (whatever the token's role), so applying the alerts here would only
have filled the home with entries refused at the next sync."""

import httpx
import pytest

from tests.cli.test_intake_cli import _firing
from tests.cli.test_rules_cli import _with_policy


@pytest.fixture
def backend() -> None:
    """SQLite only: the refusal is the home's, made before any request to the server."""
    return None


@pytest.mark.parametrize("role", ["responder", "viewer"])
def test_a_logged_in_home_refuses_intake_and_writes_nothing(cli, server, tmp_path, role):
    home = tmp_path / "pat"
    _with_policy(home)
    token = server.token("pat", role)
    cli("login", server.url, "--token", token, home=home)

    refused = cli(
        "intake", "alertmanager", "-", home=home, user="pat", input=_firing(), check=False
    )

    assert refused.code == 1 and "Traceback" not in refused.err, refused
    assert f"this home syncs with {server.url}, which takes alerts itself" in refused.err
    assert f"{server.url}/v1/intake/alertmanager with an intake token" in refused.err
    assert cli("list", "--json", home=home).json() == []
    assert "pushed 0, pulled 0, rejected 0" in cli("sync", "--once", home=home, user="pat").out
    assert cli("rejected", home=home).out.startswith("No entry was refused")
    # the dry run still works: it writes nothing
    assert "declare" in cli("rules", "test", "-", home=home, input=_firing()).out


def test_a_home_configured_for_a_server_refuses_before_its_first_sync(cli, server, tmp_path):
    """No login yet (the server is only in config.toml): the setting is enough."""
    home = tmp_path / "quinn"
    _with_policy(home)
    token = server.token("quinn", "responder")
    other = "http://127.0.0.1:9"
    (home / "config.toml").write_text(f'server = "{server.url},{other}"\ntoken = "{token}"\n')

    refused = cli(
        "intake",
        "generic",
        "-",
        home=home,
        user="quinn",
        check=False,
        input=(
            '{"summary": "disk full", "severity": "critical", "source": "node", "dedup_key": "d1"}'
        ),
    )

    assert refused.code == 1, refused
    assert f"syncs with {server.url}, {other}" in refused.err
    assert f"{server.url}/v1/intake/generic" in refused.err
    assert cli("list", "--json", home=home).json() == []
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        assert http.get("/v1/events").json()["items"] == []  # nothing reached the server


def test_a_home_without_a_server_still_applies_alerts(cli, tmp_path):
    home = tmp_path / "solo"
    _with_policy(home)
    (applied,) = cli("intake", "alertmanager", "-", "--json", home=home, input=_firing()).json()[
        "alerts"
    ]
    assert applied["done"][0].startswith(f"declared {applied['incident']}")
