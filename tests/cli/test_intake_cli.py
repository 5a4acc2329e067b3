"""``warroom intake``: alert payloads applied to a local home, through the real script."""

import json
from pathlib import Path

from tests.cli.test_rules_cli import PAYLOADS, _with_policy


def _firing(status: str = "firing") -> str:
    """The Alertmanager example, its first alert only, with the given status."""
    payload = json.loads((PAYLOADS / "alertmanager.json").read_text("utf-8"))
    payload["status"] = payload["alerts"][0]["status"] = status
    payload["alerts"] = payload["alerts"][:1]
    return json.dumps(payload)


def _events(cli, incident: str) -> list[dict]:
    return json.loads(cli("export", incident, "--format", "json").out)["events"]


def test_alertmanager_payload_declares_then_repeats_then_resolves(cli, _isolated_home: Path):
    _with_policy(_isolated_home)
    first = cli("intake", "alertmanager", "-", "--json", input=_firing()).json()
    (applied,) = first["alerts"]
    incident = applied["incident"]
    assert applied["news"] == "new" and applied["done"][0].startswith(f"declared {incident}")
    events = _events(cli, incident)
    kinds = [e["payload"]["kind"] for e in events]
    assert kinds == ["declaration", "alert_received", "threshold_crossed", "note", "escalation"]
    declaration, alert, crossed, why, page = (e["payload"] for e in events)
    assert {e["actor"] for e in events} == {"intake:alertmanager"}
    assert declaration["severity"] == "SEV2" and declaration["services"] == ["checkout"]
    assert declaration["title"] == "CheckoutLatencyHigh on checkout"
    assert not declaration["declarer_commands"]  # a person takes command, not the bot
    assert alert["fingerprint"] == "1a30ba71cca2921f" and alert["status"] == "firing"
    assert alert["labels"]["région"] == "eu-west-1 — Zürich"
    assert alert["annotations"]["p99_latency_ms"] == "2450"
    assert "rule checkout-latency fired" in why["text"] and "2450 > 2000" in why["text"]
    assert (crossed["metric"], crossed["value"], crossed["threshold"]) == (
        "p99_latency_ms",
        2450,
        2000,
    )
    assert crossed["text"] == "rule checkout-latency: p99_latency_ms > 2000"
    assert (page["target"], page["action"], page["rule"]) == (
        "checkout-oncall",
        "page",
        "checkout-latency",
    )

    again = cli("intake", "alertmanager", "-", input=_firing()).out
    assert f"a repeat of an alert on {incident}: nothing changed" in again
    assert len(_events(cli, incident)) == 5

    resolved = cli("intake", "alertmanager", "-", input=_firing("resolved")).out
    assert f"recorded the resolution on {incident}" in resolved
    last = _events(cli, incident)[-1]["payload"]
    assert last["kind"] == "alert_received" and last["status"] == "resolved"
    assert cli("list").out.count("\n") == 1  # one incident, never a second


def test_grafana_alert_raises_severity_upward(cli, _isolated_home: Path):
    _with_policy(_isolated_home)
    text = (PAYLOADS / "grafana.json").read_text("utf-8")
    (applied,) = cli("intake", "alertmanager", "-", "--json", input=text).json()["alerts"]
    assert f"raised {applied['incident']} to SEV1" in applied["done"]
    events = _events(cli, applied["incident"])
    assert events[1]["payload"]["values"]["error_rate_pct"] == 7.5
    assert events[-2]["payload"] == {
        "kind": "severity_changed",
        "severity": "SEV1",
        "reason": "alert rule payments-errors",
        "rule": "payments-errors",
    }
    notify = events[-1]["payload"]  # the rule's notify: an escalation delivery sends
    assert (notify["kind"], notify["action"], notify["target"], notify["rule"]) == (
        "escalation",
        "notify",
        "executive",
        "payments-errors",
    )
    assert applied["done"][-1] == "notified executive (recorded as due)"


def test_generic_alert_with_the_default_rules(cli, tmp_path: Path):
    payload = tmp_path / "slow.json"
    payload.write_text(
        '{"summary": "API slow", "dedup_key": "api-slow", "labels": {"service": "api"},'
        ' "values": {"p99_latency_ms": 3100}, "links": [{"url": "https://grafana.example/d/1"}]}'
    )
    (applied,) = cli("intake", "generic", str(payload), "--json").json()["alerts"]
    alert = _events(cli, applied["incident"])[1]["payload"]
    assert alert["fingerprint"] == "api-slow" and alert["source"] == "generic"
    assert alert["links"] == [{"title": "", "url": "https://grafana.example/d/1"}]
    again = cli("intake", "generic", str(payload)).out
    assert "nothing changed" in again


def test_malformed_payload_is_exit_2_and_writes_nothing(cli, _isolated_home: Path):
    _with_policy(_isolated_home)
    bad = json.loads(_firing())
    bad["alerts"][0]["startsAt"] = "soon"
    result = cli("intake", "alertmanager", "-", input=json.dumps(bad), check=False)
    assert result.code == 2 and "alerts.0.startsAt: not a time: 'soon'" in result.err
    assert "Traceback" not in result.err and result.out == ""
    assert cli("list").out.startswith("No incidents yet.")
    not_json = cli("intake", "generic", "-", input="{", check=False)
    assert not_json.code == 2 and "not JSON" in not_json.err
