"""The clocks on the wall: the status-update cadence (the escalation ladder, which also
watches them, is ``warroom.core.ladder``).

A pure function of (policy, state, now), so the TUI can recompute it every second and
the CLI can print the same answer.
"""

from datetime import datetime, timedelta

from pydantic import BaseModel

from warroom.core.policy import Policy
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
