"""``warroom status`` shows the ladder (what fires next, when, and why) and ``warroom
ack`` settles its unacknowledged steps — through the real script."""

import json


def test_status_shows_the_ladder_and_ack_settles_it(cli, tmp_path):
    payload = tmp_path / "slow.json"
    payload.write_text(
        json.dumps({"summary": "API slow", "dedup_key": "slow", "values": {"p99_latency_ms": 3100}})
    )
    (applied,) = cli("intake", "generic", str(payload), "--json").json()["alerts"]
    incident = applied["incident"]  # declared by intake, command vacant: unacknowledged
    lines = cli("status", incident).out.splitlines()
    assert any(
        line.strip().startswith("armed   major-unacknowledged: page next-tier in 1")
        for line in lines
    ), lines
    assert any(
        "latency-p99-sustained: page next-tier in" in line and "p99_latency_ms 3100 > 2000" in line
        for line in lines
    ), lines
    cli("ack", incident)
    status = cli("status", incident, "--json").json()
    steps = {step["rule"]["id"]: step for step in status["escalations"]}
    assert steps["major-unacknowledged"]["status"] == "settled"
    assert "acknowledged" in steps["major-unacknowledged"]["reason"]
