"""``warroom rules test`` and ``warroom policy check`` on rules, through the real script."""

from pathlib import Path

PAYLOADS = Path(__file__).parents[1] / "core" / "alert_payloads"

POLICY = """
[[rules]]
id = "checkout-latency"
match = ['service=~"checkout.*"', 'severity="critical"']
thresholds = ["p99_latency_ms > 2000"]
page = "checkout-oncall"
runbook = { from_annotation = "runbook_url" }

[rules.declare]
severity = "SEV2"
type = "degradation"
title = "{labels.alertname} on {labels.service}"

[[rules]]
id = "payments-errors"
match = ['team="blue"']
thresholds = ["error_rate_pct >= 5"]
raise_severity = "SEV1"
notify = "executive"

[rules.declare]
severity = "SEV3"
title = "{summary}"
"""


def _with_policy(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "policy.toml").write_text(POLICY, encoding="utf-8")


def test_alertmanager_payload_dry_run(cli, _isolated_home):
    _with_policy(_isolated_home)
    result = cli("rules", "test", str(PAYLOADS / "alertmanager.json"))
    lines = result.out.splitlines()
    assert lines[0] == (
        "alertmanager alert 1a30ba71cca2921f (firing): Checkout p99 latency above 2 s"
    )
    assert lines[1] == (
        '  rule checkout-latency fires: service=~"checkout.*" matched; severity="critical"'
        " matched; p99_latency_ms 2450 > 2000"
    )
    assert lines[2] == (
        "    -> declare a new SEV2 degradation incident 'CheckoutLatencyHigh on checkout'"
        " (services: checkout)"
    )
    assert "page checkout-oncall" in lines[3] and "attach runbook kubepodcrashlooping" in lines[4]
    assert "(resolved)" in lines[5] and len(lines) == 6  # a resolution of nothing on record
    assert cli("list").out.startswith("No incidents yet.")  # a dry run changes nothing


def test_grafana_payload_from_stdin_as_json(cli, _isolated_home):
    _with_policy(_isolated_home)
    text = (PAYLOADS / "grafana.json").read_text("utf-8")
    result = cli("rules", "test", "-", "--json", input=text).json()
    (alert,) = result["alerts"]
    assert alert["source"] == "grafana" and alert["values"]["error_rate_pct"] == 7.5
    (decision,) = result["decisions"]
    (fired,) = decision["fired"]
    assert fired["rule"] == "payments-errors" and fired["why"][-1] == "error_rate_pct 7.5 >= 5"
    assert [a["kind"] for a in fired["actions"]] == ["declare", "raise_severity", "notify"]
    assert fired["actions"][1]["text"] == "raise the new incident to SEV1 from SEV3"
    assert decision["not_fired"][0].startswith("checkout-latency: service=~")


def test_generic_payload_with_the_default_rules(cli, tmp_path):
    payload = tmp_path / "slow.json"
    payload.write_text(
        '{"summary": "API slow", "labels": {"service": "api"}, "values": {"p99_latency_ms": 3100}}'
    )
    out = cli("rules", "test", str(payload), "--format", "generic").out
    assert "rule latency-p99 fires: p99_latency_ms 3100 > 2000" in out
    assert "API slow on api: p99 latency above 2 s" in out
    quiet = tmp_path / "quiet.json"
    quiet.write_text('{"summary": "fine"}')
    out = cli("rules", "test", str(quiet)).out
    assert "no rule fires" in out and "p99_latency_ms is not a number the alert carries" in out


def test_malformed_payloads_exit_2_with_the_path(cli, tmp_path):
    cases = {
        '{"status": "firing", "alerts": [{"status": "firing", "startsAt": "soon"}]}': (
            "warroom: error: alerts.0.startsAt: not a time: 'soon'"
        ),
        '{"summary": ': "warroom: error: not JSON: line 1 column 13:",
        '{"summary": "x", "status": "done"}': "warroom: error: status: 'done' is not one of",
    }
    for body, message in cases.items():
        result = cli("rules", "test", "-", input=body, check=False)
        assert result.code == 2 and result.err.startswith(message), (body, result.err)
        assert "Traceback" not in result.err and "Input should" not in result.err
    missing = cli("rules", "test", str(tmp_path / "nope.json"), check=False)
    assert missing.code == 2 and "cannot read" in missing.err
    wrong = cli("rules", "test", "-", "--format", "yaml", input="{}", check=False)
    assert wrong.code == 2 and "unknown format 'yaml'" in wrong.err
    generic = cli("rules", "test", "-", "--format", "generic", input='{"alerts": []}', check=False)
    assert generic.code == 2 and "summary: is required and missing" in generic.err


def test_policy_check_reports_rule_errors_with_file_and_line(cli, tmp_path):
    bad = tmp_path / "policy.toml"
    bad.write_text(
        '# rules\n[[rules]]\nid = "a"\nmatch = [\'severity=critical\']\npage = "x"\n\n'
        '[[rules]]\nid = "b"\nlaunch = "rockets"\n'
    )
    result = cli("policy", "check", str(bad), check=False)
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{bad}:4: rules.0.match.0: not a matcher: 'severity=critical': the value must be in"
        ' double quotes (e.g. severity="critical", service=~"checkout.*", env!="staging")',
        f"{bad}:7: rules.1: unknown action 'launch'; the actions are declare, raise_severity,"
        " page, notify, todo, runbook",
    ]
    good = tmp_path / "good.toml"
    good.write_text(POLICY)
    assert cli("policy", "check", str(good)).out == ""
    shown = cli("policy", "show").out
    assert "  latency-p99: p99 latency above 2 s: SEV2, page the owning team" in shown
    rules = cli("policy", "show", "--json").json()["rules"]
    assert rules[0]["thresholds"] == ["p99_latency_ms > 2000"]
