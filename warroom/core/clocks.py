"""The clocks on the wall: status-update cadence and the escalation ladder.

Both are pure functions of (policy, state, now), so the TUI can recompute them every
second and the CLI can print the same answer.
"""

from datetime import datetime, timedelta

from pydantic import BaseModel

from warroom.core.policy import EscalationRule, Policy
from warroom.core.state import IncidentState


class UpdateClock(BaseModel):
    """When the next status update to one audience is due."""

    audience: str
    every: timedelta
    due_at: datetime
    overdue: bool

    def remaining(self, now: datetime) -> timedelta:
        return self.due_at - now


def update_clocks(policy: Policy, state: IncidentState, now: datetime) -> list[UpdateClock]:
    """One clock per audience the policy asks updates for at the current severity."""
    declared = state.milestones.get("declared")
    if declared is None or state.status in ("resolved", "closed"):
        return []
    clocks = []
    for rule in policy.cadence:
        if rule.severity != state.severity:
            continue
        if rule.for_first_minutes and now - declared > timedelta(minutes=rule.for_first_minutes):
            continue
        every = timedelta(minutes=rule.every_minutes)
        last = state.last_update.get(rule.audience)
        anchor = max(filter(None, (last, state.severity_since, declared)))
        due = anchor + every
        clocks.append(
            UpdateClock(audience=rule.audience, every=every, due_at=due, overdue=now > due)
        )
    return sorted(clocks, key=lambda c: c.due_at)


class LadderStep(BaseModel):
    """One escalation rule as it stands: fired (and why) or when it will fire."""

    rule: EscalationRule
    fired: bool
    settled: bool = False
    """The condition was met in time; this rule can no longer fire."""
    reason: str
    fires_at: datetime | None = None


def escalation_ladder(policy: Policy, state: IncidentState, now: datetime) -> list[LadderStep]:
    """Time-based rules evaluated against the incident; threshold rules need a signal."""
    steps = []
    for rule in policy.escalations:
        if rule.severities and state.severity not in rule.severities:
            continue
        steps.append(_evaluate(rule, state, now))
    return steps


def _evaluate(rule: EscalationRule, state: IncidentState, now: datetime) -> LadderStep:
    after = timedelta(minutes=rule.after_minutes)
    if rule.when == "threshold":
        return LadderStep(
            rule=rule,
            fired=False,
            reason=f"fires when {rule.metric} > {rule.above:g} for {rule.after_minutes} min",
        )
    milestone = "acknowledged" if rule.when == "unacknowledged" else "mitigated"
    start = state.milestones.get("declared")
    done = state.milestones.get(milestone)
    if start is None:
        return LadderStep(rule=rule, fired=False, reason="incident not declared")
    deadline = start + after
    if done is not None and done <= deadline:
        return LadderStep(rule=rule, fired=False, settled=True, reason=f"{milestone} in time")
    if now >= deadline and (done is None or done > deadline):
        return LadderStep(
            rule=rule,
            fired=True,
            fires_at=deadline,
            reason=f"not {milestone} within {rule.after_minutes} min of declaration",
        )
    return LadderStep(
        rule=rule, fired=False, fires_at=deadline, reason=f"fires if not {milestone} by then"
    )
