"""The escalation ladder: which of the policy's escalation steps fired, which are due, and
what fires next — a pure function of (policy, state, now).

A step *fires* when an ``escalation`` carrying its key (``Escalation.step``) is on the
record; until then a step whose condition holds is *due*, and a scheduler (see
``warroom.ladder_runner``) records it. Because the firing is an event, a restarted
scheduler, or a second one, reads it off the folded state and does not fire the step
again; ``fired_step_refusal`` makes the append's admit refuse a second firing outright.

The time conditions (``EscalationRule.when``):

- ``unacknowledged`` / ``unmitigated``: the milestone is not recorded ``after_minutes``
  after the declaration. Recording it (``warroom ack``, a commander seated, a move to
  monitoring) settles the step, however late;
- ``update_overdue``: a status update to an audience (``audience``, or any) is overdue by
  ``after_minutes``; each missed deadline is a step of its own, keyed by its due time;
- ``severity``: the incident has held one of ``severities`` for ``after_minutes``;
- ``threshold``: ``metric`` has been over ``above`` for ``after_minutes`` — as the
  ``threshold_crossed`` entries that alert rules record say — while an alert still fires.
"""

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from warroom.core import events as ev
from warroom.core.clocks import update_clocks
from warroom.core.policy import Policy
from warroom.core.policy_sections import EscalationRule
from warroom.core.state import FiredStep, IncidentState

StepStatus = Literal["fired", "due", "armed", "settled", "waiting"]

_MILESTONE_OF = {"unacknowledged": "acknowledged", "unmitigated": "mitigated"}


class LadderStep(BaseModel):
    """One escalation step as it stands: on the record, due now, or when it will fire."""

    rule: EscalationRule
    key: str
    """The step's identity on the record (``Escalation.step``): the rule id, and for an
    overdue update the deadline it missed."""
    status: StepStatus
    reason: str
    fires_at: datetime | None = None
    record: FiredStep | None = None
    """The firing on the record, once fired: who was paged, why and when."""

    @property
    def fired(self) -> bool:
        return self.status == "fired"

    @property
    def due(self) -> bool:
        return self.status == "due"

    @property
    def settled(self) -> bool:
        return self.status == "settled"


def escalation_ladder(policy: Policy, state: IncidentState, now: datetime) -> list[LadderStep]:
    """Every step that applies to the incident now, and every step it has fired."""
    steps = []
    for rule in policy.escalations:
        for step in _steps_of(policy, rule, state, now):
            if step.fired or not rule.severities or state.severity in rule.severities:
                steps.append(step)
    return steps


def due_steps(policy: Policy, state: IncidentState, now: datetime) -> list[LadderStep]:
    """The steps a scheduler should record now: due, and not on the record yet."""
    return [step for step in escalation_ladder(policy, state, now) if step.due]


def next_step(ladder: list[LadderStep]) -> LadderStep | None:
    """The armed step that fires soonest, if any."""
    armed = [step for step in ladder if step.status == "armed" and step.fires_at is not None]
    return min(armed, key=lambda step: step.fires_at, default=None)


def step_escalation(step: LadderStep, state: IncidentState) -> ev.Escalation:
    """The ``escalation`` that records a due step firing: what goes out, to whom, why.

    A ``set-severity`` step pages its target (the commander, when it names none) after
    the severity change it makes (see ``severity_raise``), so a person hears of it."""
    rule = step.rule
    action = rule.action if rule.action in ("page", "notify") else "page"
    reason = f"{rule.id}: {step.reason}"
    if rule.action == "set-severity":
        reason += f" (raise to {rule.severity})"
    return ev.Escalation(
        target=rule.target or state.commander or "commander",
        reason=reason,
        action=action,
        rule=rule.id,
        step=step.key,
    )


def severity_raise(policy: Policy, step: LadderStep, state: IncidentState) -> str | None:
    """The severity a ``set-severity`` step raises the incident to; ``None`` when it is
    already as severe (automatic changes only ever raise)."""
    wanted = step.rule.severity
    if step.rule.action != "set-severity" or wanted is None:
        return None
    if state.severity and policy.severity_rank(wanted) >= policy.severity_rank(state.severity):
        return None
    return wanted


def fired_step_refusal(state: IncidentState, payload: object) -> str | None:
    """Why this escalation may not be appended: its step already fired on this incident.

    Part of every append's admit (server and local alike), so two schedulers racing, or
    one retrying after a restart, cannot fire a step twice."""
    if not isinstance(payload, ev.Escalation) or not payload.step:
        return None
    fired = state.fired_steps.get(payload.step)
    if fired is None:
        return None
    return f"ladder step {payload.step} of {state.id} already fired at {fired.at:%H:%M:%S}"


