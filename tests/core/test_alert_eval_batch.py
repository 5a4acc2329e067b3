"""A batch of alerts against an incident that already holds many: each decision sees the
ones before it (a repeat inside the batch changes nothing), and a decision costs the
same whether the incident holds ten alerts or a storm's worth."""

import time

from warroom.core.alert_eval import IncidentSummary, evaluate_all, summary_of
from warroom.core.alerts import parse_alerts
from warroom.core.policy import default_policy
from warroom.core.state import IncidentState


def _alerts(count: int, status: str = "firing", start: int = 0):
    body = {
        "status": status,
        "groupKey": '{}:{alertname="CheckoutLatencyHigh"}',
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "CheckoutLatencyHigh", "service": "checkout"},
                "annotations": {"p99_latency_ms": "2450"},
                "fingerprint": f"fp-{n}",
            }
            for n in range(start, start + count)
        ],
    }
    return parse_alerts(body)


def _holding(count: int) -> IncidentSummary:
    recorded = {f"old-{n}": "firing" for n in range(count)}
    return IncidentSummary(id="INC-1", severity="SEV2", services=("checkout",), alerts=recorded)


def test_a_batch_sees_its_own_alerts_and_leaves_the_summary_alone():
    incident = _holding(3)
    batch = _alerts(2) + _alerts(1) + _alerts(1, status="resolved")
    decisions = evaluate_all(default_policy(), batch, [incident])
    assert [d.news for d in decisions] == ["new", "new", "repeat", "resolution"]
    assert {d.incident for d in decisions} == {"INC-1"}
    assert dict(incident.alerts) == {f"old-{n}": "firing" for n in range(3)}


def _cpu_per_batch(incident: IncidentSummary, batch) -> float:
    policy, best = default_policy(), float("inf")
    for _ in range(3):
        start = time.process_time()
        evaluate_all(policy, batch, [incident])
        best = min(best, time.process_time() - start)
    return best


def test_a_decision_costs_the_same_on_a_storm_incident():
    batch = _alerts(200)
    small, storm = _holding(10), _holding(100_000)
    ratio = _cpu_per_batch(storm, batch) / _cpu_per_batch(small, batch)
    # a copy of the incident's alerts per decision made this about 15 times dearer
    assert ratio < 3, f"a batch on a 100k-alert incident cost {ratio:.1f}x one on 10 alerts"


def _state(alerts: int) -> IncidentState:
    """An open incident as folded after a storm: an alert and a group per notification."""
    return IncidentState(
        id="INC-1",
        severity="SEV2",
        services=["checkout"],
        alerts={f"old-{n}": "firing" for n in range(alerts)},
        alert_groups={f"group-{n}": 1 for n in range(alerts)},
    )


def test_a_decision_on_a_summarised_storm_incident_costs_the_same():
    batch = _alerts(200)
    small, storm = summary_of(_state(10)), summary_of(_state(100_000))
    ratio = _cpu_per_batch(storm, batch) / _cpu_per_batch(small, batch)
    # scanning the incident's alert groups for each alert made this about 40 times dearer
    assert ratio < 3, f"a batch on a 100k-group incident cost {ratio:.1f}x one on 10 groups"
