"""The HTTP API's access rules, each positive and negative, on a real server."""

import gzip
import json
import subprocess
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import WARROOM
from tests.core.test_wording import PYDANTIC
from tests.sync.conftest import free_port, server_log
from tests.sync.test_faults import _event


def _http(server, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=10)


def _push(http: httpx.Client, *bodies: str) -> httpx.Response:
    return http.post(
        "/v1/push",
        content='{"events":[' + ",".join(bodies) + "]}",
        headers={"Content-Type": "application/json"},
    )


def _payload_event(incident_id: str, actor: str, n: int, payload: dict) -> str:
    data = json.loads(_event(incident_id, actor, n))
    data["payload"] = payload
    return json.dumps(data)


@pytest.fixture
def tokens(server):
    return {
        name: server.token(name, role)
        for name, role in [
            ("root", "admin"),
            ("dora", "responder"),
            ("carl", "responder"),
            ("sam", "responder"),
            ("vic", "viewer"),
        ]
    }


def test_tokens_401_and_revocation(server, tokens):
    for token in (None, "wr_nope_nope", ""):
        with _http(server, token) as http:
            for path in ("/v1/info", "/v1/events", "/v1/poll?timeout=0", "/v1/tokens"):
                answer = http.get(path)
                assert answer.status_code == 401, path
                assert "token" in answer.json()["detail"]
    with _http(server, tokens["vic"]) as http:
        assert http.get("/v1/info").json()["you"] == {
            "name": "vic",
            "role": "viewer",
            "token_id": http.get("/v1/info").json()["you"]["token_id"],
        }
    with _http(server, tokens["root"]) as admin:
        listed = admin.get("/v1/tokens").json()
        assert {t["name"] for t in listed} >= {"root", "vic"}
        assert all(t["token"] is None for t in listed)  # secrets are never listed
        vic_id = next(t["id"] for t in listed if t["name"] == "vic")
        assert admin.delete(f"/v1/tokens/{vic_id}").status_code == 200
        assert admin.delete(f"/v1/tokens/{vic_id}").status_code == 404
        made = admin.post("/v1/tokens", json={"name": "newbie", "role": "responder"})
        assert made.status_code == 201 and made.json()["token"].startswith("wr_")
        assert admin.post("/v1/tokens", json={"name": "x", "role": "god"}).status_code == 422
    with _http(server, tokens["vic"]) as http:
        assert http.get("/v1/info").status_code == 401  # revoked
    with _http(server, made.json()["token"]) as http:
        assert http.get("/v1/info").json()["you"]["name"] == "newbie"


def test_roles_of_tokens_403(server, tokens):
    declaration = _event("inc-acl001", "dora", 1, "declaration")
    with _http(server, tokens["vic"]) as viewer:
        answer = _push(viewer, declaration)
        assert answer.status_code == 403 and "read-only" in answer.json()["detail"]
        assert viewer.get("/v1/events").status_code == 200  # viewers read
        assert viewer.get("/v1/tokens").status_code == 403
        assert viewer.post("/v1/tokens", json={"name": "a", "role": "admin"}).status_code == 403
    with _http(server, tokens["dora"]) as responder:
        assert responder.get("/v1/tokens").status_code == 403
        assert responder.delete("/v1/tokens/tok-x").status_code == 403
        assert _push(responder, declaration).json()["results"][0]["status"] == "applied"


def _oversized_note() -> bytes:
    """A push whose note is over the text limit (by one validator's check, not the lane's)."""
    event = json.loads(_event("inc-a", "dora", 1))
    event["payload"] = {"kind": "note", "text": "x" * 20_000}
    return json.dumps({"events": [event]}).encode()


