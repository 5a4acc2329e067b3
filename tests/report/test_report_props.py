"""Property tests: the report's figures equal a direct computation over the same events.

Each example draws incidents as plain numbers (minutes from a start, a severity, pages,
action items, updates), writes them as real events, folds them, projects them
(``incident_facts``) and builds the report; the expected figures are computed here from
the drawn numbers alone, with definitions written out independently of the code.
"""

import math
import statistics
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_event
from warroom.core.fold import fold
from warroom.core.policy import default_policy
from warroom.core.policy_sections import Cadence
from warroom.core.report import build_report
from warroom.core.report_facts import FACT_KINDS, TIMELINE_KINDS, incident_facts

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
NOW = T0 + timedelta(days=40)
POLICY = default_policy()
SEVERITIES = ("SEV1", "SEV2", "SEV3")

maybe_minutes = st.one_of(st.none(), st.integers(0, 600))
incident_plans = st.fixed_dictionaries(
    {
        "severity": st.sampled_from(SEVERITIES),
        "drill": st.booleans(),
        "day": st.integers(0, 30),
        "impact_before": maybe_minutes,  # impact started this long before detection
        "ack_after": maybe_minutes,  # acknowledged this long after detection
        "mitigated_after": maybe_minutes,
        "resolved_after": maybe_minutes,
        "pages": st.lists(st.integers(0, 120), max_size=3),  # minutes after detection
        "actions": st.lists(
            st.tuples(st.sampled_from(("open", "done", "wont_do")), st.integers(-5, 5)),
            max_size=3,
        ),  # (status, due in days from NOW)
        "updates": st.lists(st.integers(1, 200), max_size=4),  # internal, minutes after
        "published_after_days": st.one_of(st.none(), st.integers(0, 9)),
    }
)


def _events(n: int, plan: dict) -> list:
    incident = f"inc-p{n:05d}"
    detected = T0 + timedelta(days=plan["day"])
    minute = (detected - datetime(2026, 11, 24, 9, 0, tzinfo=UTC)).total_seconds() / 60

    def at(after: int) -> dict:
        return {"minute": minute + after}

    impact = plan["impact_before"]
    events = [
        make_event(
            "declaration",
            incident,
            title=f"incident {n}",
            incident_type="outage",
            severity=plan["severity"],
            drill=plan["drill"],
            detected_at=detected.isoformat(),
            impact_started_at=(detected - timedelta(minutes=impact)).isoformat()
            if impact is not None
            else None,
            **at(0),
        )
    ]
    for name in ("ack", "mitigated", "resolved"):
        after = plan[f"{name}_after"]
        if after is not None:
            milestone = "acknowledged" if name == "ack" else name
            when = (detected + timedelta(minutes=after)).isoformat()
            events.append(make_event("milestone", incident, milestone=milestone, at=when, **at(1)))
    for after in plan["pages"]:
        events.append(make_event("escalation", incident, target="team", **at(after)))
    for after in plan["updates"]:
        events.append(
            make_event("status_update", incident, text="u", audience="internal", **at(after))
        )
    for status, due_days in plan["actions"]:
        todo = make_event("todo", incident, text="fix it", owner="bo", **at(2))
        todo = todo.model_copy(
            update={"payload": todo.payload.model_copy(update={"due": NOW + timedelta(due_days)})}
        )
        events.append(todo)
        if status != "open":
            events.append(
                make_event(
                    "action_item_updated",
                    incident,
                    target_id=todo.id,
                    status=status,
                    reason="covered elsewhere",
                    **at(3),
                )
            )
    if plan["published_after_days"] is not None:
        late = timedelta(days=plan["published_after_days"]).total_seconds() / 60
        events.append(make_event("postmortem_published", incident, **at(700 + late)))
    return events


def _facts(plans: list[dict]):
    found = []
    for n, plan in enumerate(plans):
        events = _events(n, plan)
        counts = {k: sum(e.kind == k for e in events) for k in TIMELINE_KINDS}
        facts_events = [e for e in events if e.kind in FACT_KINDS]
        found.append(incident_facts(fold(events), facts_events, counts))
    return found


def nearest_rank_p90(values: list[float]) -> float:
    """The smallest observed value that at least 90 % of the values do not exceed."""
    return min(v for v in values if sum(w <= v for w in values) >= 0.9 * len(values))


def _span(plan: dict, metric: str) -> float | None:
    """Seconds, from the drawn minutes: MTTD = impact→detection, MTTA = detection→ack,
    MTTM = impact→mitigation, MTTR = impact→resolution; unknown when either is missing
    or the span is negative."""
    impact = None if plan["impact_before"] is None else -plan["impact_before"]
    points = {"impact": impact, "detected": 0, "ack": plan["ack_after"]}
    points |= {"mitigated": plan["mitigated_after"], "resolved": plan["resolved_after"]}
    start, end = {
        "mttd": ("impact", "detected"),
        "mtta": ("detected", "ack"),
        "mttm": ("impact", "mitigated"),
        "mttr": ("impact", "resolved"),
    }[metric]
    if points[start] is None or points[end] is None or points[end] < points[start]:
        return None
    return (points[end] - points[start]) * 60.0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(incident_plans, min_size=1, max_size=12), st.booleans())
