"""The fold keeps an incident's alert groups as a map (group → alerts of it on the
record), so folding one more alert costs the same on a storm's incident as on a quiet
one: a list made every alert of a storm scan every group before it, in intake's batch and
again in the server's writer."""

import time

from tests.factories import declaration, make_event
from warroom.core.fold import apply, fold
from warroom.core.state import IncidentState


def _alert(n: int, group: str, status: str = "firing"):
    return make_event(
        "alert_received",
        source="alertmanager",
        summary="Checkout p99 latency above 2 s",
        fingerprint=f"fp-{n}",
        group_key=group,
        status=status,
    )


def test_the_groups_count_the_alerts_of_each():
    state = fold([declaration(), _alert(1, "g-a"), _alert(2, "g-b"), _alert(1, "g-a", "resolved")])
    assert state.alert_groups == {"g-a": 2, "g-b": 1}
    assert state.alerts == {"fp-1": "resolved", "fp-2": "firing"}


def _cpu_per_alert(state: IncidentState, alerts: list) -> float:
    state = state.model_copy(deep=True)
    start = time.process_time()
    for event in alerts:
        apply(state, event)
    return (time.process_time() - start) / len(alerts)


def test_folding_an_alert_costs_the_same_on_a_storm_incident():
    quiet = fold([declaration(), *(_alert(n, f"old-{n}") for n in range(10))])
    storm = fold([declaration(), *(_alert(n, f"old-{n}") for n in range(10_000))])
    alerts = [_alert(n, f"g-{n}") for n in range(300)]
    quiet_cost = min(_cpu_per_alert(quiet, alerts) for _ in range(3))
    storm_cost = min(_cpu_per_alert(storm, alerts) for _ in range(3))
    # a list of groups made each alert on the 10k-group incident ~20 times dearer
    assert storm_cost < 3 * quiet_cost, (
        f"{storm_cost * 1e6:.0f} µs per alert on a storm vs {quiet_cost * 1e6:.0f} µs"
    )
