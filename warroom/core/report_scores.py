"""One incident's figures for the report, worked out once per report: an incident is in
its group and in the total (and, by service, in several groups), so the per-incident
work — the cadence replay, the review deadline — is done here once and only summed up
per group (``core/report_stats.py``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.core.metrics import DEFINITIONS
from warroom.core.policy import Policy
from warroom.core.policy_sections import Cadence
from warroom.core.report_facts import IncidentFacts
from warroom.core.review_policy import review_deadline

Slot = tuple[float, bool]
"""One update the cadence asked for: (seconds past due — zero or less is on time, missed?)."""


@dataclass(frozen=True)
class CadenceBook:
    """The policy's cadence per audience and severity: (every, window or ``None``)."""

    rules: dict[str, dict[str, tuple[timedelta, timedelta | None]]]

    @classmethod
    def of(cls, cadence: Sequence[Cadence]) -> "CadenceBook":
        rules: dict[str, dict[str, tuple[timedelta, timedelta | None]]] = {}
        for rule in cadence:
            window = timedelta(minutes=rule.for_first_minutes) if rule.for_first_minutes else None
            by_severity = rules.setdefault(rule.audience, {})
            by_severity[rule.severity] = (timedelta(minutes=rule.every_minutes), window)
        return cls(rules)


@dataclass(frozen=True)
class IncidentScore:
    """What one incident adds to every group it is in (its facts are not kept: a report
    over many incidents holds one of these per incident, not the whole projection)."""

    spans: dict[str, float | None]
    lateness: dict[str, list[Slot]]
    page_waits: list[float]
    """Seconds from each acknowledged page to the acknowledgement."""
    unanswered: int
    after_acknowledgement: int
    review: str | None
    """``on_time``, ``late``, ``overdue``, ``pending`` or ``no_target``; ``None`` while
    the incident is not resolved."""
    review_late_s: float | None
    quality: dict[str, bool] | None
    """``CRITERIA`` met, for a resolved incident."""
    steps_fired: int
    actions: int
    actions_closed: int
    actions_overdue: int


CRITERIA: dict[str, str] = {
    "actions_owned": "action items raised, each with an owner and a due date",
    "factors": "contributing factors recorded",
    "impact": "impact stated (when impact started is on the record)",
    "timeline": "a timeline (a decision, observation or action on the record)",
    "hypotheses": "every hypothesis confirmed or ruled out",
    "published": "postmortem published",
}
"""The review-quality criteria, each worth the same; the report prints them."""


def quality(facts: IncidentFacts) -> dict[str, bool]:
    """Which ``CRITERIA`` one incident's review meets."""
    return {
        "actions_owned": bool(facts.actions)
        and all(a.owner and a.due is not None for a in facts.actions),
        "factors": facts.factors > 0,
        "impact": "impact_started" in facts.milestones,
        "timeline": facts.timeline_entries > 0,
        "hypotheses": facts.hypotheses_settled == facts.hypotheses,
        "published": facts.published_at is not None,
    }


def score_incident(
    facts: IncidentFacts, book: CadenceBook, policy: Policy, now: datetime
) -> IncidentScore:
    acked = facts.milestones.get("acknowledged")
    waits = [(acked - p.at).total_seconds() for p in facts.pages if acked and acked >= p.at]
    unanswered = len(facts.pages) if acked is None else 0
    review, late_s, passed = None, None, None
    resolved = facts.milestones.get("resolved")
    if resolved is not None:
        passed = quality(facts)
        review, late_s = _review(facts, resolved, policy.review.get(facts.severity), now)
    return IncidentScore(
        spans={metric: milestone_span(facts, metric) for metric in DEFINITIONS},
        lateness=update_lateness(facts, book, now),
        page_waits=waits,
        unanswered=unanswered,
        after_acknowledgement=len(facts.pages) - len(waits) - unanswered,
        review=review,
        review_late_s=late_s,
        quality=passed,
        steps_fired=facts.steps_fired,
        actions=len(facts.actions),
        actions_closed=sum(item.closed for item in facts.actions),
        actions_overdue=sum(
            not item.closed and item.due is not None and item.due < now for item in facts.actions
        ),
    )


def milestone_span(facts: IncidentFacts, metric: str) -> float | None:
    """One incident's MTTD/MTTA/MTTM/MTTR in seconds, as ``core/metrics`` defines them:
    unknown when a milestone is missing or the span is negative."""
    start, end = DEFINITIONS[metric]
    began, ended = facts.milestones.get(start), facts.milestones.get(end)
    if began is None or ended is None or ended < began:
        return None
    return (ended - began).total_seconds()


def _review(
    facts: IncidentFacts, resolved: datetime, target: str | None, now: datetime
) -> tuple[str, float | None]:
    if target is None:
        return "no_target", None
    deadline = review_deadline(resolved, target)
    if facts.published_at is None:
        return ("overdue" if now > deadline else "pending"), None
    if facts.published_at <= deadline:
        return "on_time", None
    return "late", (facts.published_at - deadline).total_seconds()


def update_lateness(
    facts: IncidentFacts, book: CadenceBook, now: datetime
) -> dict[str, list[Slot]]:
    """Per audience, each update the cadence asked for, replayed as the screen's clock
    (``core/clocks``) runs: the clock restarts at each update and each severity change,
    stops at resolution, and a ``for_first_minutes`` rule asks only for updates due
    within that window."""
    declared = facts.milestones.get("declared")
    if declared is None:
        return {}
    end = facts.milestones.get("resolved") or now
    found: dict[str, list[Slot]] = {}
    for audience, rules in book.rules.items():
        points = [(at, 0, severity) for at, severity in facts.severity_history]
        points += [(at, 1, "") for at in facts.updates.get(audience, ())]
        anchor, severity, slots = declared, "", []
        for at, is_update, changed_to in sorted(p for p in points if p[0] <= end):
            if not is_update:
                anchor, severity = max(anchor, at), changed_to
                continue
            due = _due(rules.get(severity), anchor, declared)
            if due is not None:
                slots.append(((at - due).total_seconds(), False))
            anchor = max(anchor, at)
        due = _due(rules.get(severity), anchor, declared)
        if due is not None and due < end:
            slots.append(((end - due).total_seconds(), True))
        if slots:
            found[audience] = slots
    return found


def _due(
    rule: tuple[timedelta, timedelta | None] | None, anchor: datetime, declared: datetime
) -> datetime | None:
    if rule is None:
        return None
    every, window = rule
    due = anchor + every
    return None if window is not None and due - declared > window else due
