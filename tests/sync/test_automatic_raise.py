"""Automatic severity raises on a real ``warroom serve``: an alert rule raises a
human-commanded incident (the policy's own rule authorises it), and a responder token
claiming to be automation — a spoofed actor, a spoofed ``rule`` field — is refused."""

import httpx
import pytest

from tests.factories import make_event
from tests.sync.intake_helpers import incident_log, intake_server, latency_alert, post, webhook
from warroom.core.ids import new_event_id
from warroom.core.timeparse import utcnow


@pytest.fixture
def srv(tmp_path):
    server = intake_server(tmp_path / "server-data")
    yield server
    server.stop()


def push(server, token: str, incident: str, actor: str, seq: int, **payload) -> dict:
    """One event pushed as ``actor`` with ``token``; the server's result for it."""
    event = make_event(
        payload.pop("kind"), incident, actor=actor, event_id=new_event_id(), **payload
    ).model_copy(
        update={"occurred_at": utcnow(), "recorded_at": utcnow(), "device_id": f"dev-{actor}"}
    )
    event = event.model_copy(update={"device_seq": seq})
    answer = httpx.post(
        f"{server.url}/v1/push",
        content='{"events":[' + event.model_dump_json() + "]}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["results"][0]


def severities(server, reader: str, incident: str) -> list[tuple[str, str, str]]:
    return [
        (e["actor"], e["payload"]["severity"], e["payload"].get("rule", ""))
        for e in incident_log(server, reader, incident)
        if e["payload"]["kind"] == "severity_changed"
    ]


def test_an_alert_rule_raises_a_commanded_incident_and_a_spoofed_raise_is_refused(srv):
    intake, reader = srv.token("alertmanager", "intake"), srv.token("vic", "viewer")
    root, dora, rita = srv.token("root", "admin"), srv.token("dora"), srv.token("rita")
    first = post(srv, intake, "alertmanager", webhook(latency_alert()))
    incident = first.json()["alerts"][0]["incident"]  # SEV2, command vacant
    seat = push(
        srv, root, incident, "root", 1, kind="role_assigned", role="commander", person="dora"
    )
    assert seat["status"] == "applied", seat
    lowered = push(srv, dora, incident, "dora", 1, kind="severity_changed", severity="SEV3")
    assert lowered["status"] == "applied", lowered  # the commander's own call

    # a responder claiming to be automation is judged as the responder
    for actor in ("warroom:ladder", "intake:alertmanager"):
        spoofed = push(
            srv,
            rita,
            incident,
            actor,
            1,
            kind="severity_changed",
            severity="SEV1",
            rule="latency-p99",
        )
        assert spoofed["status"] == "rejected" and "must be written as 'rita'" in spoofed["reason"]
    named = push(
        srv, rita, incident, "rita", 1, kind="severity_changed", severity="SEV2", rule="latency-p99"
    )
    assert named["status"] == "rejected"
    assert "changing severity needs the commander or deputy" in named["reason"]

    # the alert rule `latency-p99` raises (never lowers) to SEV2, commander or not
    again = post(srv, intake, "alertmanager", webhook(latency_alert("checkout-2b1d:8080")))
    assert again.status_code == 200, again.text
    (applied,) = again.json()["alerts"]
    assert applied["incident"] == incident
    assert f"raised {incident} to SEV2" in applied["done"], applied["done"]
    assert severities(srv, reader, incident) == [
        ("dora", "SEV3", ""),
        ("intake:alertmanager", "SEV2", "latency-p99"),
    ]
