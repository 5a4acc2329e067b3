"""What a rule does on intake, each on the record with its rule and reason: a threshold
crossed, a page and a notice for delivery, a TODO with an owner and a time box — through
the real script on a real home."""

import json
from datetime import datetime, timedelta

from warroom.core.timeparse import utcnow

POLICY = """
[[rules]]
id = "checkout-errors"
match = ['service="checkout"']
thresholds = ["error_rate_pct >= 5", "p99_latency_ms > 2000"]
page = "checkout-oncall"
notify = "executive"
todo = { text = "Check the last deploy of {labels.service}", owner = "commander", minutes = 15 }

[rules.declare]
severity = "SEV2"
title = "{summary}"
"""

ALERT = {
    "summary": "Checkout failing",
    "dedup_key": "checkout-errors",
    "labels": {"service": "checkout"},
    "values": {"error_rate_pct": 7.5, "p99_latency_ms": 2450},
}


def test_every_rule_action_is_on_the_record_with_its_rule(cli, _isolated_home, tmp_path):
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "policy.toml").write_text(POLICY, encoding="utf-8")
    payload = tmp_path / "alert.json"
    payload.write_text(json.dumps(ALERT))
    before = utcnow()
    (applied,) = cli("intake", "generic", str(payload), "--json").json()["alerts"]
    events = json.loads(cli("export", applied["incident"], "--format", "json").out)["events"]
    by_kind: dict[str, list[dict]] = {}
    for event in events:
        by_kind.setdefault(event["payload"]["kind"], []).append(event["payload"])

    crossed = {(c["metric"], c["value"], c["threshold"]) for c in by_kind["threshold_crossed"]}
    assert crossed == {("error_rate_pct", 7.5, 5), ("p99_latency_ms", 2450, 2000)}
    assert all(c["text"].startswith("rule checkout-errors: ") for c in by_kind["threshold_crossed"])

    page, notice = by_kind["escalation"]
    assert (page["action"], page["target"], page["rule"]) == (
        "page",
        "checkout-oncall",
        "checkout-errors",
    )
    assert (notice["action"], notice["target"], notice["rule"]) == (
        "notify",
        "executive",
        "checkout-errors",
    )
    assert "error_rate_pct 7.5 >= 5" in page["reason"]

    (todo,) = by_kind["todo"]
    assert todo["text"] == "Check the last deploy of checkout" and todo["owner"] == "commander"
    due = datetime.fromisoformat(todo["due"])
    assert before + timedelta(minutes=15) <= due <= utcnow() + timedelta(minutes=15)
    assert "added TODO 'Check the last deploy of checkout', due in 15 min" in applied["done"]
