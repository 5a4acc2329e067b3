"""``POST /v1/intake/…`` on a real ``warroom serve``: alerts declare and feed incidents
through the same rules as local intake, deduplicated, all or nothing, intake tokens only."""

import json

import pytest

from tests.sync.intake_helpers import (
    feed_size,
    incident_log,
    intake_server,
    kinds,
    latency_alert,
    post,
    webhook,
)


@pytest.fixture
def srv(tmp_path):
    server = intake_server(tmp_path / "server-data")
    yield server
    server.stop()


@pytest.fixture
def tokens(srv):
    return {"intake": srv.token("alertmanager", "intake"), "reader": srv.token("vic", "viewer")}


def test_an_alert_declares_with_its_reason_and_runbook_a_repeat_changes_nothing(srv, tokens):
    answer = post(srv, tokens["intake"], "alertmanager", webhook(latency_alert()))
    assert answer.status_code == 200, answer.text
    (applied,) = answer.json()["alerts"]
    assert applied["news"] == "new" and applied["incident"].startswith("inc-")
    events = incident_log(srv, tokens["reader"], applied["incident"])
    assert kinds(events) == [
        "declaration",
        "alert_received",
        "threshold_crossed",
        "note",
        "escalation",
        "runbook_attached",
    ]
    assert {e["actor"] for e in events} == {"intake:alertmanager"}
    assert events[0]["payload"]["declarer_commands"] is False
    alert = events[1]["payload"]
    assert alert["fingerprint"] == "fp-checkout-7f9c:8080" and alert["status"] == "firing"
    assert alert["annotations"]["p99_latency_ms"] == "2450"
    assert events[2]["payload"]["value"] == 2450 and events[2]["payload"]["threshold"] == 2000
    assert "rule latency-p99 fired: p99_latency_ms 2450 > 2000" in events[3]["payload"]["text"]
    assert events[4]["payload"]["target"] == "owning-team"
    assert events[4]["payload"]["rule"] == "latency-p99"
    assert events[5]["payload"]["runbook_id"] == "KubePodCrashLooping"

    again = post(srv, tokens["intake"], "alertmanager", webhook(latency_alert()))
    assert again.json()["alerts"][0]["news"] == "repeat"
    assert len(incident_log(srv, tokens["reader"], applied["incident"])) == len(events)

    resolved = post(
        srv, tokens["intake"], "alertmanager", webhook(latency_alert(status="resolved"))
    )
    assert resolved.json()["alerts"][0]["news"] == "resolution"
    last = incident_log(srv, tokens["reader"], applied["incident"])[-1]["payload"]
    assert last["kind"] == "alert_received" and last["status"] == "resolved"


def test_an_alert_of_the_same_service_attaches_to_the_open_incident(srv, tokens):
    first = post(srv, tokens["intake"], "alertmanager", webhook(latency_alert("a")))
    second = post(srv, tokens["intake"], "alertmanager", webhook(latency_alert("b"), group="other"))
    incident = first.json()["alerts"][0]["incident"]
    assert second.json()["alerts"][0]["incident"] == incident
    assert any("attach to" in line for line in second.json()["alerts"][0]["done"])
    assert kinds(incident_log(srv, tokens["reader"], incident)).count("declaration") == 1


def test_grafana_and_generic_payloads(srv, tokens):
    grafana = webhook(latency_alert("g") | {"values": {"p99_latency_ms": 3100.0}}) | {"orgId": 1}
    answer = post(srv, tokens["intake"], "alertmanager", grafana)
    assert answer.status_code == 200, answer.text
    events = incident_log(srv, tokens["reader"], answer.json()["alerts"][0]["incident"])
    assert events[1]["payload"]["source"] == "grafana"
    assert events[1]["payload"]["values"] == {"p99_latency_ms": 3100.0}

    generic = {
        "summary": "payments error rate 7%",
        "source": "pingdom",
        "dedup_key": "payments-errors",
        "labels": {"service": "payments"},
        "values": {"error_rate_pct": 7},
    }
    token = srv.token("pingdom", "intake")
    answer = post(srv, token, "generic", generic)
    assert answer.status_code == 200, answer.text
    (applied,) = answer.json()["alerts"]
    events = incident_log(srv, tokens["reader"], applied["incident"])
    assert events[1]["actor"] == "intake:pingdom"
    assert "error_rate_pct 7 > 5" in events[3]["payload"]["text"]


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        ("alertmanager", {"status": "firing", "alerts": []}, "alerts: needs at least 1 item"),
        ("alertmanager", webhook(latency_alert() | {"status": "burning"}), "alerts.0.status:"),
        (
            "alertmanager",
            webhook(latency_alert() | {"startsAt": "soon"}),
            "alerts.0.startsAt: not a time",
        ),
        ("generic", {"summary": "x", "sevrity": "critical"}, "sevrity:"),
        ("generic", "{not json", "not valid JSON"),
    ],
)
def test_a_malformed_body_is_422_in_plain_words_and_nothing_is_written(
    srv, tokens, path, body, detail
):
    answer = post(srv, tokens["intake"], path, body)
    assert answer.status_code == 422
    message = answer.json()["detail"]
    assert detail in message, message
    assert "Input should" not in message and "Field required" not in message
    assert feed_size(srv, tokens["reader"]) == 0


def test_a_payload_whose_entry_cannot_be_recorded_writes_nothing(srv, tokens):
    """The second alert is too large to record: the first one is not kept either."""
    good = latency_alert("ok")
    huge = latency_alert("huge")
    huge["annotations"] = {**huge["annotations"], "description": "x" * 70_000}
    answer = post(srv, tokens["intake"], "alertmanager", webhook(good, huge))
    assert answer.status_code == 422, answer.text
    assert "over the limit" in answer.json()["detail"]
    assert feed_size(srv, tokens["reader"]) == 0


@pytest.mark.parametrize("role", ["responder", "viewer", "admin"])
def test_only_an_intake_token_may_post_alerts(srv, role):
    answer = post(srv, srv.token(f"someone-{role}", role), "generic", {"summary": "x"})
    assert answer.status_code == 403
    assert (
        answer.json()["detail"] == f"only an intake token may post alerts; this is a {role} token"
    )


def test_no_token_is_401(srv):
    answer = post(srv, "", "generic", json.dumps({"summary": "x"}))
    assert answer.status_code == 401