def test_malformed_and_oversized_bodies(server, tokens):
    with _http(server, tokens["dora"]) as http:
        cases = [
            b"not json",
            b"{}",
            b'{"events": "no"}',
            b'{"events": [{"id": "x"}]}',
            json.dumps(
                {"events": [{**json.loads(_event("inc-a", "dora", 1)), "extra": 1}]}
            ).encode(),
            _oversized_note(),
        ]
        for body in cases:
            answer = http.post(
                "/v1/push", content=body, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 422, body
            detail = answer.json()["detail"]
            assert isinstance(detail, str) and detail
            assert not PYDANTIC.search(detail), detail  # the client shows it verbatim
        huge = b'{"events": [' + b" " * (9 * 1024 * 1024) + b"]}"
        answer = http.post("/v1/push", content=huge, headers={"Content-Type": "application/json"})
        assert answer.status_code == 413 and "too large" in answer.json()["detail"]
        bad_cursor = http.get("/v1/events", params={"after": "x1"})  # as documented: a pattern
        assert bad_cursor.status_code == 422 and bad_cursor.json()["detail"].startswith(
            "query.after:"
        )
        assert http.get("/v1/events", params={"limit": 0}).status_code == 422
        assert http.get("/v1/incidents/inc-nope00/events").status_code == 404


def test_incident_role_rules_at_append_time(server, tokens):
    inc = "inc-acl002"
    n = iter(range(1, 1000))

    def ev(actor, payload):
        if payload == "declaration":
            return _event(inc, actor, next(n), "declaration")
        return _payload_event(inc, actor, next(n), payload)

    def push(who, *bodies):
        with _http(server, tokens[who]) as http:
            return _push(http, *bodies).json()["results"]

    # nobody commands yet: the declarer seats the first commander; others may not
    assert push("dora", ev("dora", "declaration"))[0]["status"] == "applied"
    seat = {"kind": "role_assigned", "role": "commander", "person": "carl"}
    refused = push("sam", ev("sam", seat))[0]
    assert refused["status"] == "rejected" and "commander or deputy" in refused["reason"]
    assert push("dora", ev("dora", seat))[0]["status"] == "applied"
    severity = {"kind": "severity_changed", "severity": "SEV1"}
    external = {"kind": "status_update", "text": "We are investigating", "audience": "external"}
    handoff = {"kind": "handoff", "role": "commander", "to_person": "sam"}
    scribe = {"kind": "role_assigned", "role": "scribe", "person": "sam"}
    runbook = {
        "kind": "runbook_attached",
        "runbook_id": "rb",
        "title": "Gated",
        "content_hash": "0" * 64,
        "steps": [{"id": "gate", "title": "Approve", "type": "approval", "line": 1}],
    }
    assert push("sam", ev("sam", runbook))[0]["status"] == "applied"
    approval = {"kind": "runbook_step", "runbook_id": "rb", "step_id": "gate", "action": "done"}
    for payload in (severity, external, scribe, approval):
        assert push("sam", ev("sam", payload))[0]["status"] == "rejected", payload
        assert push("dora", ev("dora", payload))[0]["status"] == "rejected", payload  # seat taken
        assert push("carl", ev("carl", payload))[0]["status"] == "applied", payload
        assert push("root", ev("sam", payload))[0]["status"] == "applied", payload  # admin
    # an entry must be written as the token's person
    forged = push("sam", ev("carl", {"kind": "note", "text": "I am carl"}))[0]
    assert forged["status"] == "rejected" and "must be written as 'sam'" in forged["reason"]
    # judged at that point of the log: a handoff is an offer, carl commands until sam accepts
    first, second = push("carl", ev("carl", handoff), ev("carl", severity))
    assert first["status"] == "applied" and second["status"] == "applied"
    accept = {"kind": "handoff_accepted", "role": "commander", "person": "sam"}
    assert push("carl", ev("carl", accept))[0]["status"] == "rejected"
    assert push("sam", ev("sam", accept))[0]["status"] == "applied"
    assert push("carl", ev("carl", severity))[0]["status"] == "rejected"
    assert push("sam", ev("sam", severity))[0]["status"] == "applied"
    # unknown incidents and second declarations
    stray = _payload_event("inc-ghost1", "sam", 1, {"kind": "note", "text": "x"})
    assert "does not exist" in push("sam", stray)[0]["reason"]
    assert "already declared" in push("dora", ev("dora", "declaration"))[0]["reason"]
    records, verified = server_log(server.url, tokens["vic"], inc)
    assert verified.verified_events == len(records)


def test_retries_return_the_original_result(server, tokens):
    inc = "inc-acl003"
    bodies = [_event(inc, "dora", 1, "declaration"), _event(inc, "dora", 2)]
    refused = _payload_event(inc, "dora", 3, {"kind": "severity_changed", "severity": "SEV1"})
    with _http(server, tokens["dora"]) as http:
        _push(http, _event(inc, "dora", 9, "note"))  # rejected: no declaration yet
        first = _push(http, *bodies).json()["results"]
        again = _push(http, *bodies).json()["results"]
        assert [r["server_seq"] for r in first] == [r["server_seq"] for r in again] == [1, 2]
        assert [r["hash"] for r in first] == [r["hash"] for r in again]
        assert not any(r["duplicate"] for r in first) and all(r["duplicate"] for r in again)
        seat = _payload_event(
            inc, "dora", 4, {"kind": "role_assigned", "role": "commander", "person": "carl"}
        )
        _push(http, seat)
        once = _push(http, refused).json()["results"][0]
        twice = _push(http, refused).json()["results"][0]
        assert once["status"] == twice["status"] == "rejected"
        assert once["reason"] == twice["reason"] and twice["duplicate"]


def test_catch_up_pages_are_gzipped_and_long_poll_waits(server, tokens):
    inc = "inc-acl004"
    with _http(server, tokens["dora"]) as http:
        _push(
            http,
            _event(inc, "dora", 1, "declaration"),
            *[_event(inc, "dora", i) for i in range(2, 60)],
        )
        raw = httpx.get(
            server.url + "/v1/events",
            headers={"Authorization": f"Bearer {tokens['dora']}", "Accept-Encoding": "gzip"},
        )
        assert raw.headers["content-encoding"] == "gzip"
        page = http.get("/v1/events", params={"limit": 10}).json()
        assert len(page["items"]) == 10 and page["up_to_date"] is False
        rest = http.get("/v1/events", params={"after": page["cursor"]}).json()
        assert rest["up_to_date"] is True
        empty = http.get("/v1/poll", params={"after": rest["cursor"], "timeout": 0.3}).json()
        assert empty["items"] == [] and empty["cursor"] == rest["cursor"]
    assert gzip.decompress(gzip.compress(b"x")) == b"x"


def test_openapi_document_lists_the_protocol(server):
    doc = httpx.get(server.url + "/openapi.json").json()
    assert {"/v1/push", "/v1/events", "/v1/stream", "/v1/poll", "/v1/info", "/v1/tokens"} <= set(
        doc["paths"]
    )


def _sse_lines(server, token: str, headers: dict, until_lines: int, timeout: float = 5.0):
    lines = []
    with (
        httpx.Client(base_url=server.url, timeout=timeout) as http,
        http.stream(
            "GET", "/v1/stream", headers={"Authorization": f"Bearer {token}", **headers}
        ) as answer,
    ):
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert answer.headers["x-accel-buffering"] == "no"
        for line in answer.iter_lines():
            lines.append(line)
            if len(lines) >= until_lines:
                break
    return lines


def test_the_stream_resumes_from_last_event_id_and_sends_heartbeats(server, tokens):
    inc = "inc-acl005"
    with _http(server, tokens["dora"]) as http:
        bodies = [_event(inc, "dora", 1, "declaration")]
        bodies += [_event(inc, "dora", i) for i in range(2, 6)]
        _push(http, *bodies)
    lines = _sse_lines(server, tokens["vic"], {"Last-Event-ID": "3"}, until_lines=10)
    ids = [line.removeprefix("id: ") for line in lines if line.startswith("id: ")]
    assert ids == ["4", "5"]  # replay after the cursor, nothing before it
    assert "event: up_to_date" in lines
    assert lines[-1] == ": ping" or ": ping" in lines  # heartbeat (0.5 s in tests)
    with httpx.Client(base_url=server.url) as http:
        bad = http.get(
            "/v1/stream",
            headers={"Authorization": f"Bearer {tokens['vic']}", "Last-Event-ID": "999"},
        )
        assert bad.status_code == 400 and "ahead of this server's log" in bad.json()["detail"]


def _self_signed(folder) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def test_serve_over_tls(tmp_path, cli):
    cert, key = _self_signed(tmp_path)
    data = tmp_path / "tls-data"
    token = cli("token", "create", "tess", "--role", "viewer", "--data", str(data)).out.strip()
    port = free_port()
    command = [WARROOM, "serve", "--port", str(port), "--data", str(data)]
    proc = subprocess.Popen([*command, "--tls-cert", cert, "--tls-key", key])
    try:
        url = f"https://127.0.0.1:{port}"
        answer = None
        for _ in range(100):
            try:
                answer = httpx.get(
                    url + "/v1/info", headers={"Authorization": f"Bearer {token}"}, verify=False
                )
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert answer is not None and answer.json()["you"]["name"] == "tess"
    finally:
        proc.terminate()
        proc.wait(10)
    lonely = cli("serve", "--tls-cert", cert, check=False)
    assert lonely.code != 0 and "go together" in lonely.err


def test_non_finite_numbers_are_refused_and_look_alikes_are_not(server, tokens):
    """NaN and infinities have no canonical JSON, so they could never be hashed or
    verified: refused with 422. Text that merely mentions them is an ordinary entry."""
    declaration = _event("inc-nan000", "dora", 1, "declaration")
    with _http(server, tokens["dora"]) as http:
        assert _push(http, declaration).json()["results"][0]["status"] == "applied"
        for number in ("NaN", "Infinity", "-Infinity", "1e999", "-2E+400"):
            note = json.loads(_event("inc-nan000", "dora", 2))
            body = json.dumps({"events": [note]}).replace(
                '"kind": "note"', f'"kind": "note", "gauge": {number}'
            )
            answer = http.post(
                "/v1/push", content=body, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 422, number
            assert "NaN and infinite numbers" in answer.json()["detail"]
        note = json.loads(_event("inc-nan000", "dora", 3))
        note["payload"]["text"] = "p99 is NaN on the Infinity dashboard; 1e999 rps"
        note["payload"]["gauge"] = 1e300
        results = _push(http, json.dumps(note)).json()["results"]
        assert results[0]["status"] == "applied", results