def test_report_figures_equal_a_direct_computation(plans, include_drills):
    report = build_report(_facts(plans), POLICY, NOW, by="severity", include_drills=include_drills)
    chosen = [p for p in plans if include_drills or not p["drill"]]
    assert report.drills_left_out == len(plans) - len(chosen)
    assert report.total.incidents == len(chosen)
    groups = {g.key: g for g in report.groups}
    assert set(groups) == {p["severity"] for p in chosen}
    for severity, group in groups.items():
        members = [p for p in chosen if p["severity"] == severity]
        assert group.incidents == len(members)
        for metric in ("mttd", "mtta", "mttm", "mttr"):
            values = [_span(p, metric) for p in members]
            known = [v for v in values if v is not None]
            figure = group.metrics[metric]
            assert (figure.known, figure.unknown) == (len(known), len(values) - len(known))
            if known:
                assert figure.median_s == statistics.median(known)
                assert figure.p90_s == nearest_rank_p90(known)
            else:
                assert figure.median_s is None and figure.p90_s is None
        actions = [a for p in members for a in p["actions"]]
        closed = sum(status != "open" for status, _ in actions)
        assert group.follow_ups.total == len(actions)
        assert group.follow_ups.closed == closed
        rate = group.follow_ups.closure_rate
        assert (rate is None) if not actions else math.isclose(rate, closed / len(actions))
        assert group.follow_ups.overdue == sum(s == "open" and d < 0 for s, d in actions)
        pages = [(p["ack_after"], after) for p in members for after in p["pages"]]
        esc = group.escalations
        assert esc.pages == len(pages)
        assert esc.unanswered == sum(ack is None for ack, _ in pages)
        waits = [(ack - page) * 60.0 for ack, page in pages if ack is not None and ack >= page]
        assert esc.acknowledged == len(waits)
        if waits:
            assert esc.time_to_ack.median_s == statistics.median(waits)


def _business_days_after(start: datetime, days: int) -> datetime:
    """``days`` weekdays after ``start``, counted one calendar day at a time."""
    due = start
    while days:
        due += timedelta(days=1)
        if due.isoweekday() <= 5:
            days -= 1
    return due


@settings(max_examples=60, deadline=None)
@given(st.lists(incident_plans, min_size=1, max_size=10))
def test_review_timeliness_equals_the_targets(plans):
    """SEV1 within 3 days, SEV2 within 5 business days of resolution; SEV3 has none."""
    report = build_report(_facts(plans), POLICY, NOW, by="severity", include_drills=True)
    groups = {g.key: g for g in report.groups}
    for severity, group in groups.items():
        mine = [p for p in plans if p["severity"] == severity]
        resolved = [p for p in mine if p["resolved_after"] is not None]
        expected = {"on_time": 0, "late": 0, "overdue": 0, "pending": 0, "no_target": 0}
        for plan in resolved:
            detected = T0 + timedelta(days=plan["day"])
            at = detected + timedelta(minutes=plan["resolved_after"])
            if severity == "SEV3":
                expected["no_target"] += 1
                continue
            due = at + timedelta(days=3) if severity == "SEV1" else _business_days_after(at, 5)
            if plan["published_after_days"] is None:
                expected["overdue" if due < NOW else "pending"] += 1
                continue
            published = detected + timedelta(minutes=700, days=plan["published_after_days"])
            expected["on_time" if published <= due else "late"] += 1
        rev = group.reviews
        assert rev.resolved == len(resolved)
        found = {k: getattr(rev, k) for k in expected}
        assert found == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 200), max_size=6), st.integers(5, 90))
def test_update_punctuality_equals_the_cadence(updates, every):
    """One incident at one severity, updates to one audience every ``every`` minutes:
    each update is on time when it is at most ``every`` after the previous one (or the
    declaration); a last due time before resolution with no update is missed."""
    rule = Cadence(severity="SEV3", audience="internal", every_minutes=every)
    policy = POLICY.model_copy(update={"cadence": (rule,)})
    plan = {
        "severity": "SEV3", "drill": False, "day": 0, "impact_before": None, "ack_after": None,
        "mitigated_after": None, "resolved_after": 240, "pages": [], "actions": [],
        "updates": updates, "published_after_days": None,
    }  # fmt: skip
    report = build_report(_facts([plan]), policy, NOW, include_drills=True)
    on_time = late = missed = 0
    previous = 0
    for at in sorted(u for u in updates if u <= 240):
        if at - previous <= every:
            on_time += 1
        else:
            late += 1
        previous = at
    if previous + every < 240:
        missed = 1
    rows = report.total.punctuality
    if on_time + late + missed == 0:
        assert rows == []
        return
    (row,) = rows
    assert (row.audience, row.on_time, row.late, row.missed) == ("internal", on_time, late, missed)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=60))
def test_a_spread_is_the_median_and_the_nearest_rank_p90(values):
    from warroom.core.report_stats import spread

    found = spread([float(v) for v in values] + [None])
    assert found.median_s == statistics.median(values)
    assert found.p90_s == nearest_rank_p90(values)
    assert (found.known, found.unknown) == (len(values), 1)
