"""Token management over HTTP keeps an admin, and checks names as the CLI does."""

import httpx

from tests.sync.conftest import Server


def _admin(server: Server, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def _id_of(http: httpx.Client, name: str) -> str:
    return next(t["id"] for t in http.get("/v1/tokens").json() if t["name"] == name)


def test_the_last_admin_token_cannot_be_revoked_over_http(server: Server, cli):
    with _admin(server, server.token("root", "admin")) as root:
        root_id = _id_of(root, "root")
        refused = root.delete(f"/v1/tokens/{root_id}")
        assert refused.status_code == 409
        assert "last active admin token" in refused.json()["detail"]
        assert root.get("/v1/tokens").status_code == 200  # still in charge

        made = root.post("/v1/tokens", json={"name": "deb", "role": "admin"})
        assert made.status_code == 201
        with _admin(server, made.json()["token"]) as deb:
            assert deb.delete(f"/v1/tokens/{root_id}").status_code == 200  # another admin left
            assert deb.delete(f"/v1/tokens/{made.json()['id']}").status_code == 409
            viewer = deb.post("/v1/tokens", json={"name": "vi", "role": "viewer"}).json()
            assert deb.delete(f"/v1/tokens/{viewer['id']}").status_code == 200
            assert deb.get("/v1/tokens").status_code == 200
    # on the server's machine the operator may (they can always make a new one there)
    cli("token", "revoke", made.json()["id"], *server.storage_args)


BAD_NAMES = [
    ("   ", "", "needs a person's name"),
    ("", "", "needs a person's name"),
    ("bo\x1b[2J", "", "control characters (U+001B"),
    ("bo\nroot", "", "control characters (U+000A"),
    ("\u202eob", "", "control characters (U+202E"),
    ("bo", "laptop\x07", "device may not contain control characters"),
]


def test_token_names_are_checked_over_http_as_by_the_cli(server: Server, cli):
    with _admin(server, server.token("root", "admin")) as root:
        for name, device, says in BAD_NAMES:
            body = {"name": name, "role": "viewer", "device": device}
            answer = root.post("/v1/tokens", json=body)
            assert answer.status_code == 422, (name, answer.text)
            assert says in answer.json()["detail"], name
        assert [t["name"] for t in root.get("/v1/tokens").json()] == ["root"]
    for name, device, says in BAD_NAMES[::2]:  # each process start costs a second
        args = ["token", "create", name, "--role", "viewer", "--device", device]
        refused = cli(*args, *server.storage_args, check=False)
        assert refused.code != 0 and says in refused.err and "Traceback" not in refused.err


def test_a_good_token_name_is_trimmed_alike(server: Server, cli):
    with _admin(server, server.token("root", "admin")) as root:
        made = root.post("/v1/tokens", json={"name": "  Zoë Ng ", "role": "viewer"}).json()
        assert made["name"] == "Zoë Ng"
    listed = cli("token", "create", "  Zoë Ng ", "--role", "viewer", "--json", *server.storage_args)
    assert '"name": "Zoë Ng"' in listed.out
