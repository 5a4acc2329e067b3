"""The figures of the report across incidents, each for one group of incidents.

Durations are summarised as a median and a 90th percentile over the incidents whose
milestones are known, and the unknown ones are counted beside them: a mean is pulled by
one long outlier and a guess for a missing milestone is worse than a blank, so neither
appears. The 90th percentile is the nearest-rank one (the smallest value at least 90 %
of the known values do not exceed), so it is always a value that was observed.
"""

import math
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel

from warroom.core.metrics import DEFINITIONS
from warroom.core.policy import Cadence, Policy
from warroom.core.report_facts import IncidentFacts
from warroom.core.review_policy import review_deadline


class Spread(BaseModel):
    """Median and p90 (seconds) of the known values, and how many were unknown."""

    median_s: float | None = None
    p90_s: float | None = None
    known: int = 0
    unknown: int = 0


def p90(values: Sequence[float]) -> float:
    """Nearest-rank 90th percentile of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def spread(values: Sequence[float | None]) -> Spread:
    known = [v for v in values if v is not None]
    if not known:
        return Spread(unknown=len(values))
    return Spread(
        median_s=float(statistics.median(known)),
        p90_s=float(p90(known)),
        known=len(known),
        unknown=len(values) - len(known),
    )


def milestone_span(facts: IncidentFacts, metric: str) -> float | None:
    """One incident's MTTD/MTTA/MTTM/MTTR in seconds, as ``core/metrics`` defines them:
    unknown when a milestone is missing or the span is negative."""
    start, end = DEFINITIONS[metric]
    began, ended = facts.milestones.get(start), facts.milestones.get(end)
    if began is None or ended is None or ended < began:
        return None
    return (ended - began).total_seconds()


# -- update punctuality ------------------------------------------------------------------


class Punctuality(BaseModel):
    """Status updates to one audience against the cadence: each due update was on time,
    late (sent after it was due, by how much) or missed (none went out before the
    incident was resolved, or before now while it is open)."""

    audience: str
    on_time: int = 0
    late: int = 0
    missed: int = 0
    late_by: Spread = Spread()
    """How late the late and missed ones were (missed: until resolution or now)."""


def update_lateness(
    facts: IncidentFacts, cadence: Sequence[Cadence], now: datetime
) -> dict[str, list[tuple[float, bool]]]:
    """Per audience, (seconds past due — zero or less is on time, missed?) of each
    update the cadence asked for, replayed as the screen's clock (``core/clocks``) runs:
    the clock restarts at each update and each severity change, stops at resolution,
    and a ``for_first_minutes`` rule asks only for updates due within that window."""
    declared = facts.milestones.get("declared")
    if declared is None:
        return {}
    end = facts.milestones.get("resolved") or now
    found: dict[str, list[tuple[float, bool]]] = {}
    for audience in dict.fromkeys(rule.audience for rule in cadence):
        rules = {rule.severity: rule for rule in cadence if rule.audience == audience}
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


def _due(rule: Cadence | None, anchor: datetime, declared: datetime) -> datetime | None:
    if rule is None:
        return None
    due = anchor + timedelta(minutes=rule.every_minutes)
    window = timedelta(minutes=rule.for_first_minutes)
    return None if rule.for_first_minutes and due - declared > window else due


def punctuality(group: Sequence[IncidentFacts], policy: Policy, now: datetime) -> list[Punctuality]:
    slots: dict[str, list[tuple[float, bool]]] = {}
    for facts in group:
        for audience, found in update_lateness(facts, policy.cadence, now).items():
            slots.setdefault(audience, []).extend(found)
    rows = []
    for audience in sorted(slots, key=lambda a: _order(policy.audiences, a)):
        found = slots[audience]
        late = [late_s for late_s, missed in found if late_s > 0 or missed]
        rows.append(
            Punctuality(
                audience=audience,
                on_time=sum(late_s <= 0 and not missed for late_s, missed in found),
                late=sum(late_s > 0 and not missed for late_s, missed in found),
                missed=sum(missed for _, missed in found),
                late_by=spread(late) if late else Spread(),
            )
        )
    return rows


def _order(names: Sequence[str], name: str) -> tuple[int, str]:
    return (names.index(name) if name in names else len(names), name)


# -- escalation effectiveness ------------------------------------------------------------


class Escalations(BaseModel):
    """Pages and what came of them. A page counts as acknowledged when the incident was
    acknowledged at or after it went out (time to acknowledge: from the page to the
    acknowledgement); a page sent once it already was is counted apart."""

    pages: int = 0
    acknowledged: int = 0
    unanswered: int = 0
    after_acknowledgement: int = 0
    time_to_ack: Spread = Spread()
    steps_fired: int = 0
    steps_per_incident: Spread = Spread()
    """Ladder steps fired per incident (a count, in the fields of a spread)."""


def escalations(group: Sequence[IncidentFacts]) -> Escalations:
    waits: list[float] = []
    unanswered = after = 0
    for facts in group:
        acked = facts.milestones.get("acknowledged")
        for page in facts.pages:
            if acked is None:
                unanswered += 1
            elif acked >= page.at:
                waits.append((acked - page.at).total_seconds())
            else:
                after += 1
    steps = [float(facts.steps_fired) for facts in group]
    return Escalations(
        pages=len(waits) + unanswered + after,
        acknowledged=len(waits),
        unanswered=unanswered,
        after_acknowledgement=after,
        time_to_ack=spread(waits) if waits else Spread(),
        steps_fired=int(sum(steps)),
        steps_per_incident=spread(steps) if steps else Spread(),
    )


# -- reviews -----------------------------------------------------------------------------

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


class Reviews(BaseModel):
    """Postmortems of the resolved incidents against the policy's ``[review]`` targets,
    and the quality of their records (``CRITERIA``; the score is the share met, 0-100)."""

    resolved: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    """Not published, and the target has passed."""
    pending: int = 0
    """Not published yet, still within the target."""
    no_target: int = 0
    """The policy sets no target for the severity."""
    late_by: Spread = Spread()
    score: Spread = Spread()
    """The quality score of each resolved incident (a score, in the fields of a spread)."""
    criteria_met: dict[str, int] = {}


def reviews(group: Sequence[IncidentFacts], policy: Policy, now: datetime) -> Reviews:
    counts = {"on_time": 0, "late": 0, "overdue": 0, "pending": 0, "no_target": 0}
    late_by: list[float] = []
    scores: list[float] = []
    met = dict.fromkeys(CRITERIA, 0)
    resolved = [f for f in group if "resolved" in f.milestones]
    for facts in resolved:
        passed = quality(facts)
        for name, ok in passed.items():
            met[name] += ok
        scores.append(round(100 * sum(passed.values()) / len(passed)))
        target = policy.review.get(facts.severity)
        if target is None:
            counts["no_target"] += 1
            continue
        deadline = review_deadline(facts.milestones["resolved"], target)
        if facts.published_at is None:
            counts["overdue" if now > deadline else "pending"] += 1
        elif facts.published_at <= deadline:
            counts["on_time"] += 1
        else:
            counts["late"] += 1
            late_by.append((facts.published_at - deadline).total_seconds())
    return Reviews(
        resolved=len(resolved),
        late_by=spread(late_by) if late_by else Spread(),
        score=spread(scores) if scores else Spread(),
        criteria_met=met,
        **counts,
    )


class FollowUps(BaseModel):
    """Action items of the group: how many are closed (done or won't do), how many open
    ones are past their due date."""

    total: int = 0
    closed: int = 0
    closure_rate: float | None = None
    overdue: int = 0


def follow_ups(group: Sequence[IncidentFacts], now: datetime) -> FollowUps:
    items = [item for facts in group for item in facts.actions]
    closed = sum(item.closed for item in items)
    return FollowUps(
        total=len(items),
        closed=closed,
        closure_rate=closed / len(items) if items else None,
        overdue=sum(not i.closed and i.due is not None and i.due < now for i in items),
    )