def _steps_of(
    policy: Policy, rule: EscalationRule, state: IncidentState, now: datetime
) -> list[LadderStep]:
    declared = state.milestones.get("declared")
    if declared is None:
        return []
    if rule.when == "update_overdue":
        return _overdue_steps(policy, rule, state, now)
    if rule.when == "threshold":
        return [_threshold_step(rule, state, now)]
    if rule.when == "severity":
        since = state.severity_since or declared
        condition = f"{state.severity} for {rule.after_minutes} min"
        return [_timed(rule, rule.id, state, now, since, condition, settled_by=None)]
    milestone = _MILESTONE_OF[rule.when]
    condition = f"not {milestone} within {rule.after_minutes} min of declaration"
    return [_timed(rule, rule.id, state, now, declared, condition, settled_by=milestone)]


def _timed(
    rule: EscalationRule,
    key: str,
    state: IncidentState,
    now: datetime,
    since: datetime,
    condition: str,
    *,
    settled_by: str | None,
) -> LadderStep:
    if key in state.fired_steps:
        return _recorded(rule, key, state)
    done = state.milestones.get(settled_by) if settled_by else None
    if done is not None:
        return _step(rule, key, "settled", f"{settled_by} at {done:%H:%M}")
    if state.status in ("resolved", "closed"):
        return _step(rule, key, "settled", f"incident {state.status}")
    deadline = since + timedelta(minutes=rule.after_minutes)
    if now >= deadline:
        return _step(rule, key, "due", condition, deadline)
    return _step(rule, key, "armed", f"fires if {condition}", deadline)


def _overdue_steps(
    policy: Policy, rule: EscalationRule, state: IncidentState, now: datetime
) -> list[LadderStep]:
    steps = []
    for clock in update_clocks(policy, state, now):
        if rule.audience and clock.audience != rule.audience:
            continue
        key = f"{rule.id}@{clock.audience}@{clock.due_at:%Y%m%dT%H%M%SZ}"
        condition = (
            f"the {clock.audience} update due {clock.due_at:%H:%M} is"
            f" {rule.after_minutes} min overdue"
        )
        steps.append(_timed(rule, key, state, now, clock.due_at, condition, settled_by=None))
    return steps


def _recorded(rule: EscalationRule, key: str, state: IncidentState) -> LadderStep:
    """A step whose firing is on the record: who was paged, why, when."""
    fired = state.fired_steps[key]
    return LadderStep(rule=rule, key=key, status="fired", reason=fired.reason, record=fired)


def _step(
    rule: EscalationRule,
    key: str,
    status: StepStatus,
    reason: str,
    fires_at: datetime | None = None,
) -> LadderStep:
    return LadderStep(rule=rule, key=key, status=status, reason=reason, fires_at=fires_at)


def _threshold_step(rule: EscalationRule, state: IncidentState, now: datetime) -> LadderStep:
    """Due once ``metric`` has been over ``above`` for ``after_minutes`` (from the
    ``threshold_crossed`` entries) while an alert on the incident still fires."""
    if rule.id in state.fired_steps:
        return _recorded(rule, rule.id, state)
    crossing = state.crossings.get(rule.metric or "")
    firing = any(status == "firing" for status in state.alerts.values())
    above = rule.above or 0
    if crossing is None or crossing.value <= above or not firing:
        waiting = f"fires when {rule.metric} > {above:g} for {rule.after_minutes} min"
        return _step(rule, rule.id, "waiting", waiting)
    condition = (
        f"{rule.metric} {crossing.value:g} > {above:g} since {crossing.since:%H:%M}"
        f" ({rule.after_minutes} min)"
    )
    return _timed(rule, rule.id, state, now, crossing.since, condition, settled_by=None)


def step_line(step: LadderStep, now: datetime) -> str:
    """One line per step for ``warroom status``: what it did or will do, and why."""
    rule = step.rule
    if step.record is not None:
        record = step.record
        return (
            f"FIRED   {rule.id}: {'drill ' if record.drill else ''}{record.action}"
            f" {record.target} at {record.at:%H:%M:%S}"
            f" (due, not yet delivered) — {record.reason}"
        )
    if step.fires_at is not None and step.status == "armed":
        left = int((step.fires_at - now).total_seconds()) // 60
        return f"armed   {rule.id}: {_what(rule)} in {left} min — {step.reason}"
    return f"{step.status:<7} {rule.id}: {step.reason}"


def _what(rule: EscalationRule) -> str:
    if rule.action == "set-severity":
        return f"raise to {rule.severity}, page {rule.target or 'the commander'}"
    return f"{rule.action} {rule.target}"
